using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using StreamLayer.Registry.Json;

namespace StreamLayer.Registry.Images
{
    /// <summary>
    /// Builds an image's config and manifest, and an index, from their parts. Every byte depends only on the
    /// inputs, so the same base, layers, settings, platform and time give the same digests.
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
        /// Appends layers to a config: their DiffIds to rootfs.diff_ids, one history entry each; then applies the
        /// settings to the runtime config, with a history entry that records them. With a time, the config's
        /// created and the new history entries carry it; without one they carry the base's created (scratch:
        /// the Unix epoch), so nothing depends on the clock.
        /// </summary>
        public static JsonValue AppendLayers(JsonValue config, IReadOnlyList<LayerDigest> layers, DateTimeOffset? created, ImageSettings settings = null)
        {
            string time = created.HasValue
                ? FormatTime(created.Value)
                : config["created"]?.AsString ?? FormatTime(DefaultCreated);
            config.Set("created", time);

            JsonValue rootfs = ObjectMember(config, "rootfs");
            if (rootfs["type"] == null)
            {
                rootfs.Set("type", "layers");
            }

            JsonValue diffIds = ArrayMember(rootfs, "diff_ids");
            JsonValue history = ArrayMember(config, "history");
            foreach (LayerDigest layer in layers)
            {
                diffIds.Add(JsonValue.From(layer.DiffId));
                history.Add(JsonValue.NewObject().Set("created", time).Set("created_by", CreatedBy));
            }

            if (settings != null && settings.ChangesConfig)
            {
                ApplySettings(ObjectMember(config, "config"), settings);
                history.Add(JsonValue.NewObject()
                    .Set("created", time)
                    .Set("created_by", DescribeSettings(settings))
                    .Set("empty_layer", JsonValue.From(true)));
            }

            return config;
        }

        /// <summary>The config's platform (os/architecture[/variant]), or null when it names no os or architecture.</summary>
        public static ImagePlatform PlatformOf(JsonValue config)
        {
            string os = config["os"]?.AsString;
            string architecture = config["architecture"]?.AsString;
            if (string.IsNullOrEmpty(os) || string.IsNullOrEmpty(architecture))
            {
                return null;
            }

            string variant = config["variant"]?.AsString;
            return ImagePlatform.Parse(os + "/" + architecture + (string.IsNullOrEmpty(variant) ? string.Empty : "/" + variant));
        }

        /// <summary>An object of string values merged with changes (a null value removes the key), keys in ordinal order; null when empty and there was none.</summary>
        public static JsonValue Merge(JsonValue existing, IReadOnlyDictionary<string, string> changes)
        {
            if (changes.Count == 0)
            {
                return existing;
            }

            var merged = new SortedDictionary<string, JsonValue>(StringComparer.Ordinal);
            foreach (KeyValuePair<string, JsonValue> member in existing?.Members ?? Enumerable.Empty<KeyValuePair<string, JsonValue>>())
            {
                merged[member.Key] = member.Value;
            }

            foreach (KeyValuePair<string, string> change in changes)
            {
                if (change.Value == null)
                {
                    merged.Remove(change.Key);
                }
                else
                {
                    merged[change.Key] = JsonValue.From(change.Value);
                }
            }

            if (merged.Count == 0 && (existing == null || existing.Kind != JsonKind.Object))
            {
                return null;
            }

            JsonValue result = JsonValue.NewObject();
            foreach (KeyValuePair<string, JsonValue> member in merged)
            {
                result.Set(member.Key, member.Value);
            }

            return result;
        }

        public static JsonValue Manifest(string mediaType, JsonValue configDescriptor, IEnumerable<JsonValue> layers, JsonValue annotations = null)
        {
            JsonValue manifest = JsonValue.NewObject()
                .Set("schemaVersion", 2)
                .Set("mediaType", mediaType)
                .Set("config", configDescriptor)
                .Set("layers", ArrayOf(layers));
            return WithAnnotations(manifest, annotations);
        }

        /// <summary>An image index (or Docker manifest list) of descriptors that carry their platform.</summary>
        public static JsonValue Index(string mediaType, IEnumerable<JsonValue> manifests, JsonValue annotations = null)
        {
            JsonValue index = JsonValue.NewObject()
                .Set("schemaVersion", 2)
                .Set("mediaType", mediaType)
                .Set("manifests", ArrayOf(manifests));
            return WithAnnotations(index, annotations);
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

        private static void ApplySettings(JsonValue runtime, ImageSettings settings)
        {
            if (settings.Entrypoint != null)
            {
                runtime.Set("Entrypoint", StringArray(settings.Entrypoint));
            }

            if (settings.Cmd != null)
            {
                runtime.Set("Cmd", StringArray(settings.Cmd));
            }
            else if (settings.Entrypoint != null && runtime["Cmd"] != null)
            {
                // docker's rule: a new entrypoint does not run with the base's arguments.
                runtime.Set("Cmd", JsonValue.Null);
            }

            if (settings.Environment.Count > 0)
            {
                runtime.Set("Env", MergeEnvironment(runtime["Env"], settings.Environment));
            }

            if (settings.WorkingDirectory != null)
            {
                runtime.Set("WorkingDir", settings.WorkingDirectory);
            }

            if (settings.User != null)
            {
                runtime.Set("User", settings.User);
            }

            JsonValue labels = Merge(runtime["Labels"], settings.Labels);
            if (labels != null)
            {
                runtime.Set("Labels", labels);
            }
        }

        /// <summary>NAME=value entries: a variable already there is replaced in place, a new one appended, a null value removes it.</summary>
        private static JsonValue MergeEnvironment(JsonValue existing, IReadOnlyDictionary<string, string> changes)
        {
            var entries = new List<string>();
            foreach (JsonValue item in existing?.Items ?? Array.Empty<JsonValue>())
            {
                if (item.AsString != null)
                {
                    entries.Add(item.AsString);
                }
            }

            foreach (KeyValuePair<string, string> change in changes)
            {
                int at = entries.FindIndex(e => NameOf(e) == change.Key);
                if (change.Value == null)
                {
                    if (at >= 0)
                    {
                        entries.RemoveAt(at);
                    }
                }
                else if (at >= 0)
                {
                    entries[at] = change.Key + "=" + change.Value;
                }
                else
                {
                    entries.Add(change.Key + "=" + change.Value);
                }
            }

            return StringArray(entries);
        }

        private static string NameOf(string entry)
        {
            int equals = entry.IndexOf('=');
            return equals < 0 ? entry : entry.Substring(0, equals);
        }

        /// <summary>What was set, as the parameters that set it with JSON values: the history's created_by.</summary>
        private static string DescribeSettings(ImageSettings settings)
        {
            var text = new System.Text.StringBuilder("Push-StreamLayer");
            if (settings.Entrypoint != null)
            {
                text.Append(" -Entrypoint ").Append(StringArray(settings.Entrypoint));
            }

            if (settings.Cmd != null)
            {
                text.Append(" -Cmd ").Append(StringArray(settings.Cmd));
            }

            if (settings.Environment.Count > 0)
            {
                text.Append(" -Environment ").Append(ObjectOf(settings.Environment));
            }

            if (settings.WorkingDirectory != null)
            {
                text.Append(" -WorkingDirectory ").Append(JsonValue.From(settings.WorkingDirectory));
            }

            if (settings.User != null)
            {
                text.Append(" -User ").Append(JsonValue.From(settings.User));
            }

            if (settings.Labels.Count > 0)
            {
                text.Append(" -Label ").Append(ObjectOf(settings.Labels));
            }

            return text.ToString();
        }

        private static JsonValue ObjectOf(IReadOnlyDictionary<string, string> values)
        {
            JsonValue result = JsonValue.NewObject();
            foreach (KeyValuePair<string, string> value in values)
            {
                result.Set(value.Key, JsonValue.From(value.Value));
            }

            return result;
        }

        private static JsonValue StringArray(IEnumerable<string> values) => ArrayOf(values.Select(JsonValue.From));

        private static JsonValue ArrayOf(IEnumerable<JsonValue> items)
        {
            JsonValue array = JsonValue.NewArray();
            foreach (JsonValue item in items)
            {
                array.Add(item);
            }

            return array;
        }

        private static JsonValue WithAnnotations(JsonValue document, JsonValue annotations) =>
            annotations != null && annotations.Members.Any() ? document.Set("annotations", annotations) : document;

        /// <summary>The object member <paramref name="name"/>, made (or replaced, when it is not an object) if need be.</summary>
        private static JsonValue ObjectMember(JsonValue parent, string name)
        {
            JsonValue member = parent[name];
            if (member == null || member.Kind != JsonKind.Object)
            {
                member = JsonValue.NewObject();
                parent.Set(name, member);
            }

            return member;
        }

        private static JsonValue ArrayMember(JsonValue parent, string name)
        {
            JsonValue member = parent[name];
            if (member == null || member.Kind != JsonKind.Array)
            {
                member = JsonValue.NewArray();
                parent.Set(name, member);
            }

            return member;
        }
    }
}
