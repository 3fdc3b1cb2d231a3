using StreamLayer.Registry;
using StreamLayer.Registry.Images;
using StreamLayer.Registry.Json;

namespace StreamLayer
{
    /// <summary>A layer that is in a registry: its digests and sizes, and where it is.</summary>
    public sealed class PushedLayer
    {
        internal PushedLayer(LayerDigest layer, ImageReference repository, string mediaTypeInManifest = null)
            : this(layer.Digest, layer.DiffId, layer.Size, layer.UncompressedSize, mediaTypeInManifest ?? layer.MediaType, layer.Path, repository)
        {
        }

        private PushedLayer(string digest, string diffId, long size, long? uncompressedSize, string mediaType, string path, ImageReference repository)
        {
            Digest = digest;
            DiffId = diffId;
            Size = size;
            UncompressedSize = uncompressedSize;
            MediaType = mediaType;
            Path = path;
            Registry = repository.Registry;
            Repository = repository.Repository;
            Reference = repository.WithDigest(digest).ToString();
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

        /// <summary>A base image's layer, as its manifest and config describe it.</summary>
        internal static PushedLayer FromBase(JsonValue descriptor, string diffId, ImageReference repository) => new PushedLayer(
            Descriptor.DigestOf(descriptor),
            diffId,
            Descriptor.SizeOf(descriptor),
            null,
            descriptor["mediaType"]?.AsString,
            null,
            repository);
    }
}
