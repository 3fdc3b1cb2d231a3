using System;
using System.Collections.Generic;
using StreamLayer.Registry.Images;

namespace StreamLayer
{
    /// <summary>An image that Push-StreamLayer -Tag wrote: its manifest, platform, tags, config and layers.</summary>
    public sealed class PushedImage
    {
        private PushedImage(PublishedImage image, IReadOnlyList<PushedLayer> layers)
        {
            Reference = image.Reference.ToString();
            ManifestDigest = image.ManifestDigest;
            MediaType = image.MediaType;
            Size = image.Size;
            Platform = image.Platform?.ToString();
            Tags = image.Tags;
            ConfigDigest = image.ConfigDigest;
            Layers = layers;
        }

        /// <summary>registry/repository@sha256:&lt;manifest&gt;: the image by its digest.</summary>
        public string Reference { get; }

        public string ManifestDigest { get; }

        /// <summary>The manifest's media type: Docker schema 2 or OCI.</summary>
        public string MediaType { get; }

        /// <summary>The manifest's length in bytes.</summary>
        public long Size { get; }

        /// <summary>os/architecture[/variant] from the image's config, e.g. linux/arm64; null when the config names none.</summary>
        public string Platform { get; }

        /// <summary>The tags written, in the repository of <see cref="Reference"/>.</summary>
        public IReadOnlyList<string> Tags { get; }

        public string ConfigDigest { get; }

        /// <summary>Every layer of the image in order: the base's first, the pushed ones last.</summary>
        public IReadOnlyList<PushedLayer> Layers { get; }

        public override string ToString() => Reference;

        /// <summary>The image object of a manifest written on the base's layers and <paramref name="pushed"/>.</summary>
        internal static PushedImage From(PublishedImage image, IReadOnlyList<LayerDigest> pushed)
        {
            var layers = new List<PushedLayer>(image.Layers.Count);
            int firstPushed = image.Layers.Count - pushed.Count;
            int firstDiffId = image.DiffIds.Count - image.Layers.Count;
            for (int i = 0; i < image.Layers.Count; i++)
            {
                string mediaType = image.Layers[i]["mediaType"]?.AsString;
                string diffId = firstDiffId + i >= 0 ? image.DiffIds[firstDiffId + i] : null;
                layers.Add(i >= firstPushed
                    ? new PushedLayer(pushed[i - firstPushed], image.Reference, mediaType)
                    : PushedLayer.FromBase(image.Layers[i], diffId, image.Reference));
            }

            return new PushedImage(image, layers.AsReadOnly());
        }
    }
}
