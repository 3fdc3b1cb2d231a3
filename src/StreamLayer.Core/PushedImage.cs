using System.Collections.Generic;

namespace StreamLayer
{
    /// <summary>An image that Push-StreamLayer -Tag wrote: its manifest, platform, tags, config and layers.</summary>
    public sealed class PushedImage
    {
        internal PushedImage(string reference, string manifestDigest, string mediaType, long size, string platform, IReadOnlyList<string> tags, string configDigest, IReadOnlyList<PushedLayer> layers)
        {
            Reference = reference;
            ManifestDigest = manifestDigest;
            MediaType = mediaType;
            Size = size;
            Platform = platform;
            Tags = tags;
            ConfigDigest = configDigest;
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
    }
}
