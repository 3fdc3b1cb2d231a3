using System;
using System.Collections.Generic;
using StreamLayer.Registry;
using StreamLayer.Registry.Images;

namespace StreamLayer
{
    /// <summary>A layer that is in a registry: its digests and sizes, and where it is.</summary>
    public sealed class PushedLayer
    {
        internal PushedLayer(LayerDigest layer, ImageReference repository, PublishedImage image = null, string mediaTypeInManifest = null)
        {
            Digest = layer.Digest;
            DiffId = layer.DiffId;
            Size = layer.Size;
            UncompressedSize = layer.UncompressedSize;
            MediaType = mediaTypeInManifest ?? layer.MediaType;
            ManifestDigest = image?.ManifestDigest;
            References = image?.References ?? Array.Empty<string>();
            Path = layer.Path;
            Registry = repository.Registry;
            Repository = repository.Repository;
            Reference = repository.WithDigest(layer.Digest).ToString();
        }

        public string Digest { get; }

        public string DiffId { get; }

        public long Size { get; }

        public long UncompressedSize { get; }

        public string MediaType { get; }

        /// <summary>The file the layer was read from, or null for pipeline and stream input.</summary>
        public string Path { get; }

        /// <summary>The registry's host and port, e.g. localhost:5000 or index.docker.io.</summary>
        public string Registry { get; }

        /// <summary>The repository within the registry, e.g. team/app or library/ubuntu.</summary>
        public string Repository { get; }

        /// <summary>registry/repository@digest: where to fetch the blob.</summary>
        public string Reference { get; }

        /// <summary>The digest of the image manifest written with -Tag, or null.</summary>
        public string ManifestDigest { get; }

        /// <summary>The image's references written with -Tag: registry/repository:tag for each tag, then registry/repository@manifest digest.</summary>
        public IReadOnlyList<string> References { get; }

        public override string ToString() => Reference;
    }
}
