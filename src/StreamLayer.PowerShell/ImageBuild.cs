using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry;
using StreamLayer.Registry.Images;

namespace StreamLayer.Commands
{
    /// <summary>
    /// The image that Push-StreamLayer -Tag writes around its layers: the base read and its layers made available
    /// in the target repository before any input is read, the new layers collected as they land, and the config,
    /// manifest and tags written at the end.
    /// </summary>
    internal sealed class ImageBuild : IDisposable
    {
        private readonly List<LayerDigest> _layers = new List<LayerDigest>();
        private RegistryClient _baseClient;

        public ImageBuild(IReadOnlyList<string> tags, ImagePlatform platform, DateTimeOffset? created, ImageReference baseReference, ImageSettings settings)
        {
            Settings = settings;
            Tags = tags;
            Platform = platform;
            Created = created;
            BaseReference = baseReference;
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

        /// <summary>The new layers, in order.</summary>
        public IReadOnlyList<LayerDigest> Layers => _layers;

        /// <summary>Whether the base's layers were made available in the target (or there is no base).</summary>
        public bool BaseLayersReady { get; private set; }

        /// <summary>Whether there is an image to write: a layer landed, and the base (if any) is in place.</summary>
        public bool IsReady => _layers.Count > 0 && (BaseReference == null || BaseLayersReady);

        /// <summary>Marks the base's layers as in place in the target.</summary>
        public void BaseLayersMadeAvailable() => BaseLayersReady = true;

        public void Add(LayerDigest layer) => _layers.Add(layer);

        /// <summary>Reads the base image (its manifest for the platform, and its config) and checks it fits the settings. Only reads.</summary>
        /// <param name="options">The target's options; a base on another registry gets them without the target's own credential and certificates.</param>
        public async Task ResolveBaseAsync(RegistryClient target, RegistryOptions options, Action<string> log, CancellationToken cancellationToken)
        {
            bool sameRegistry = string.Equals(BaseReference.Registry, target.Repository.Registry, StringComparison.OrdinalIgnoreCase);
            _baseClient = new RegistryClient(ImageReference.Parse(BaseReference.Name), sameRegistry ? options : options.ForOtherRegistry())
            {
                RepositoryActions = "pull",
            };
            Base = await BaseImage.ResolveAsync(_baseClient, BaseReference, Platform, cancellationToken).ConfigureAwait(false);
            log("Base image " + BaseReference + ": " + Base.ManifestDigest + " (" + Base.ManifestMediaType + ", " + Base.Layers.Count + " layers)");
            ImagePublisher.CheckFormat(Base, Settings);
        }

        /// <summary>Makes the base's layers available in <paramref name="target"/>'s repository: already there, mounted, or copied.</summary>
        public Task PrepareBaseLayersAsync(RegistryClient target, IProgress<ImageStep> progress, CancellationToken cancellationToken) =>
            ImagePublisher.PrepareBaseLayersAsync(_baseClient, target, Base, cancellationToken, progress);

        public Task<PublishedImage> PublishAsync(RegistryClient target, IProgress<ImageStep> progress, CancellationToken cancellationToken) =>
            ImagePublisher.PublishAsync(target, Base, Platform, _layers, Tags, Created, Settings, cancellationToken, progress);

        public void Dispose() => _baseClient?.Dispose();
    }
}
