namespace StreamLayer
{
    /// <summary>What identifies a layer: the digests and sizes of its compressed and uncompressed bytes.</summary>
    public sealed class LayerDigest
    {
        public LayerDigest(string digest, string diffId, long size, long uncompressedSize, string mediaType, string path = null)
        {
            Digest = digest;
            DiffId = diffId;
            Size = size;
            UncompressedSize = uncompressedSize;
            MediaType = mediaType;
            Path = path;
        }

        /// <summary>sha256 of the compressed blob, as <c>sha256:&lt;hex&gt;</c>.</summary>
        public string Digest { get; }

        /// <summary>sha256 of the uncompressed tar, as <c>sha256:&lt;hex&gt;</c>.</summary>
        public string DiffId { get; }

        /// <summary>Length of the compressed blob in bytes.</summary>
        public long Size { get; }

        /// <summary>Length of the uncompressed tar in bytes.</summary>
        public long UncompressedSize { get; }

        public string MediaType { get; }

        /// <summary>The file the layer was read from, or null for pipeline and stream input.</summary>
        public string Path { get; }

        public LayerDigest WithPath(string path) => new LayerDigest(Digest, DiffId, Size, UncompressedSize, MediaType, path);

        public override string ToString() => Digest;
    }
}
