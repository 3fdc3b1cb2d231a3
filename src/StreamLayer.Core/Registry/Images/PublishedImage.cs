using System.Collections.Generic;
using StreamLayer.Registry.Json;

namespace StreamLayer.Registry.Images
{
    /// <summary>A manifest written to a repository: where it is, what it is, and what it holds.</summary>
    internal sealed class PublishedImage
    {
        internal PublishedImage(
            ImageReference reference,
            string mediaType,
            long size,
            string configDigest,
            ImagePlatform platform,
            IReadOnlyList<string> tags,
            IReadOnlyList<JsonValue> layers,
            IReadOnlyList<string> diffIds)
        {
            Reference = reference;
            MediaType = mediaType;
            Size = size;
            ConfigDigest = configDigest;
            Platform = platform;
            Tags = tags;
            Layers = layers;
            DiffIds = diffIds;
        }

        /// <summary>registry/repository@manifest digest.</summary>
        public ImageReference Reference { get; }

        public string ManifestDigest => Reference.Digest;

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
    }
}
