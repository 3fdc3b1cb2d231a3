using System;

namespace StreamLayer
{
    /// <summary>
    /// The input starts like gzip or zstd but does not decompress to its end: it is truncated, fails a checksum, or
    /// has bytes after the compressed data. The layer fails; no result is given and the blob is never completed.
    /// Not an IOException: reading again cannot help.
    /// </summary>
    public sealed class CorruptLayerInputException : Exception
    {
        public CorruptLayerInputException(LayerCompression format, string problem, Exception inner = null)
            : base("The input starts like " + Name(format) + " but is not valid " + Name(format) + ": " + problem, inner)
        {
            Format = format;
        }

        /// <summary>The compression the input's first bytes announced.</summary>
        public LayerCompression Format { get; }

        private static string Name(LayerCompression format) => format == LayerCompression.Zstd ? "zstd" : "gzip";
    }
}
