using System;
using System.Diagnostics;
using System.IO;

namespace StreamLayer.MonoChecks
{
    /// <summary>The independent tools that judge the results: sha256sum, gzip, zstd, openssl, run through bash.</summary>
    internal static class Tools
    {
        private static readonly TimeSpan s_limit = TimeSpan.FromMinutes(2);

        /// <summary>"sha256:" and the hex sha256sum prints for <paramref name="file"/>.</summary>
        public static string Sha256Sum(string file) => "sha256:" + Bash("sha256sum -b '" + file + "'").Split(' ')[0];

        /// <summary>"sha256:" and the hex sha256sum prints for what <paramref name="command"/> writes.</summary>
        public static string Sha256SumOf(string command) => "sha256:" + Bash("set -o pipefail; " + command + " | sha256sum -b").Split(' ')[0];

        /// <summary>Runs a bash command line, bounded in time; returns its output, throws on a non-zero exit.</summary>
        public static string Bash(string command)
        {
            var start = new ProcessStartInfo("bash", "-c \"" + command.Replace("\"", "\\\"") + "\"")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using (Process process = Process.Start(start))
            {
                var output = process.StandardOutput.ReadToEndAsync();
                var error = process.StandardError.ReadToEndAsync();
                if (!process.WaitForExit((int)s_limit.TotalMilliseconds))
                {
                    process.Kill();
                    throw new CheckFailedException(command + " did not end within " + s_limit.TotalSeconds + " s");
                }

                process.WaitForExit();
                if (process.ExitCode != 0)
                {
                    throw new CheckFailedException(command + " failed with exit code " + process.ExitCode + ": " + error.Result.Trim());
                }

                return output.Result.Trim();
            }
        }

        public static string Write(string folder, string name, byte[] bytes)
        {
            string path = Path.Combine(folder, name);
            File.WriteAllBytes(path, bytes);
            return path;
        }
    }
}
