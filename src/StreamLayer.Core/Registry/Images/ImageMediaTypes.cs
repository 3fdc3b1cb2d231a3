namespace StreamLayer.Registry.Images
{
    /// <summary>The manifest, config and index media types of the two image formats.</summary>
    internal static class ImageMediaTypes
    {
        public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
        public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
        public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
        public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
        public const string OciIndex = "application/vnd.oci.image.index.v1+json";
        public const string OciConfig = "application/vnd.oci.image.config.v1+json";

        public static bool IsIndex(string mediaType) => mediaType == DockerManifestList || mediaType == OciIndex;

        public static bool IsManifest(string mediaType) => mediaType == DockerManifest || mediaType == OciManifest;

        public static string ConfigFor(string manifestMediaType) => manifestMediaType == DockerManifest ? DockerConfig : OciConfig;

        /// <summary>What a registry is asked for when a manifest or index is fetched.</summary>
        public static readonly string[] Accepted = { OciIndex, DockerManifestList, OciManifest, DockerManifest };
    }
}
