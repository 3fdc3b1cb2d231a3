namespace StreamLayer.Registry.Blobs
{
    /// <summary>The layer object of a blob pushed to a repository.</summary>
    internal static class PushedLayers
    {
        /// <param name="mediaTypeInManifest">The media type an image's manifest gives the layer; null for the layer's own.</param>
        public static PushedLayer Of(LayerDigest layer, ImageReference repository, string mediaTypeInManifest = null) => new PushedLayer(
            layer.Digest,
            layer.DiffId,
            layer.Size,
            layer.UncompressedSize,
            mediaTypeInManifest ?? layer.MediaType,
            layer.Path,
            repository.Registry,
            repository.Repository,
            repository.WithDigest(layer.Digest).ToString());
    }
}
