using System.Net.Http.Headers;

namespace StreamLayer.Registry.Auth
{
    internal enum AuthScheme
    {
        None,
        Basic,
        Bearer,
    }

    /// <summary>What a request carries: the scheme, the generation of its token, and the header itself (null for none).</summary>
    internal readonly struct SentAuthorization
    {
        public SentAuthorization(AuthScheme scheme, int generation, AuthenticationHeaderValue header)
        {
            Scheme = scheme;
            Generation = generation;
            Header = header;
        }

        public AuthScheme Scheme { get; }

        public int Generation { get; }

        public AuthenticationHeaderValue Header { get; }
    }
}
