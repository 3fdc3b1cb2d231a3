namespace StreamLayer
{
    /// <summary>A layer that is in a registry: its digests and sizes, and where it is.</summary>
    public sealed class PushedLayer
    {
        /// <param name="registry">The registry's host and port, as <see cref="Registry"/> gives it.</param>
        /// <param name="repository">The repository within the registry.</param>
        /// <param name="reference">registry/repository@digest.</param>
        internal PushedLayer(string digest, string diffId, long size, long? uncompressedSize, string mediaType, string path, string registry, string repository, string reference)
        {
            Digest = digest;
            DiffId = diffId;
            Size = size;
            UncompressedSize = uncompressedSize;
            MediaType = mediaType;
            Path = path;
            Registry = registry;
            Repository = repository;
            Reference = reference;
        }

        public string Digest { get; }

        public string DiffId { get; }

        public long Size { get; }

        /// <summary>Length of the uncompressed tar in bytes; null for a base image's layer, which was not read.</summary>
        public long? UncompressedSize { get; }

        public string MediaType { get; }

        /// <summary>The file the layer was read from, or null for pipeline and stream input and a base image's layers.</summary>
        public string Path { get; }

        /// <summary>The registry's host and port, e.g. localhost:5000 or index.docker.io.</summary>
        public string Registry { get; }

        /// <summary>The repository within the registry, e.g. team/app or library/ubuntu.</summary>
        public string Repository { get; }

        /// <summary>registry/repository@digest: where to fetch the blob.</summary>
        public string Reference { get; }

        public override string ToString() => Reference;
    }
}
