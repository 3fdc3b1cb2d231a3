using System.Globalization;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Registry.Http
{
    /// <summary>
    /// Follows the Location of a 301, 302, 303, 307 or 308, at most <see cref="Redirect.MostHops"/> times, while the
    /// request can be sent again. Each hop is a request of its own to the handlers below (so the auth handler gives a
    /// hop to another host no Authorization); an Authorization the request's maker set, and a body that holds a
    /// secret, never travel to another origin. No cookies are kept at all.
    /// </summary>
    internal sealed class RedirectHandler : RequestHandler
    {
        private readonly string _server;
        private readonly SendSettings _settings;

        /// <param name="server">Who answers, for messages and the log: "the registry", "the token server".</param>
        public RedirectHandler(string server, SendSettings settings, RequestHandler next)
            : base(next)
        {
            _server = server;
            _settings = settings;
        }

        public override async Task<HttpResponseMessage> SendAsync(RegistryRequest request, CancellationToken cancellationToken)
        {
            RegistryRequest hop = request;
            for (int hops = 0; ; hops++)
            {
                HttpResponseMessage response = await Next.SendAsync(hop, cancellationToken).ConfigureAwait(false);
                Redirect next;
                try
                {
                    // The hop's, not the first request's: the GET a 303 makes of a streamed PATCH has no body, so it can be sent again.
                    next = Redirect.From(request.Step, response, hops, hop.CanSendAgain, _server);
                    if (next != null && next.Method == null && hop.SecretInBody != null && !Redirect.SameOrigin(request.Uri, next.Location))
                    {
                        throw new RegistryException(
                            RegistryFailure.RedirectNotFollowed,
                            request.Step + ": " + _server + " " + RedactedUrl.Of(request.Uri) + " answered " + (int)response.StatusCode + " to " + RedactedUrl.Of(next.Location)
                            + ", another host, keeping " + hop.SecretInBody + "; it was not sent there.")
                        {
                            StatusCode = response.StatusCode,
                            Method = hop.Method.Method,
                            Url = RedactedUrl.Of(hop.Uri),
                        };
                    }
                }
                catch
                {
                    response.Dispose();
                    throw;
                }

                if (next == null)
                {
                    return response;
                }

                _settings.Log?.Invoke(string.Format(CultureInfo.InvariantCulture, "{0} redirects ({1}) to {2}", _server, (int)response.StatusCode, RedactedUrl.Of(next.Location)));
                response.Dispose();
                hop = hop.RedirectedTo(next.Location, next.Method);
            }
        }
    }
}
