using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Registry.Http
{
    /// <summary>
    /// Keeps the client's secrets out of whatever comes back: every message carries the set of secrets, so whoever
    /// reads an answer (its error body, a token server's words) scrubs with it, and a failure that comes up through
    /// the pipeline is scrubbed once more before anyone sees it.
    /// </summary>
    internal sealed class ScrubHandler : RequestHandler
    {
        private readonly Secrets _secrets;

        public ScrubHandler(Secrets secrets, RequestHandler next)
            : base(next) => _secrets = secrets;

        public override async Task<HttpResponseMessage> SendAsync(RegistryRequest request, CancellationToken cancellationToken)
        {
            try
            {
                return await Next.SendAsync(request.ScrubbedWith(_secrets), cancellationToken).ConfigureAwait(false);
            }
            catch (RegistryException e) when (_secrets.Scrub(e.Message) != e.Message)
            {
                throw e.Rephrased(e.Failure, _secrets.Scrub(e.Message), e.InnerException);
            }
        }
    }
}
