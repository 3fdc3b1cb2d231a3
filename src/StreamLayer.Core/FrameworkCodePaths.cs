using System;

namespace StreamLayer
{
    /// <summary>
    /// Where this runtime takes the code paths that .NET Framework (Windows PowerShell 5.1) takes. Each path is
    /// chosen by probing the runtime; the switches force one on any runtime, so that the unit tests on .NET run the
    /// fallbacks too. The switches are for tests only: nothing else sets them.
    /// </summary>
    internal static class FrameworkCodePaths
    {
        /// <summary>
        /// Whether this runtime is of the .NET Framework line (mscorlib: .NET Framework, and Mono, which copies its
        /// HTTP handler), rather than .NET (System.Private.CoreLib).
        /// </summary>
        public static readonly bool IsFrameworkLine =
            string.Equals(typeof(object).Assembly.GetName().Name, "mscorlib", StringComparison.Ordinal);

        /// <summary>Deflate cannot flush to a byte boundary: gzip is compressed by SequentialGzipCompressor.</summary>
        internal static bool ForceSequentialGzip;

        /// <summary>GZipStream reads only the first member: gzip input is checked against its trailer.</summary>
        internal static bool ForceSingleMemberGzip;

        /// <summary>No ZLibCompressionOptions and no SmallestSize: gzip levels map to NoCompression, Fastest and Optimal.</summary>
        internal static bool ForceEnumLevels;

        /// <summary>No NativeLibrary (or no libzstd for this platform): zstd is compressed by the managed ZstdSharp.</summary>
        internal static bool ForceManagedZstd;

        /// <summary>No X509Certificate2.CreateFromPemFile: a PEM client key is refused, with the way to a .pfx.</summary>
        internal static bool ForceNoPemKeys;

        /// <summary>The HTTP handler takes its TLS versions from the process unless told: the module's handler names TLS 1.2 and 1.3.</summary>
        internal static bool ForceExplicitTls;
    }
}
