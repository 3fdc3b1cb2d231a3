using System;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace StreamLayer.Registry.Auth
{
    /// <summary>
    /// Ends a helper process and everything it started: the live tree (Process.Kill(true), where the runtime has
    /// it), and on Linux also the children it left behind when it exited, found by a marker in their environment.
    /// </summary>
    internal static class ProcessTree
    {
        /// <summary>The environment variable whose value marks the processes of one helper run.</summary>
        public const string MarkerVariable = "STREAMLAYER_HELPER_RUN";

        private static readonly MethodInfo s_killTree = typeof(Process).GetMethod("Kill", new[] { typeof(bool) });

        public static void End(Process process, string marker)
        {
            try
            {
                if (!process.HasExited)
                {
                    if (s_killTree != null)
                    {
                        s_killTree.Invoke(process, new object[] { true });
                    }
                    else
                    {
                        process.Kill();
                    }
                }
            }
            catch (Exception e) when (e is InvalidOperationException || e is Win32Exception || e is TargetInvocationException || e is NotSupportedException)
            {
            }

            EndMarked(marker);
        }

        /// <summary>Kills every process of this user whose environment holds the marker (Linux: /proc/&lt;pid&gt;/environ).</summary>
        private static void EndMarked(string marker)
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || !Directory.Exists("/proc"))
            {
                return;
            }

            byte[] wanted = Encoding.ASCII.GetBytes(MarkerVariable + "=" + marker);
            int self = Process.GetCurrentProcess().Id;
            foreach (string folder in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid == self)
                {
                    continue;
                }

                try
                {
                    if (Contains(File.ReadAllBytes(Path.Combine(folder, "environ")), wanted))
                    {
                        using (Process marked = Process.GetProcessById(pid))
                        {
                            marked.Kill();
                        }
                    }
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is ArgumentException || e is InvalidOperationException || e is Win32Exception)
                {
                    // Gone already, or not ours to read.
                }
            }
        }

        private static bool Contains(byte[] haystack, byte[] needle)
        {
            for (int i = 0; i + needle.Length <= haystack.Length; i++)
            {
                if ((i == 0 || haystack[i - 1] == 0) && Matches(haystack, i, needle))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool Matches(byte[] haystack, int at, byte[] needle)
        {
            for (int j = 0; j < needle.Length; j++)
            {
                if (haystack[at + j] != needle[j])
                {
                    return false;
                }
            }

            return at + needle.Length == haystack.Length || haystack[at + needle.Length] == 0;
        }
    }
}
