using System;
using System.Runtime.InteropServices;

namespace StreamLayer.Commands
{
    /// <summary>
    /// SIGINT for a process that was started with it ignored: a background job of a script (<c>pwsh -c ... &amp;</c>
    /// without job control), or anything started with <c>env --ignore-signal=INT</c>. .NET respects an ignored
    /// signal and never installs its handler, so neither Ctrl+C nor <c>kill -INT</c> reached PowerShell: a push ran on
    /// to its end and the process exited 0. While a StreamLayer command runs, SIGINT gets the runtime's own handler,
    /// copied from SIGTERM's (which <see cref="TerminationSignal"/>'s registration installed), so it reaches
    /// PowerShell's Ctrl+C handling like any other SIGINT; when the last command ends, it is ignored again.
    /// </summary>
    internal static class IgnoredInterrupt
    {
        private const int SigInt = 2;
        private const int SigTerm = 15;

        // Room for a struct sigaction wherever PowerShell 7 runs (152 bytes on Linux, 16 on macOS); only copied, never read but for its first field.
        private const int ActionSize = 512;

        private static readonly IntPtr s_sigIgn = new IntPtr(1);
        private static byte[] s_ignored;

        /// <summary>Gives SIGINT the runtime's handler when the process has it ignored; call under the caller's lock.</summary>
        public static void Take()
        {
            if (s_ignored != null || !IsPosix)
            {
                return;
            }

            try
            {
                var current = new byte[ActionSize];
                var runtime = new byte[ActionSize];
                if (sigaction(SigInt, null, current) != 0 || HandlerOf(current) != s_sigIgn
                    || sigaction(SigTerm, null, runtime) != 0 || HandlerOf(runtime) == IntPtr.Zero || HandlerOf(runtime) == s_sigIgn)
                {
                    return;
                }

                if (sigaction(SigInt, runtime, null) == 0)
                {
                    s_ignored = current;
                }
            }
            catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException)
            {
            }
        }

        /// <summary>Ignores SIGINT again, as the process was started, once no command runs; call under the caller's lock.</summary>
        public static void GiveBack()
        {
            if (s_ignored == null)
            {
                return;
            }

            try
            {
                sigaction(SigInt, s_ignored, null);
            }
            catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException)
            {
            }

            s_ignored = null;
        }

        private static bool IsPosix => RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || RuntimeInformation.IsOSPlatform(OSPlatform.OSX);

        /// <summary>The first field of a struct sigaction: the handler (SIG_DFL is 0, SIG_IGN 1).</summary>
        private static IntPtr HandlerOf(byte[] action) => IntPtr.Size == 8 ? new IntPtr(BitConverter.ToInt64(action, 0)) : new IntPtr(BitConverter.ToInt32(action, 0));

        [DllImport("libc", EntryPoint = "sigaction", SetLastError = true)]
        private static extern int sigaction(int signal, byte[] action, [Out] byte[] previous);
    }
}
