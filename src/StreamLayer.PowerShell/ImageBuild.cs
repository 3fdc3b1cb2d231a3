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

        /// <summary>The base, once read; null before (or when it was declined).</summary>
        public BaseImage Base { get; private set; }

        /// <summary>The new layers, in order.</summary>
        public IReadOnlyList<LayerDigest> Layers => _layers;

        /// <summary>Whether there is an image to write: a layer landed, and the base (if any) was read.</summary>
        public bool IsReady => _layers.Count > 0 && (BaseReference == null || Base != null);

        public void Add(LayerDigest layer) => _layers.Add(layer);

        /// <summary>Reads the base image and makes its layers available in <paramref name="target"/>'s repository.</summary>
        /// <param name="options">The target's options; a base on another registry gets them without the target's own credential and certificates.</param>
        public async Task PrepareBaseAsync(RegistryClient target, RegistryOptions options, Action<string> log, CancellationToken cancellationToken)
        {
            bool sameRegistry = string.Equals(BaseReference.Registry, target.Repository.Registry, StringComparison.OrdinalIgnoreCase);
            _baseClient = new RegistryClient(ImageReference.Parse(BaseReference.Name), sameRegistry ? options : options.ForOtherRegistry())
            {
                RepositoryActions = "pull",
            };
            Base = await BaseImage.ResolveAsync(_baseClient, BaseReference, Platform, cancellationToken).ConfigureAwait(false);
            log("Base image " + BaseReference + ": " + Base.ManifestDigest + " (" + Base.ManifestMediaType + ", " + Base.Layers.Count + " layers)");
            ImagePublisher.CheckFormat(Base, Settings);
            await ImagePublisher.PrepareBaseLayersAsync(_baseClient, target, Base, cancellationToken).ConfigureAwait(false);
        }

        public Task<PublishedImage> PublishAsync(RegistryClient target, CancellationToken cancellationToken) =>
            ImagePublisher.PublishAsync(target, Base, Platform, _layers, Tags, Created, Settings, cancellationToken);

        public void Dispose() => _baseClient?.Dispose();
    }
}
