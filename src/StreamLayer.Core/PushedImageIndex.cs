using System.Collections.Generic;

namespace StreamLayer
{
    /// <summary>An image index (or Docker manifest list) that Push-ImageIndex wrote: one tag for several platforms.</summary>
    public sealed class PushedImageIndex
    {
        internal PushedImageIndex(string reference, string manifestDigest, string mediaType, long size, IReadOnlyList<string> tags, IReadOnlyList<ImageIndexEntry> manifests)
        {
            Reference = reference;
            ManifestDigest = manifestDigest;
            MediaType = mediaType;
            Size = size;
            Tags = tags;
            Manifests = manifests;
        }

        /// <summary>registry/repository@sha256:&lt;index&gt;: the index by its digest.</summary>
        public string Reference { get; }

        public string ManifestDigest { get; }

        /// <summary>application/vnd.oci.image.index.v1+json, or Docker's manifest list type when every image is Docker schema 2.</summary>
        public string MediaType { get; }

        /// <summary>The index's length in bytes.</summary>
        public long Size { get; }

        /// <summary>The tags written, in the repository of <see cref="Reference"/>.</summary>
        public IReadOnlyList<string> Tags { get; }

        /// <summary>The images of the index, in the order given.</summary>
        public IReadOnlyList<ImageIndexEntry> Manifests { get; }

        public override string ToString() => Reference;
    }
}
