using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Registry.Http
{
    /// <summary>
    /// One job in the pipeline every request goes through, as go-containerregistry composes its transports: each
    /// handler does its job around the next one. The registry's pipeline is scrub → retry → redirect → auth → send;
    /// the token server's is the same without auth.
    /// </summary>
    internal abstract class RequestHandler
    {
        protected RequestHandler(RequestHandler next) => Next = next;

        /// <summary>The handler this one sends through; null for the last, which sends.</summary>
        protected RequestHandler Next { get; }

        /// <summary>The answer to <paramref name="request"/>, whatever its status: the caller decides what is an error.</summary>
        public abstract Task<HttpResponseMessage> SendAsync(RegistryRequest request, CancellationToken cancellationToken);
    }
}
