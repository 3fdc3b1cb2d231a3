using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Blobs;
using StreamLayer.Registry.Http;

namespace StreamLayer.Registry
{
    /// <summary>What went wrong with an image as a whole (as opposed to one HTTP request).</summary>
    public enum ImageFailure
    {
        BaseImageNotFound,
        PlatformNotFound,
        BaseImageInvalid,
        FormatConflict,
    }

    public sealed class ImageException : Exception
    {
        public ImageException(ImageFailure failure, string message, Exception inner = null)
            : base(message, inner) => Failure = failure;

        public ImageFailure Failure { get; }
    }

    /// <summary>A manifest as the registry sent it: its exact bytes, their digest, and the parsed document.</summary>
    public sealed class FetchedManifest
    {
        internal FetchedManifest(string mediaType, byte[] bytes, JsonValue json)
        {
            MediaType = mediaType;
            Bytes = bytes;
            Json = json;
            Digest = Descriptor.Sha256(bytes);
        }

        public string MediaType { get; }

        public byte[] Bytes { get; }

        public JsonValue Json { get; }

        public string Digest { get; }
    }

    /// <summary>The manifest endpoints of a repository.</summary>
    public static class Manifests
    {
        /// <summary>Reads a manifest or index by tag or digest; a manifest read by digest must hash to it. Null when there is none.</summary>
        public static async Task<FetchedManifest> GetAsync(RegistryClient client, string reference, CancellationToken cancellationToken)
        {
            const string step = "Reading a manifest";
            Uri uri = client.RepositoryUri("manifests/" + reference);
            using (HttpResponseMessage response = await client.SendAsync(
                step,
                _ =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Get, uri);
                    foreach (string type in ImageMediaTypes.Accepted)
                    {
                        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
                    }

                    return request;
                },
                () => true,
                cancellationToken).ConfigureAwait(false))
            {
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    return null;
                }

                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw await ErrorAnswer.ReadAsync(step, response).ConfigureAwait(false);
                }

                byte[] bytes = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
                if (!JsonValue.TryParse(System.Text.Encoding.UTF8.GetString(bytes), out JsonValue json) || json.Kind != JsonKind.Object)
                {
                    throw new ImageException(ImageFailure.BaseImageInvalid, client.Repository.Name + ":" + reference + " is not a JSON manifest.");
                }

                string mediaType = json["mediaType"]?.AsString ?? response.Content.Headers.ContentType?.MediaType;
                var manifest = new FetchedManifest(mediaType, bytes, json);
                if (reference.StartsWith("sha256:", StringComparison.Ordinal) && manifest.Digest != reference)
                {
                    throw new RegistryException(RegistryFailure.ProtocolError, step + ": the registry sent a manifest for " + reference + " whose digest is " + manifest.Digest + ".");
                }

                return manifest;
            }
        }

        /// <summary>Writes a manifest under a tag or its digest; returns the digest the registry confirmed.</summary>
        public static async Task<string> PutAsync(RegistryClient client, string reference, byte[] bytes, string mediaType, CancellationToken cancellationToken)
        {
            string step = reference.StartsWith("sha256:", StringComparison.Ordinal) ? "Writing the manifest" : "Writing the tag " + reference;
            string digest = Descriptor.Sha256(bytes);
            Uri uri = client.RepositoryUri("manifests/" + reference);
            using (HttpResponseMessage response = await client.SendAsync(
                step,
                _ =>
                {
                    var content = new ByteArrayContent(bytes);
                    content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
                    return new HttpRequestMessage(HttpMethod.Put, uri) { Content = content };
                },
                () => true,
                cancellationToken).ConfigureAwait(false))
            {
                if (response.StatusCode != HttpStatusCode.Created && response.StatusCode != HttpStatusCode.OK)
                {
                    throw await ErrorAnswer.ReadAsync(step, response).ConfigureAwait(false);
                }

                string confirmed = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault() : null;
                if (confirmed != null && confirmed != digest)
                {
                    throw new RegistryException(RegistryFailure.ProtocolError, step + ": the registry stored the manifest as " + confirmed + ", not " + digest + ".");
                }

                return digest;
            }
        }
    }

    /// <summary>An image to build on: its manifest (resolved to one platform), config and layers.</summary>
    public sealed class BaseImage
    {
        private BaseImage(ImageReference reference, FetchedManifest manifest, JsonValue config)
        {
            Reference = reference;
            ManifestMediaType = manifest.MediaType;
            ManifestDigest = manifest.Digest;
            Config = config;
            Layers = manifest.Json["layers"]?.Items ?? Array.Empty<JsonValue>();
        }

        public ImageReference Reference { get; }

        public string ManifestMediaType { get; }

        public string ManifestDigest { get; }

        public JsonValue Config { get; }

        public IReadOnlyList<JsonValue> Layers { get; }

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

            byte[] configBytes;
            using (HttpResponseMessage blob = await RepositoryBlobs.GetAsync(client, configDigest, cancellationToken).ConfigureAwait(false))
            {
                configBytes = await blob.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
            }

            if (Descriptor.Sha256(configBytes) != configDigest
                || !JsonValue.TryParse(System.Text.Encoding.UTF8.GetString(configBytes), out JsonValue config)
                || config.Kind != JsonKind.Object)
            {
                throw new ImageException(ImageFailure.BaseImageInvalid, "The config of the base image " + reference + " does not match its digest or is not JSON.");
            }

            return new BaseImage(reference, manifest, config);
        }
    }

    /// <summary>A manifest written to a repository, and the references that now name it.</summary>
    public sealed class PublishedImage
    {
        internal PublishedImage(string manifestDigest, string mediaType, IReadOnlyList<string> references, IReadOnlyList<JsonValue> layers)
        {
            ManifestDigest = manifestDigest;
            MediaType = mediaType;
            References = references;
            Layers = layers;
        }

        public string ManifestDigest { get; }

        public string MediaType { get; }

        /// <summary>registry/repository:tag for each tag, then registry/repository@digest.</summary>
        public IReadOnlyList<string> References { get; }

        /// <summary>The layer descriptors of the manifest, the base's first.</summary>
        public IReadOnlyList<JsonValue> Layers { get; }
    }

    /// <summary>
    /// Writes an image around streamed layers, as crane append does: the base's layers made available in the
    /// target repository (already there, mounted across repositories, or copied), a config with the new
    /// DiffIds and history, the manifest by digest, and only then the tags.
    /// </summary>
    public static class ImagePublisher
    {
        private const string ForeignLayerMarker = ".foreign.";
        private const string NondistributableMarker = "nondistributable";

        /// <summary>Makes every base layer available in the target repository.</summary>
        public static async Task PrepareBaseLayersAsync(RegistryClient source, RegistryClient target, BaseImage baseImage, CancellationToken cancellationToken)
        {
            bool sameRegistry = string.Equals(source.Repository.Registry, target.Repository.Registry, StringComparison.OrdinalIgnoreCase);
            if (sameRegistry)
            {
                // A mount needs pull on the source repository in the same token as push on the target.
                target.RequestScope(RegistryClient.RepositoryScope(source.Repository.Repository, "pull"));
            }

            foreach (JsonValue layer in baseImage.Layers)
            {
                string digest = Descriptor.DigestOf(layer);
                long size = Descriptor.SizeOf(layer);
                string mediaType = layer["mediaType"]?.AsString ?? string.Empty;
                if (mediaType.Contains(ForeignLayerMarker) || mediaType.Contains(NondistributableMarker))
                {
                    target.Log("base layer " + digest + " is not distributable; it stays where its URLs point");
                    continue;
                }

                if (await RepositoryBlobs.ExistsAsync(target, digest, size, cancellationToken).ConfigureAwait(false))
                {
                    target.Log("base layer " + digest + " is already in " + target.Repository.Name);
                    continue;
                }

                if (sameRegistry && await UploadSession.MountAsync(target, digest, source.Repository.Repository, cancellationToken).ConfigureAwait(false))
                {
                    target.Log("base layer " + digest + " mounted from " + source.Repository.Repository);
                    continue;
                }

                target.Log("copying base layer " + digest + " (" + size + " bytes) from " + source.Repository.Name);
                await BlobTransfer.CopyAsync(source, target, digest, size, cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>Writes the config and the manifest, then the tags. No tag is written unless everything before it landed.</summary>
        public static async Task<PublishedImage> PublishAsync(
            RegistryClient target,
            BaseImage baseImage,
            ImagePlatform platform,
            IReadOnlyList<LayerDigest> layers,
            IReadOnlyList<string> tags,
            DateTimeOffset? created,
            CancellationToken cancellationToken)
        {
            if (layers.Count == 0)
            {
                throw new ArgumentException("An image needs at least one new layer.", nameof(layers));
            }

            string manifestType = baseImage?.ManifestMediaType
                ?? (layers.All(l => l.MediaType == MediaTypes.DockerLayerGzip) ? ImageMediaTypes.DockerManifest : ImageMediaTypes.OciManifest);

            var layerDescriptors = new List<JsonValue>(baseImage?.Layers ?? Array.Empty<JsonValue>());
            foreach (LayerDigest layer in layers)
            {
                string mediaType = ImageDocument.LayerMediaTypeFor(manifestType, layer.MediaType);
                if (manifestType == ImageMediaTypes.DockerManifest && !mediaType.StartsWith("application/vnd.docker.", StringComparison.Ordinal))
                {
                    throw new ImageException(
                        ImageFailure.FormatConflict,
                        "The base image " + baseImage?.Reference + " is a Docker schema 2 image, which cannot hold a " + layer.MediaType + " layer. Push the layer as gzip, or build on an OCI base.");
                }

                layerDescriptors.Add(Descriptor.Create(mediaType, layer.Size, layer.Digest));
            }

            JsonValue config = ImageDocument.AppendLayers(baseImage?.Config ?? ImageDocument.ScratchConfig(platform), layers, created);
            byte[] configBytes = config.ToUtf8();
            string configDigest = Descriptor.Sha256(configBytes);
            if (!await RepositoryBlobs.ExistsAsync(target, configDigest, configBytes.Length, cancellationToken).ConfigureAwait(false))
            {
                await BlobTransfer.UploadAsync(target, configBytes, cancellationToken).ConfigureAwait(false);
            }

            byte[] manifest = ImageDocument.Manifest(
                manifestType,
                Descriptor.Create(ImageMediaTypes.ConfigFor(manifestType), configBytes.Length, configDigest),
                layerDescriptors).ToUtf8();
            string digest = await Manifests.PutAsync(target, Descriptor.Sha256(manifest), manifest, manifestType, cancellationToken).ConfigureAwait(false);

            var references = new List<string>();
            foreach (string tag in tags)
            {
                await Manifests.PutAsync(target, tag, manifest, manifestType, cancellationToken).ConfigureAwait(false);
                references.Add(target.Repository.WithTag(tag).ToString());
            }

            references.Add(target.Repository.WithDigest(digest).ToString());
            return new PublishedImage(digest, manifestType, references, layerDescriptors);
        }
    }
}
