using StreamLayer.Registry.Client;

namespace StreamLayer.Registry.Blobs
{
    /// <summary>A repository: each layer is its own upload, as many as the input makes.</summary>
    internal sealed class RegistryDestination : ILayerDestination
    {
        private readonly RegistryClient _client;

        /// <param name="forImage">Whether the layers make one image (-Tag): then they stand or fall together.</param>
        public RegistryDestination(RegistryClient client, bool forImage)
        {
            _client = client;
            AllOrNothing = forImage;
        }

        public string Target => _client.Repository.Name;

        public string Verb => "uploaded";

        public string Action => "Push layer";

        public int MaxLayers => int.MaxValue;

        public bool AllOrNothing { get; }

        public ILayerSink OpenSink(LayerSource source) => new RegistrySink(_client);
    }
}
