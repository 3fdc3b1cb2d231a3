using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Blobs;
using StreamLayer.Registry.Json;

namespace StreamLayer.Registry.Images
{
    /// <summary>
    /// Writes an image around streamed layers, as crane append does: the base's layers made available in the
    /// target repository (already there, mounted across repositories, or copied), a config with the new
    /// DiffIds and history, the manifest by digest, and only then the tags.
    /// </summary>
    internal static class ImagePublisher
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
            string configDigest = Sha256Digest.Of(configBytes);
            if (!await RepositoryBlobs.ExistsAsync(target, configDigest, configBytes.Length, cancellationToken).ConfigureAwait(false))
            {
                await BlobTransfer.UploadAsync(target, configBytes, cancellationToken).ConfigureAwait(false);
            }

            byte[] manifest = ImageDocument.Manifest(
                manifestType,
                Descriptor.Create(ImageMediaTypes.ConfigFor(manifestType), configBytes.Length, configDigest),
                layerDescriptors).ToUtf8();
            string digest = await Manifests.PutAsync(target, Sha256Digest.Of(manifest), manifest, manifestType, cancellationToken).ConfigureAwait(false);

            var references = new List<string>();
            foreach (string tag in tags)
            {
                await Manifests.PutAsync(target, tag, manifest, manifestType, cancellationToken).ConfigureAwait(false);
                references.Add(target.Repository.WithTag(tag).ToString());
            }

            references.Add(target.Repository.WithDigest(digest).ToString());
            return new PublishedImage(digest, references, layerDescriptors);
        }
    }
}
