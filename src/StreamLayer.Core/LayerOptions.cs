using System;
using ZstdSharp;

namespace StreamLayer
{
    /// <summary>How the layer's bytes are compressed.</summary>
    public enum LayerCompression
    {
        Gzip,

        /// <summary>Zstandard (application/vnd.oci.image.layer.v1.tar+zstd; OCI only).</summary>
        Zstd,

        /// <summary>Not compressed: the blob is the tar itself, so the Digest is the DiffId.</summary>
        None,
    }

    /// <summary>Which family of media types names the layer.</summary>
    public enum LayerMediaType
    {
        /// <summary>Docker image manifest v2 schema 2 (what go-containerregistry's stream layer uses).</summary>
        Docker,

        /// <summary>OCI image spec.</summary>
        Oci,
    }

    /// <summary>The choices that decide a layer's compressed bytes and its media type, as a caller asks for them; <see cref="Check"/> makes them settings.</summary>
    internal sealed class LayerOptions
    {
        /// <summary>
        /// gzip's fastest level, as go-containerregistry's default is. Level 4 is the lowest whose layer is within 5% of
        /// `pigz -6`'s (the size skopeo's gzip writes): on the benchmark's tar of the .NET SDK, 1 MiB blocks, level 1
        /// (zlib-ng's quick strategy) makes 1.29x pigz -6's bytes, 2 1.10x, 3 1.06x, 4 1.045x, 6 1.03x; carrying the
        /// previous block's last 32 KiB as a dictionary gains only 0.2%. It is not the default: in a quiet benchmark run
        /// level 4 made the default push slower than skopeo's (0.9x, against 1.7x at level 1), and where levels map to
        /// names (Windows PowerShell 5.1) it becomes Optimal, single-threaded. The default Digest changes once, when a
        /// compressor is both that small and that fast.
        /// </summary>
        public const int DefaultGzipLevel = 1;

        /// <summary>
        /// zstd's fastest regular level: on the benchmark's tar it is faster than gzip level 1, a fifth smaller, and
        /// about as small as gzip level 4. Level 0 (or 3) is zstd's own default, smaller again but slower.
        /// </summary>
        public const int DefaultZstdLevel = 1;

        public LayerCompression Compression { get; set; } = LayerCompression.Gzip;

        /// <summary>
        /// The compression level; null takes the format's default (gzip: <see cref="DefaultGzipLevel"/>, the
        /// fastest; zstd: 1, its fastest regular level). gzip takes 0-9; zstd takes <see cref="MinZstdLevel"/> to <see cref="MaxZstdLevel"/>, where 0 means
        /// its default and negative levels are its fast modes. None takes no level.
        /// </summary>
        public int? CompressionLevel { get; set; }

        /// <summary>
        /// The media type family; null takes the format's usual one: Docker for gzip (as go-containerregistry does),
        /// OCI for zstd and for uncompressed layers. Docker has no zstd media type.
        /// </summary>
        public LayerMediaType? MediaType { get; set; }

        /// <summary>
        /// What to do with input that is already gzip or zstd: false (the default) takes it as the layer blob as it
        /// is, as crane append does; true decompresses it and compresses it again with these options.
        /// </summary>
        public bool Recompress { get; set; }

        /// <summary>How many blocks may be compressed at once. Does not change the output.</summary>
        public int MaxParallelism { get; set; } = Environment.ProcessorCount;

        public static int MinZstdLevel => Compressor.MinCompressionLevel;

        public static int MaxZstdLevel => Compressor.MaxCompressionLevel;

        /// <summary>The settings these options make, checked here and only here: a <see cref="LayerOptionsException"/> names the first option that cannot be used.</summary>
        public LayerSettings Check()
        {
            if (CompressionLevel is int level)
            {
                switch (Compression)
                {
                    case LayerCompression.Gzip when level < 0 || level > 9:
                        throw new LayerOptionsException(
                            "The compression level " + level + " is not a gzip level: gzip's run from 0 (stored) to 9 (smallest).",
                            nameof(CompressionLevel));
                    case LayerCompression.Zstd when level < MinZstdLevel || level > MaxZstdLevel:
                        throw new LayerOptionsException(
                            "The compression level " + level + " is not a zstd level: zstd's run from " + MinZstdLevel + " (fastest) to " + MaxZstdLevel + " (smallest); 0 is zstd's own default, 3.",
                            nameof(CompressionLevel));
                    case LayerCompression.None:
                        throw new LayerOptionsException("A compression level needs gzip or zstd compression; an uncompressed layer has none.", nameof(CompressionLevel));
                }
            }

            if (MaxParallelism < 1)
            {
                throw new LayerOptionsException("At least one block must be compressed at a time.", nameof(MaxParallelism));
            }

            string mediaType = MediaTypes.For(Compression, MediaType);
            int effectiveLevel = CompressionLevel ?? (Compression == LayerCompression.Zstd ? DefaultZstdLevel : DefaultGzipLevel);
            return new LayerSettings(Compression, effectiveLevel, MediaType, mediaType, Recompress, MaxParallelism);
        }
    }

    /// <summary>Layer options once checked: what every stage of a layer reads, fixed for the layer's life.</summary>
    internal sealed class LayerSettings
    {
        internal LayerSettings(LayerCompression compression, int level, LayerMediaType? mediaTypeFamily, string mediaType, bool recompress, int maxParallelism)
        {
            Compression = compression;
            Level = level;
            MediaTypeFamily = mediaTypeFamily;
            MediaType = mediaType;
            Recompress = recompress;
            MaxParallelism = maxParallelism;
        }

        public LayerCompression Compression { get; }

        /// <summary>The level in force: the one asked for, or the format's default.</summary>
        public int Level { get; }

        /// <summary>The media type family asked for; null for the format's usual one.</summary>
        public LayerMediaType? MediaTypeFamily { get; }

        /// <summary>The media type of a blob compressed with these settings.</summary>
        public string MediaType { get; }

        /// <summary>Whether gzip or zstd input is compressed again rather than taken as the blob as it is.</summary>
        public bool Recompress { get; }

        public int MaxParallelism { get; }
    }

    /// <summary>A choice of options that cannot describe the layer, such as Docker media types for zstd.</summary>
    public sealed class LayerOptionsException : ArgumentException
    {
        private readonly string _message;

        public LayerOptionsException(string message, string paramName)
            : base(message, paramName) => _message = message;

        /// <summary>The message alone: users read it in an error record, where .NET's "(Parameter '...')" is noise.</summary>
        public override string Message => _message;
    }
}
