using System;
using System.Collections.Generic;
using System.Globalization;
using System.Security.Cryptography;

namespace StreamLayer.Registry
{
    /// <summary>The manifest, config and index media types of the two image formats.</summary>
    public static class ImageMediaTypes
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

    /// <summary>An os/architecture[/variant] platform, as docker writes it: linux/amd64, linux/arm64/v8.</summary>
    public sealed class ImagePlatform
    {
        private ImagePlatform(string os, string architecture, string variant)
        {
            Os = os;
            Architecture = architecture;
            Variant = variant;
        }

        public string Os { get; }

        public string Architecture { get; }

        public string Variant { get; }

        public static ImagePlatform Parse(string text)
        {
            string[] parts = (text ?? string.Empty).Split('/');
            if (parts.Length < 2 || parts.Length > 3 || Array.Exists(parts, p => p.Length == 0))
            {
                throw new FormatException("'" + text + "' is not a platform: write os/architecture or os/architecture/variant, e.g. linux/amd64 or linux/arm64/v8.");
            }

            return new ImagePlatform(parts[0].ToLowerInvariant(), parts[1].ToLowerInvariant(), parts.Length == 3 ? parts[2].ToLowerInvariant() : null);
        }

        /// <summary>Whether an index entry's platform object is this one (a missing variant matches arm64's v8 default).</summary>
        public bool Matches(JsonValue platform)
        {
            if (platform == null || platform["os"]?.AsString != Os || platform["architecture"]?.AsString != Architecture)
            {
                return false;
            }

            string variant = platform["variant"]?.AsString;
            if (Variant == null)
            {
                return variant == null || (Architecture == "arm64" && variant == "v8");
            }

            return Variant == variant || (variant == null && Architecture == "arm64" && Variant == "v8");
        }

        public override string ToString() => Os + "/" + Architecture + (Variant != null ? "/" + Variant : string.Empty);
    }

    /// <summary>A blob's descriptor as JSON: mediaType, size, digest, and whatever else it carried.</summary>
    public static class Descriptor
    {
        public static JsonValue Create(string mediaType, long size, string digest) =>
            JsonValue.NewObject().Set("mediaType", mediaType).Set("size", size).Set("digest", digest);

        public static string DigestOf(JsonValue descriptor) => descriptor["digest"]?.AsString;

        public static long SizeOf(JsonValue descriptor) => descriptor["size"]?.AsInt64 ?? -1;

        public static string Sha256(byte[] bytes) => Sha256Digest.Of(bytes);
    }

    /// <summary>
    /// Builds an image's config and manifest from a base (or scratch) and the layers appended to it. Every
    /// byte depends only on the inputs, so the same base, layers, platform and time give the same digests.
    /// </summary>
    public static class ImageDocument
    {
        /// <summary>The time written when none is given: the Unix epoch, as reproducible builds (ko, apko) use.</summary>
        public static readonly DateTimeOffset DefaultCreated = new DateTimeOffset(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public const string CreatedBy = "Push-StreamLayer (StreamLayer)";

        /// <summary>A scratch image's config: the platform, an empty runtime config, no layers yet.</summary>
        public static JsonValue ScratchConfig(ImagePlatform platform)
        {
            JsonValue config = JsonValue.NewObject()
                .Set("architecture", platform.Architecture)
                .Set("os", platform.Os);
            if (platform.Variant != null)
            {
                config.Set("variant", platform.Variant);
            }

            return config
                .Set("config", JsonValue.NewObject())
                .Set("rootfs", JsonValue.NewObject().Set("type", "layers").Set("diff_ids", JsonValue.NewArray()))
                .Set("history", JsonValue.NewArray());
        }

        /// <summary>
        /// Appends layers to a config: their DiffIds to rootfs.diff_ids, one history entry each. With a time,
        /// the config's created and the new history entries carry it; without one they carry the base's
        /// created (scratch: the Unix epoch), so nothing depends on the clock.
        /// </summary>
        public static JsonValue AppendLayers(JsonValue config, IReadOnlyList<LayerDigest> layers, DateTimeOffset? created)
        {
            string time = created.HasValue
                ? FormatTime(created.Value)
                : config["created"]?.AsString ?? FormatTime(DefaultCreated);
            config.Set("created", time);

            JsonValue rootfs = config["rootfs"];
            if (rootfs == null || rootfs.Kind != JsonKind.Object)
            {
                rootfs = JsonValue.NewObject().Set("type", "layers");
                config.Set("rootfs", rootfs);
            }

            JsonValue diffIds = rootfs["diff_ids"];
            if (diffIds == null || diffIds.Kind != JsonKind.Array)
            {
                diffIds = JsonValue.NewArray();
                rootfs.Set("diff_ids", diffIds);
            }

            JsonValue history = config["history"];
            if (history == null || history.Kind != JsonKind.Array)
            {
                history = JsonValue.NewArray();
                config.Set("history", history);
            }

            foreach (LayerDigest layer in layers)
            {
                diffIds.Add(JsonValue.From(layer.DiffId));
                history.Add(JsonValue.NewObject().Set("created", time).Set("created_by", CreatedBy));
            }

            return config;
        }

        public static JsonValue Manifest(string mediaType, JsonValue configDescriptor, IEnumerable<JsonValue> layers)
        {
            JsonValue array = JsonValue.NewArray();
            foreach (JsonValue layer in layers)
            {
                array.Add(layer);
            }

            return JsonValue.NewObject()
                .Set("schemaVersion", 2)
                .Set("mediaType", mediaType)
                .Set("config", configDescriptor)
                .Set("layers", array);
        }

        public static string FormatTime(DateTimeOffset time) =>
            time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

        /// <summary>The layer media type a manifest of <paramref name="manifestMediaType"/> names a layer with.</summary>
        public static string LayerMediaTypeFor(string manifestMediaType, string layerMediaType)
        {
            if (manifestMediaType == ImageMediaTypes.DockerManifest)
            {
                return layerMediaType == MediaTypes.OciLayerGzip ? MediaTypes.DockerLayerGzip : layerMediaType;
            }

            return layerMediaType == MediaTypes.DockerLayerGzip ? MediaTypes.OciLayerGzip : layerMediaType;
        }
    }
}
