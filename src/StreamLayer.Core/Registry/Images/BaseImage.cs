using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Client;
using StreamLayer.Registry.Json;

namespace StreamLayer.Registry.Images
{
    /// <summary>An image to build on: its manifest (resolved to one platform), config and layers.</summary>
    internal sealed class BaseImage
    {
        private BaseImage(ImageReference reference, FetchedManifest manifest, JsonValue config)
        {
            Reference = reference;
            ManifestMediaType = manifest.MediaType;
            ManifestDigest = manifest.Digest;
            Config = config;
            Layers = manifest.Json["layers"]?.Items ?? Array.Empty<JsonValue>();
            Annotations = manifest.Json["annotations"];
        }

        public ImageReference Reference { get; }

        public string ManifestMediaType { get; }

        public string ManifestDigest { get; }

        public JsonValue Config { get; }

        public IReadOnlyList<JsonValue> Layers { get; }

        /// <summary>The base manifest's own annotations (kept in the new manifest, as crane keeps them), or null.</summary>
        public JsonValue Annotations { get; }

        /// <summary>Reads the base: an index is resolved to <paramref name="platform"/>'s entry; the config is read and checked.</summary>
        public static async Task<BaseImage> ResolveAsync(RegistryClient client, ImageReference reference, ImagePlatform platform, CancellationToken cancellationToken)
        {
            string wanted = reference.Digest ?? reference.Tag ?? "latest";
            FetchedManifest manifest = await Manifests.GetAsync(client, wanted, cancellationToken).ConfigureAwait(false)
                ?? throw new ImageException(ImageFailure.BaseImageNotFound, "The base image " + reference + " does not exist: the registry has no manifest " + wanted + " in " + reference.Name + ".");

            if (ImageMediaTypes.IsIndex(manifest.MediaType))
            {
                IReadOnlyList<JsonValue> entries = manifest.Json["manifests"]?.Items ?? Array.Empty<JsonValue>();
                JsonValue entry = entries.FirstOrDefault(e => platform.Matches(e["platform"]));
                if (entry == null)
                {
                    string offered = string.Join(", ", entries.Select(e => e["platform"]).Where(p => p != null)
                        .Select(p => p["os"]?.AsString + "/" + p["architecture"]?.AsString + (p["variant"] != null ? "/" + p["variant"].AsString : string.Empty)));
                    throw new ImageException(ImageFailure.PlatformNotFound, "The base image " + reference + " has no " + platform + " image; it has: " + (offered.Length > 0 ? offered : "no platforms") + ".");
                }

                string digest = Descriptor.DigestOf(entry);
                manifest = await Manifests.GetAsync(client, digest, cancellationToken).ConfigureAwait(false)
                    ?? throw new ImageException(ImageFailure.BaseImageInvalid, "The base image " + reference + " lists " + digest + " for " + platform + ", but the registry does not have it.");
            }

            if (!ImageMediaTypes.IsManifest(manifest.MediaType))
            {
                throw new ImageException(ImageFailure.BaseImageInvalid, "The base image " + reference + " is a " + (manifest.MediaType ?? "manifest of no media type") + ", not a Docker schema 2 or OCI image manifest.");
            }

            JsonValue configDescriptor = manifest.Json["config"];
            string configDigest = configDescriptor == null ? null : Descriptor.DigestOf(configDescriptor);
            if (configDigest == null)
            {
                throw new ImageException(ImageFailure.BaseImageInvalid, "The base image " + reference + " has no config.");
            }

            JsonValue config = await ConfigBlob.ReadAsync(client, configDigest, cancellationToken).ConfigureAwait(false)
                ?? throw new ImageException(ImageFailure.BaseImageInvalid, "The config of the base image " + reference + " does not match its digest, is over " + (CappedContent.ConfigLimit >> 20) + " MiB, or is not JSON.");

            return new BaseImage(reference, manifest, config);
        }
    }
}
