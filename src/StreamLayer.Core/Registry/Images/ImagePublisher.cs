using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Client;
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

        /// <summary>
        /// Makes blobs of a repository available in the target repository: skipped when already there, mounted
        /// on the same registry, copied otherwise. Foreign (non-distributable) layers stay where their URLs point.
        /// </summary>
        public static async Task MakeAvailableAsync(RegistryClient source, RegistryClient target, IEnumerable<JsonValue> descriptors, string noun, CancellationToken cancellationToken, IProgress<ImageStep> progress = null)
        {
            bool sameRegistry = string.Equals(source.Repository.Registry, target.Repository.Registry, StringComparison.OrdinalIgnoreCase);
            if (sameRegistry)
            {
                // A mount needs pull on the source repository in the same token as push on the target.
                target.RequestScope(RegistryClient.RepositoryScope(source.Repository.Repository, "pull"));
            }

            List<JsonValue> blobs = descriptors.ToList();
            for (int i = 0; i < blobs.Count; i++)
            {
                JsonValue blob = blobs[i];
                string digest = Descriptor.DigestOf(blob);
                long size = Descriptor.SizeOf(blob);
                ImageStep Step(string verb) => new ImageStep(verb + " " + noun, i + 1, blobs.Count, digest, 0, size);
                progress?.Report(Step("Checking"));
                if (!IsDistributable(blob))
                {
                    target.Log(noun + " " + digest + " is not distributable; it stays where its URLs point");
                    continue;
                }

                if (await RepositoryBlobs.ExistsAsync(target, digest, size, cancellationToken).ConfigureAwait(false))
                {
                    target.Log(noun + " " + digest + " is already in " + target.Repository.Name);
                    continue;
                }

                if (sameRegistry)
                {
                    progress?.Report(Step("Mounting"));
                }

                if (sameRegistry && await UploadSession.MountAsync(target, digest, source.Repository.Repository, cancellationToken).ConfigureAwait(false))
                {
                    target.Log(noun + " " + digest + " mounted from " + source.Repository.Repository);
                    continue;
                }

                target.Log("copying " + noun + " " + digest + " (" + size + " bytes) from " + source.Repository.Name);
                ImageStep copying = Step("Copying");
                await BlobTransfer.CopyAsync(source, target, digest, size, cancellationToken, progress == null ? (Action<long>)null : done => progress.Report(copying.WithBytes(done))).ConfigureAwait(false);
            }
        }

        /// <summary>Whether a layer travels with its image: foreign and non-distributable layers do not.</summary>
        public static bool IsDistributable(JsonValue descriptor)
        {
            string mediaType = descriptor["mediaType"]?.AsString ?? string.Empty;
            return !mediaType.Contains(ForeignLayerMarker) && !mediaType.Contains(NondistributableMarker);
        }

        /// <summary>Writes the config and the manifest, then the tags, to a repository or a layout. No tag is written unless everything before it landed.</summary>
        public static async Task<PublishedImage> PublishAsync(
            IImageTarget target,
            BaseImage baseImage,
            ImagePlatform platform,
            IReadOnlyList<LayerDigest> layers,
            IReadOnlyList<string> tags,
            DateTimeOffset? created,
            ImageSettings settings,
            CancellationToken cancellationToken,
            IProgress<ImageStep> progress = null)
        {
            if (layers.Count == 0)
            {
                throw new ArgumentException("An image needs at least one new layer.", nameof(layers));
            }

            settings = settings ?? new ImageSettings();
            string manifestType = ManifestTypeFor(baseImage, layers, settings);
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

            JsonValue config = ImageDocument.AppendLayers(baseImage?.Config ?? ImageDocument.ScratchConfig(platform), layers, created, settings);
            byte[] configBytes = config.ToUtf8();
            string configDigest = Sha256Digest.Of(configBytes);
            int writes = 2 + tags.Count;
            progress?.Report(new ImageStep("Writing the config", 1, writes, configDigest, 0, configBytes.Length));
            await target.PutBlobAsync(configBytes, cancellationToken).ConfigureAwait(false);

            byte[] manifest = ImageDocument.Manifest(
                manifestType,
                Descriptor.Create(ImageMediaTypes.ConfigFor(manifestType), configBytes.Length, configDigest),
                layerDescriptors,
                ImageDocument.Merge(baseImage?.Annotations, settings.Annotations)).ToUtf8();
            string manifestDigest = Sha256Digest.Of(manifest);
            progress?.Report(new ImageStep("Writing the manifest", 2, writes, manifestDigest, 0, manifest.Length));
            string digest = await target.PutManifestAsync(
                manifest,
                manifestType,
                tags,
                i => progress?.Report(new ImageStep("Writing the tag " + tags[i], 3 + i, writes, manifestDigest, 0, manifest.Length)),
                cancellationToken).ConfigureAwait(false);

            return new PublishedImage(
                target,
                digest,
                manifestType,
                manifest.Length,
                configDigest,
                ImageDocument.PlatformOf(config),
                tags,
                layerDescriptors,
                config["rootfs"]["diff_ids"].Items.Select(d => d.AsString).ToArray());
        }

        /// <summary>Refuses settings the base's format cannot hold: annotations on a Docker schema 2 base. Call it before any input is read.</summary>
        public static void CheckFormat(BaseImage baseImage, ImageSettings settings)
        {
            if (settings != null && settings.Annotations.Count > 0 && baseImage.ManifestMediaType == ImageMediaTypes.DockerManifest)
            {
                throw new ImageException(
                    ImageFailure.FormatConflict,
                    "The base image " + baseImage.Reference + " is a Docker schema 2 image, whose manifest has no annotations. Leave out -Annotation, or build on an OCI base.");
            }
        }

        /// <summary>
        /// The base's format; for scratch, Docker schema 2 when every layer has Docker's media type, else OCI.
        /// Annotations need OCI: a scratch image with them is OCI, and a Docker base refuses them.
        /// </summary>
        private static string ManifestTypeFor(BaseImage baseImage, IReadOnlyList<LayerDigest> layers, ImageSettings settings)
        {
            if (baseImage == null)
            {
                return settings.Annotations.Count == 0 && layers.All(l => l.MediaType == MediaTypes.DockerLayerGzip) ? ImageMediaTypes.DockerManifest : ImageMediaTypes.OciManifest;
            }

            CheckFormat(baseImage, settings);
            return baseImage.ManifestMediaType;
        }
    }
}
