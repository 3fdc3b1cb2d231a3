using StreamLayer.Registry.Json;

namespace StreamLayer.Registry.Images
{
    /// <summary>A blob's descriptor as JSON: mediaType, size, digest, and whatever else it carried.</summary>
    internal static class Descriptor
    {
        public static JsonValue Create(string mediaType, long size, string digest) =>
            JsonValue.NewObject().Set("mediaType", mediaType).Set("size", size).Set("digest", digest);

        public static string DigestOf(JsonValue descriptor) => descriptor["digest"]?.AsString;

        public static long SizeOf(JsonValue descriptor) => descriptor["size"]?.AsInt64 ?? -1;
    }
}
