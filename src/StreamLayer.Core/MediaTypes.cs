using System;

namespace StreamLayer
{
    /// <summary>The media types StreamLayer writes.</summary>
    internal static class MediaTypes
    {
        public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
        public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
        public const string OciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
        public const string OciLayer = "application/vnd.oci.image.layer.v1.tar";

        /// <summary>Docker's uncompressed layer type: in schema 2 and known to containerd, rarely used.</summary>
        public const string DockerLayer = "application/vnd.docker.image.rootfs.diff.tar";

        /// <summary>
        /// The media type of a blob in <paramref name="format"/>; <paramref name="family"/> null takes the format's
        /// usual family. Throws a <see cref="LayerOptionsException"/> for Docker and zstd.
        /// </summary>
        public static string For(LayerCompression format, LayerMediaType? family)
        {
            switch (format)
            {
                case LayerCompression.Gzip:
                    return family == LayerMediaType.Oci ? OciLayerGzip : DockerLayerGzip;
                case LayerCompression.Zstd when family == LayerMediaType.Docker:
                    throw new LayerOptionsException(
                        "Docker's image format has no media type for zstd layers. Use the OCI media types (the default for zstd), or gzip.",
                        nameof(LayerOptions.MediaType));
                case LayerCompression.Zstd:
                    return OciLayerZstd;
                case LayerCompression.None:
                    return family == LayerMediaType.Docker ? DockerLayer : OciLayer;
                default:
                    throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown compression.");
            }
        }
    }
}
