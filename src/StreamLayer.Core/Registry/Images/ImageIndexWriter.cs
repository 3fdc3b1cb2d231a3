using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Client;
using StreamLayer.Registry.Blobs;
using StreamLayer.Registry.Http;
using StreamLayer.Registry.Json;

namespace StreamLayer.Registry.Images
{
    /// <summary>
    /// Writes an image index, as crane index append and docker buildx imagetools create do: every image is read
    /// and checked (a manifest, a platform no other image has, blobs its repository holds) before anything is
    /// written; then images from other repositories are mounted or copied into the index's, the index is
    /// written by its digest, and only then the tags. Into an OCI layout, it lists images of that layout only.
    /// </summary>
    internal sealed class ImageIndexWriter : IDisposable
    {
        private readonly IImageTarget _place;
        private readonly RegistryClient _target;
        private readonly RegistryOptions _options;
        private readonly Dictionary<string, RegistryClient> _sources = new Dictionary<string, RegistryClient>(StringComparer.Ordinal);
        private readonly List<IndexChild> _children = new List<IndexChild>();

        public ImageIndexWriter(RegistryClient target)
        {
            _target = target;
            _options = target.Options;
            _place = new RepositoryTarget(target);
        }

        /// <summary>An index written to a place that is not a registry (an OCI layout), of images that are there.</summary>
        public ImageIndexWriter(IImageTarget place)
        {
            _place = place;
        }

        public IReadOnlyList<IndexChild> Children => _children;

        /// <summary>Reads an image for the index and checks it fits: a manifest, a platform no other image has, blobs its repository holds.</summary>
        public async Task<IndexChild> AddAsync(IndexImage image, CancellationToken cancellationToken)
        {
            IndexChild child = _target == null
                ? await ReadThereAsync(image, cancellationToken).ConfigureAwait(false)
                : await ReadFromRegistryAsync(image, cancellationToken).ConfigureAwait(false);

            IndexChild same = _children.FirstOrDefault(c => c.PlatformKey == child.PlatformKey);
            if (same != null)
            {
                throw new ImageException(
                    ImageFailure.IndexPlatformDuplicate,
                    same.Asked + " and " + image.Asked + " are both for " + child.Platform + "; an index holds one image per platform.");
            }

            _children.Add(child);
            return child;
        }

        private async Task<IndexChild> ReadFromRegistryAsync(IndexImage image, CancellationToken cancellationToken)
        {
            ImageReference reference = image.Reference ?? throw new ArgumentException("An index in a registry lists images by their references.", nameof(image));
            bool otherRepository = reference.Name != _target.Repository.Name;
            try
            {
                return await ReadAsync(reference, otherRepository ? SourceFor(reference) : _target, image.Platform, cancellationToken).ConfigureAwait(false);
            }
            catch (RegistryException e) when (otherRepository)
            {
                throw Unavailable(reference.ToString(), e);
            }
        }

        /// <summary>An image of the place the index goes to (an OCI layout): its manifest, its config and every layer must be there.</summary>
        private async Task<IndexChild> ReadThereAsync(IndexImage image, CancellationToken cancellationToken)
        {
            string wanted = image.InLayout ?? throw new ArgumentException("An index in a layout lists images of that layout.", nameof(image));
            FetchedManifest manifest;
            try
            {
                manifest = await _place.GetManifestAsync(wanted, cancellationToken).ConfigureAwait(false);
            }
            catch (ImageException e) when (e.Failure == ImageFailure.BaseImageInvalid)
            {
                throw new ImageException(ImageFailure.IndexChildInvalid, "The image " + image.Asked + " cannot be put in an index: " + e.Message, e);
            }

            if (manifest == null)
            {
                throw new ImageException(ImageFailure.IndexChildNotFound, "Reading the index's images: the image " + image.Asked + " is not in " + _place.Name + ": "
                    + (wanted.StartsWith(Sha256Digest.Prefix, StringComparison.Ordinal) ? "it holds no blob of that digest" : "its index.json names no image so") + ". Push it there first, or name one that is there.");
            }

            string configDigest = CheckManifest(manifest, image.Asked);
            JsonValue config = await _place.ReadConfigAsync(configDigest, cancellationToken).ConfigureAwait(false)
                ?? throw new ImageException(ImageFailure.IndexChildUnavailable, "The config " + configDigest + " of the image " + image.Asked + " is not in " + _place.Name + ", is over " + (CappedContent.ConfigLimit >> 20) + " MiB, or is not JSON.");
            foreach (JsonValue layer in (manifest.Json["layers"]?.Items ?? Array.Empty<JsonValue>()).Where(ImagePublisher.IsDistributable))
            {
                if (!await _place.HasBlobAsync(Descriptor.DigestOf(layer), Descriptor.SizeOf(layer), cancellationToken).ConfigureAwait(false))
                {
                    throw new ImageException(ImageFailure.IndexChildUnavailable, "The image " + image.Asked + " is not whole in " + _place.Name + ": it lacks the layer " + Descriptor.DigestOf(layer) + ".");
                }
            }

            return new IndexChild(image.Asked, null, manifest, config, PlatformOf(image.Platform, config, image.Asked), inTarget: true);
        }

        /// <summary>Refuses what is not an image manifest with a config; the config's digest.</summary>
        private static string CheckManifest(FetchedManifest manifest, string asked)
        {
            if (!ImageMediaTypes.IsManifest(manifest.MediaType))
            {
                throw new ImageException(
                    ImageFailure.IndexChildInvalid,
                    "The image " + asked + " is a " + (manifest.MediaType ?? "manifest of no media type") + ", not a Docker schema 2 or OCI image manifest; an index lists images, each for one platform.");
            }

            string configDigest = manifest.Json["config"] == null ? null : Descriptor.DigestOf(manifest.Json["config"]);
            return configDigest ?? throw new ImageException(ImageFailure.IndexChildInvalid, "The image " + asked + " has no config.");
        }

        /// <summary>The platform the image object named, else its config's.</summary>
        private static ImagePlatform PlatformOf(ImagePlatform given, JsonValue config, string asked) =>
            given ?? ImageDocument.PlatformOf(config)
            ?? throw new ImageException(ImageFailure.IndexPlatformMissing, "The image " + asked + " names no os and architecture in its config, so it cannot serve a platform in an index.");

        /// <summary>Makes every image available in the index's repository, then writes the index and its tags.</summary>
        public async Task<PushedImageIndex> PublishAsync(IReadOnlyList<string> tags, IReadOnlyDictionary<string, string> annotations, CancellationToken cancellationToken)
        {
            ThrowIfEmpty();
            foreach (IndexChild child in _children.Where(c => !c.InTarget && _target != null))
            {
                try
                {
                    var blobs = new List<JsonValue> { child.Manifest.Json["config"] };
                    blobs.AddRange(child.Manifest.Json["layers"]?.Items ?? Array.Empty<JsonValue>());
                    await ImagePublisher.MakeAvailableAsync(child.Source, _target, blobs, "blob of " + child.Asked, cancellationToken).ConfigureAwait(false);
                    await Manifests.PutAsync(_target, child.Manifest.Digest, child.Manifest.Bytes, child.Manifest.MediaType, cancellationToken).ConfigureAwait(false);
                }
                catch (RegistryException e)
                {
                    throw Unavailable(child.Asked, e);
                }
            }

            // Docker's manifest list holds only Docker manifests and has no annotations; anything else is OCI.
            string mediaType = annotations.Count == 0 && _children.All(c => c.Manifest.MediaType == ImageMediaTypes.DockerManifest)
                ? ImageMediaTypes.DockerManifestList
                : ImageMediaTypes.OciIndex;
            byte[] index = ImageDocument.Index(
                mediaType,
                _children.Select(c => Descriptor.Create(c.Manifest.MediaType, c.Manifest.Bytes.Length, c.Manifest.Digest).Set("platform", c.PlatformJson())),
                ImageDocument.Merge(null, annotations)).ToUtf8();
            string digest = await _place.PutManifestAsync(index, mediaType, tags, null, cancellationToken).ConfigureAwait(false);

            ImageIndexEntry[] entries = _children.Select(c => new ImageIndexEntry(
                _place.ReferenceOf(c.Manifest.Digest),
                c.Manifest.Digest,
                c.Manifest.MediaType,
                c.Manifest.Bytes.Length,
                c.Platform.ToString())).ToArray();
            return new PushedImageIndex(_place.ReferenceOf(digest), digest, mediaType, index.Length, tags, entries);
        }

        /// <summary>Refuses an index of no image, before anything is written (or asked about).</summary>
        public void ThrowIfEmpty()
        {
            if (_children.Count == 0)
            {
                throw new ImageException(ImageFailure.IndexEmpty, "No image was given, so there is no index. Pipe the images of Push-StreamLayer -Tag into Push-ImageIndex, or name them with -Image.");
            }
        }

        public void Dispose()
        {
            foreach (RegistryClient source in _sources.Values)
            {
                source.Dispose();
            }
        }

        private async Task<IndexChild> ReadAsync(ImageReference reference, RegistryClient source, ImagePlatform platform, CancellationToken cancellationToken)
        {
            string wanted = reference.Digest ?? reference.Tag ?? "latest";
            FetchedManifest manifest;
            try
            {
                manifest = await Manifests.GetAsync(source, wanted, cancellationToken).ConfigureAwait(false);
            }
            catch (ImageException e) when (e.Failure == ImageFailure.BaseImageInvalid)
            {
                throw new ImageException(ImageFailure.IndexChildInvalid, "The image " + reference + " cannot be put in an index: " + e.Message, e);
            }

            if (manifest == null)
            {
                throw new ImageException(
                    ImageFailure.IndexChildNotFound,
                    "Reading the index's images: GET " + RedactedUrl.Of(source.RepositoryUri("manifests/" + wanted)) + " answered 404 Not Found, so the image " + reference
                    + " does not exist (the registry has no manifest " + wanted + " in " + reference.Name + "). Push it first, or name one that is there.");
            }

            string configDigest = CheckManifest(manifest, reference.ToString());

            bool inTarget = source == _target || await Manifests.GetAsync(_target, manifest.Digest, cancellationToken).ConfigureAwait(false) != null;
            RegistryClient holder = inTarget ? _target : source;
            JsonValue config = await ConfigBlob.ReadAsync(holder, configDigest, cancellationToken).ConfigureAwait(false)
                ?? throw new ImageException(ImageFailure.IndexChildInvalid, "The config of the image " + reference + " does not match its digest, is over " + (CappedContent.ConfigLimit >> 20) + " MiB, or is not JSON.");
            platform = PlatformOf(platform, config, reference.ToString());

            if (!inTarget)
            {
                // Checked now, so that a blob the source lacks stops the index before anything is written.
                foreach (JsonValue layer in (manifest.Json["layers"]?.Items ?? Array.Empty<JsonValue>()).Where(ImagePublisher.IsDistributable))
                {
                    if (!await RepositoryBlobs.ExistsAsync(source, Descriptor.DigestOf(layer), Descriptor.SizeOf(layer), cancellationToken).ConfigureAwait(false))
                    {
                        throw new ImageException(
                            ImageFailure.IndexChildUnavailable,
                            "The image " + reference + " cannot be mounted or copied into " + _target.Repository.Name + ": " + reference.Name + " does not hold its layer " + Descriptor.DigestOf(layer) + ".");
                    }
                }
            }

            return new IndexChild(reference.ToString(), source, manifest, config, platform, inTarget);
        }

        private RegistryClient SourceFor(ImageReference reference)
        {
            if (!_sources.TryGetValue(reference.Name, out RegistryClient source))
            {
                bool sameRegistry = string.Equals(reference.Registry, _target.Repository.Registry, StringComparison.OrdinalIgnoreCase);
                source = new RegistryClient(ImageReference.Parse(reference.Name), sameRegistry ? _options : _options.ForOtherRegistry())
                {
                    RepositoryActions = "pull",
                };
                _sources.Add(reference.Name, source);
            }

            return source;
        }

        private ImageException Unavailable(string reference, RegistryException e) => new ImageException(
            ImageFailure.IndexChildUnavailable,
            "The image " + reference + " cannot be mounted or copied into " + _target.Repository.Name + ": " + e.Message,
            e);
    }
}
