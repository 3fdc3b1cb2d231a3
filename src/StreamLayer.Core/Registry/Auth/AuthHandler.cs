using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Http;

namespace StreamLayer.Registry.Auth
{
    /// <summary>
    /// Authenticates requests to the registry itself (its scheme, host and port; a hop elsewhere goes without):
    /// makes sure of a token before a request once the registry has asked for tokens, sends the Authorization, and
    /// answers a 401's challenge by authenticating and sending the request again, when it can be sent again, a few
    /// rounds at most. The token server is reached through a pipeline of its own, never through this one.
    /// </summary>
    internal sealed class AuthHandler : RequestHandler
    {
        private const int MostRounds = 3;

        private readonly RegistryAuthenticator _authenticator;

        public AuthHandler(RegistryAuthenticator authenticator, RequestHandler next)
            : base(next) => _authenticator = authenticator;

        public override async Task<HttpResponseMessage> SendAsync(RegistryRequest request, CancellationToken cancellationToken)
        {
            if (!_authenticator.Covers(request.Uri))
            {
                return await Next.SendAsync(request.WithAuthorization(null), cancellationToken).ConfigureAwait(false);
            }

            int generationAtStart = _authenticator.Generation;
            for (int round = 0; ; round++)
            {
                // So that a request (above all a streamed body) is not refused for a token that expired or lacks a scope.
                await _authenticator.PrepareAsync(cancellationToken).ConfigureAwait(false);
                SentAuthorization sent = _authenticator.Current(request.Uri);
                HttpResponseMessage response = await Next.SendAsync(request.WithAuthorization(sent.Header), cancellationToken).ConfigureAwait(false);
                if (response.StatusCode != HttpStatusCode.Unauthorized || round >= MostRounds)
                {
                    return response;
                }

                bool again;
                try
                {
                    again = await _authenticator.OnUnauthorizedAsync(request.Step, response, sent, generationAtStart, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    response.Dispose();
                    throw;
                }

                if (!again || !request.CanSendAgain)
                {
                    return response;
                }

                response.Dispose();
            }
        }
    }
}
