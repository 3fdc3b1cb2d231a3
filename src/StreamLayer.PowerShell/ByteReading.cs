using System;
using System.Runtime.InteropServices;

namespace StreamLayer.Commands
{
    /// <summary>
    /// How this PowerShell's Get-Content reads a file as bytes, for the hints: -AsByteStream in PowerShell 6 and
    /// later, -Encoding Byte in Windows PowerShell 5.1, which has no -AsByteStream.
    /// </summary>
    internal static class ByteReading
    {
        private static readonly bool s_windowsPowerShell = RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal);

        /// <summary>Get-Content's parameter for bytes in this PowerShell.</summary>
        public static string Parameter => For(s_windowsPowerShell);

        internal static string For(bool windowsPowerShell) => windowsPowerShell ? "-Encoding Byte" : "-AsByteStream";
    }
}
