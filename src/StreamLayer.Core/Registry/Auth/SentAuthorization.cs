namespace StreamLayer.Registry.Auth
{
    internal enum AuthScheme
    {
        None,
        Basic,
        Bearer,
    }

    /// <summary>What a request carried: the scheme and the generation of its token.</summary>
    internal readonly struct SentAuthorization
    {
        public SentAuthorization(AuthScheme scheme, int generation)
        {
            Scheme = scheme;
            Generation = generation;
        }

        public AuthScheme Scheme { get; }

        public int Generation { get; }
    }
}
