namespace StreamLayer
{
    /// <summary>One image of an image index: its manifest and the platform it serves.</summary>
    public sealed class ImageIndexEntry
    {
        internal ImageIndexEntry(string reference, string digest, string mediaType, long size, string platform)
        {
            Reference = reference;
            Digest = digest;
            MediaType = mediaType;
            Size = size;
            Platform = platform;
        }

        /// <summary>registry/repository@sha256:&lt;manifest&gt;, in the index's repository.</summary>
        public string Reference { get; }

        public string Digest { get; }

        public string MediaType { get; }

        /// <summary>The manifest's length in bytes.</summary>
        public long Size { get; }

        /// <summary>os/architecture[/variant], e.g. linux/arm64.</summary>
        public string Platform { get; }

        public override string ToString() => Reference;
    }
}
