using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Blobs;
using StreamLayer.Registry.Client;

namespace StreamLayer.Registry.Images
{
    /// <summary>
    /// The image written around streamed layers, as crane append does: the base read and its layers made available
    /// in the target repository or layout before any input is read, the new layers collected as they land, and the config,
    /// manifest and tags written at the end, only once every layer is in place.
    /// </summary>
    internal sealed class ImageBuild : IDisposable
    {
        private readonly ImageReference _repository;
        private readonly List<LayerDigest> _layers = new List<LayerDigest>();
        private RegistryClient _baseClient;
        private bool _baseLayersReady;

        public ImageBuild(ImageReference repository, IReadOnlyList<string> tags, ImagePlatform platform, DateTimeOffset? created, ImageReference baseReference, ImageSettings settings)
        {
            _repository = repository;
            Tags = tags;
            Platform = platform;
            Created = created;
            BaseReference = baseReference;
            Settings = settings;
        }

        public IReadOnlyList<string> Tags { get; }

        public ImagePlatform Platform { get; }

        public DateTimeOffset? Created { get; }

        /// <summary>The config fields and annotations to set on top of the base's.</summary>
        public ImageSettings Settings { get; }

        /// <summary>The base image asked for; null for an image from scratch.</summary>
        public ImageReference BaseReference { get; }

        /// <summary>The base, once read; null before.</summary>
        public BaseImage Base { get; private set; }

        /// <summary>How many layers the base has; 0 before it is read, and for scratch.</summary>
        public int BaseLayerCount => Base?.Layers.Count ?? 0;

        /// <summary>Whether there is an image to write: a layer landed, and the base (if any) is in place.</summary>
        public bool IsReady => _layers.Count > 0 && (BaseReference == null || _baseLayersReady);

        /// <summary>A new layer, in order; the image is written once all of them have landed.</summary>
        public void Add(LayerDigest layer) => _layers.Add(layer);

        /// <summary>
        /// Reads the base image (its manifest for the platform, and its config) and checks that it fits the settings.
        /// Only reads. A base on another registry is read with the target's options but not its credential and certificates.
        /// </summary>
        public Task ResolveBaseAsync(RegistryClient target, CancellationToken cancellationToken)
        {
            bool sameRegistry = string.Equals(BaseReference.Registry, target.Repository.Registry, StringComparison.OrdinalIgnoreCase);
            return ResolveBaseAsync(sameRegistry ? target.Options : target.Options.ForOtherRegistry(), cancellationToken);
        }

        /// <summary>
        /// Reads the base image for a place that is not a registry (an OCI layout): the options, credential and
        /// certificates included, are the base registry's own.
        /// </summary>
        public async Task ResolveBaseAsync(RegistryOptions baseOptions, CancellationToken cancellationToken)
        {
            _baseClient = new RegistryClient(ImageReference.Parse(BaseReference.Name), baseOptions)
            {
                RepositoryActions = "pull",
            };
            Base = await BaseImage.ResolveAsync(_baseClient, BaseReference, Platform, cancellationToken).ConfigureAwait(false);
            _baseClient.Log("Base image " + BaseReference + ": " + Base.ManifestDigest + " (" + Base.ManifestMediaType + ", " + Base.Layers.Count + " layers)");
            ImagePublisher.CheckFormat(Base, Settings);
        }

        /// <summary>Makes the base's layers available in <paramref name="target"/>: already there, mounted, or copied.</summary>
        public async Task PrepareBaseLayersAsync(IImageTarget target, IProgress<ImageStep> progress, CancellationToken cancellationToken)
        {
            await target.MakeAvailableAsync(_baseClient, Base.Layers, "base layer", progress, cancellationToken).ConfigureAwait(false);
            _baseLayersReady = true;
        }

        /// <summary>Writes the config, the manifest and the tags; the image as the repository or layout now holds it.</summary>
        public async Task<PushedImage> PublishAsync(IImageTarget target, IProgress<ImageStep> progress, CancellationToken cancellationToken)
        {
            if (!IsReady)
            {
                throw new InvalidOperationException("The image is not ready: no layer has landed, or the base's layers are not in place.");
            }

            PublishedImage image = await ImagePublisher.PublishAsync(target, Base, Platform, _layers, Tags, Created, Settings, cancellationToken, progress).ConfigureAwait(false);
            return image.ToPushedImage(_layers);
        }

        public void Dispose() => _baseClient?.Dispose();
    }
}
