using StreamLayer.Registry.Client;
using StreamLayer.Registry.Json;

namespace StreamLayer.Registry.Images
{
    /// <summary>An image manifest read for an index: where it was asked for, its bytes, its platform, and whether the index's repository already holds it.</summary>
    internal sealed class IndexChild
    {
        public IndexChild(string asked, RegistryClient source, FetchedManifest manifest, JsonValue config, ImagePlatform platform, bool inTarget)
        {
            Asked = asked;
            Source = source;
            Manifest = manifest;
            Config = config;
            Platform = platform;
            InTarget = inTarget;
        }

        /// <summary>The reference as given: registry/repository with a tag or digest, or a digest or name in an OCI layout.</summary>
        public string Asked { get; }

        /// <summary>A client of the repository the image is read from; null for an image in the index's OCI layout.</summary>
        public RegistryClient Source { get; }

        public FetchedManifest Manifest { get; }

        public JsonValue Config { get; }

        public ImagePlatform Platform { get; }

        public bool InTarget { get; }

        /// <summary>The platform as an index entry writes it: the config's os.version (Windows images) comes along.</summary>
        public JsonValue PlatformJson()
        {
            JsonValue platform = JsonValue.NewObject().Set("architecture", Platform.Architecture).Set("os", Platform.Os);
            string osVersion = Config["os.version"]?.AsString;
            if (!string.IsNullOrEmpty(osVersion))
            {
                platform.Set("os.version", osVersion);
            }

            if (Platform.Variant != null)
            {
                platform.Set("variant", Platform.Variant);
            }

            return platform;
        }

        /// <summary>What makes two entries of an index the same platform: arm64 without a variant is arm64/v8.</summary>
        public string PlatformKey =>
            Platform.Os + "/" + Platform.Architecture + "/" + (Platform.Variant ?? (Platform.Architecture == "arm64" ? "v8" : string.Empty)) + "/" + Config["os.version"]?.AsString;
    }
}
