namespace StreamLayer.Registry
{
    /// <summary>How a blob's bytes travel to the registry.</summary>
    public enum UploadMode
    {
        /// <summary>One PATCH whose body is the whole blob, sent as it is produced (what docker, skopeo and go-containerregistry do).</summary>
        Stream,

        /// <summary>PATCH requests of ChunkSize bytes with Content-Range, each retried on its own (for registries and proxies that cap request size).</summary>
        Chunked,
    }
}
