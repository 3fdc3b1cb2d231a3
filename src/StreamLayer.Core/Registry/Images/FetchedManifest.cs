using StreamLayer.Registry.Json;

namespace StreamLayer.Registry.Images
{
    /// <summary>A manifest as the registry sent it: the digest of its exact bytes, and the parsed document.</summary>
    internal sealed class FetchedManifest
    {
        internal FetchedManifest(string mediaType, byte[] bytes, JsonValue json)
        {
            MediaType = mediaType;
            Bytes = bytes;
            Json = json;
            Digest = Sha256Digest.Of(bytes);
        }

        public string MediaType { get; }

        /// <summary>The exact bytes, to write the manifest elsewhere under the same digest.</summary>
        public byte[] Bytes { get; }

        public JsonValue Json { get; }

        public string Digest { get; }
    }
}
