using System;
using System.Collections.Generic;
using System.Globalization;
using StreamLayer.Registry.Json;

namespace StreamLayer.Registry.Images
{
    /// <summary>
    /// Builds an image's config and manifest from a base (or scratch) and the layers appended to it. Every
    /// byte depends only on the inputs, so the same base, layers, platform and time give the same digests.
    /// </summary>
    internal static class ImageDocument
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
