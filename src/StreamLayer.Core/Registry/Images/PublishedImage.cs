using System.Collections.Generic;
using StreamLayer.Registry.Json;

namespace StreamLayer.Registry.Images
{
    /// <summary>A manifest written to a repository or a layout: where it is, what it is, and what it holds.</summary>
    internal sealed class PublishedImage
    {
        private readonly IImageTarget _target;

        internal PublishedImage(
            IImageTarget target,
            string digest,
            string mediaType,
            long size,
            string configDigest,
            ImagePlatform platform,
            IReadOnlyList<string> tags,
            IReadOnlyList<JsonValue> layers,
            IReadOnlyList<string> diffIds)
        {
            _target = target;
            ManifestDigest = digest;
            MediaType = mediaType;
            Size = size;
            ConfigDigest = configDigest;
            Platform = platform;
            Tags = tags;
            Layers = layers;
            DiffIds = diffIds;
        }

        /// <summary>registry/repository@manifest digest, or oci:&lt;path&gt;@manifest digest.</summary>
        public string Reference => _target.ReferenceOf(ManifestDigest);

        public string ManifestDigest { get; }

        public string MediaType { get; }

        /// <summary>The manifest's length in bytes.</summary>
        public long Size { get; }

        public string ConfigDigest { get; }

        /// <summary>The config's os/architecture[/variant], or null when it names none.</summary>
        public ImagePlatform Platform { get; }

        public IReadOnlyList<string> Tags { get; }

        /// <summary>The layer descriptors of the manifest, the base's first.</summary>
        public IReadOnlyList<JsonValue> Layers { get; }

        /// <summary>The config's rootfs.diff_ids, one per layer.</summary>
        public IReadOnlyList<string> DiffIds { get; }

        /// <summary>The image as the host shows it: every layer in order, the base's as its manifest and config describe them, then <paramref name="pushed"/>.</summary>
        public PushedImage ToPushedImage(IReadOnlyList<LayerDigest> pushed)
        {
            var layers = new List<PushedLayer>(Layers.Count);
            int firstPushed = Layers.Count - pushed.Count;
            int firstDiffId = DiffIds.Count - Layers.Count;
            for (int i = 0; i < Layers.Count; i++)
            {
                string mediaType = Layers[i]["mediaType"]?.AsString;
                if (i >= firstPushed)
                {
                    LayerDigest layer = pushed[i - firstPushed];
                    layers.Add(new PushedLayer(layer.Digest, layer.DiffId, layer.Size, layer.UncompressedSize, mediaType ?? layer.MediaType, layer.Path, _target.Registry, _target.Repository, _target.ReferenceOf(layer.Digest)));
                    continue;
                }

                string digest = Descriptor.DigestOf(Layers[i]);
                string diffId = firstDiffId + i >= 0 ? DiffIds[firstDiffId + i] : null;
                layers.Add(new PushedLayer(digest, diffId, Descriptor.SizeOf(Layers[i]), null, mediaType, null, _target.Registry, _target.Repository, _target.ReferenceOf(digest)));
            }

            return new PushedImage(Reference, ManifestDigest, MediaType, Size, Platform?.ToString(), Tags, ConfigDigest, layers.AsReadOnly());
        }
    }
}
