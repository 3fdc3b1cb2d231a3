using System.Collections.Generic;
using StreamLayer.Registry.Json;

namespace StreamLayer.Registry.Images
{
    /// <summary>A manifest written to a repository, and the references that now name it.</summary>
    internal sealed class PublishedImage
    {
        internal PublishedImage(string manifestDigest, IReadOnlyList<string> references, IReadOnlyList<JsonValue> layers)
        {
            ManifestDigest = manifestDigest;
            References = references;
            Layers = layers;
        }

        public string ManifestDigest { get; }

        /// <summary>registry/repository:tag for each tag, then registry/repository@digest.</summary>
        public IReadOnlyList<string> References { get; }

        /// <summary>The layer descriptors of the manifest, the base's first.</summary>
        public IReadOnlyList<JsonValue> Layers { get; }
    }
}
