using System;

namespace StreamLayer
{
    /// <summary>How the layer's bytes are compressed.</summary>
    public enum LayerCompression
    {
        Gzip,
    }

    /// <summary>Which family of media types names the layer.</summary>
    public enum LayerMediaType
    {
        /// <summary>Docker image manifest v2 schema 2 (what go-containerregistry's stream layer uses).</summary>
        Docker,

        /// <summary>OCI image spec.</summary>
        Oci,
    }

    /// <summary>The choices that decide a layer's compressed bytes and its media type.</summary>
    public sealed class LayerOptions
    {
        /// <summary>Uncompressed bytes per block. Blocks are compressed independently, so this is part of what decides the Digest.</summary>
        internal const int BlockSize = 1 << 20;

        public LayerCompression Compression { get; set; } = LayerCompression.Gzip;

        /// <summary>The compression level; null takes the format's default (gzip: 1, the fastest, as go-containerregistry does).</summary>
        public int? CompressionLevel { get; set; }

        public LayerMediaType MediaType { get; set; } = LayerMediaType.Docker;

        /// <summary>How many blocks may be compressed at once. Does not change the output.</summary>
        public int MaxParallelism { get; set; } = Environment.ProcessorCount;

        public const int DefaultGzipLevel = 1;

        internal int EffectiveLevel => CompressionLevel ?? DefaultGzipLevel;

        internal string MediaTypeName => MediaType == LayerMediaType.Oci
            ? MediaTypes.OciLayerGzip
            : MediaTypes.DockerLayerGzip;

        /// <summary>Throws an ArgumentException naming the first option that cannot be used.</summary>
        public void Validate()
        {
            if (CompressionLevel is int level && (level < 0 || level > 9))
            {
                throw new ArgumentOutOfRangeException(nameof(CompressionLevel), level, "gzip compression levels run from 0 (store) to 9 (smallest).");
            }

            if (MaxParallelism < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(MaxParallelism), MaxParallelism, "At least one block must be compressed at a time.");
            }
        }

        internal LayerOptions Clone() => (LayerOptions)MemberwiseClone();
    }

    /// <summary>The media types StreamLayer writes.</summary>
    public static class MediaTypes
    {
        public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
        public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    }
}
