using System;
using System.Net.Http;

namespace StreamLayer.Registry.Http
{
    /// <summary>
    /// Where a redirect sends a request, and how it is sent there, as Go's client (and so docker) does: 307 and 308
    /// keep the method and body; 301, 302 and 303 make anything but GET and HEAD a GET without a body.
    /// </summary>
    internal sealed class Redirect
    {
        /// <summary>How many redirects one request follows; S3, GCS and Azure send one.</summary>
        public const int MostHops = 5;

        private Redirect(Uri location, HttpMethod method)
        {
            Location = location;
            Method = method;
        }

        public Uri Location { get; }

        /// <summary>The method to use there; null to keep the request's own (and its body).</summary>
        public HttpMethod Method { get; }

        /// <summary>
        /// The redirect an answer asks for; null when it is not one. Throws when it cannot be followed: too many hops,
        /// from https to http, or a body that cannot be sent again (<paramref name="canResend"/> false: a streamed body already sent).
        /// </summary>
        /// <param name="server">Who answered, for the message: "the registry", "the token server".</param>
        public static Redirect From(string step, HttpResponseMessage response, int hopsSoFar, bool canResend, string server)
        {
            int status = (int)response.StatusCode;
            if ((status != 301 && status != 302 && status != 303 && status != 307 && status != 308) || response.Headers.Location == null)
            {
                return null;
            }

            Uri location = ResponseHeaders.Location(step, response);
            string method = response.RequestMessage?.Method.Method;
            string url = RedactedUrl.Of(response.RequestMessage?.RequestUri);
            string said = step + ": " + server + " answered " + method + " " + url + " with " + status + " " + response.ReasonPhrase + " to " + RedactedUrl.Of(location);
            if (hopsSoFar >= MostHops)
            {
                throw new RegistryException(RegistryFailure.ProtocolError, said + ", after " + MostHops + " redirects already; giving up. The redirects go round in a loop or too far: " + server + " or a proxy in front of it is misconfigured, tell its operator.")
                {
                    StatusCode = response.StatusCode,
                    Method = method,
                    Url = url,
                };
            }

            // A downgrade: what the request carries (credentials, a token, the blob) would cross the network unencrypted.
            if (string.Equals(response.RequestMessage?.RequestUri?.Scheme, "https", StringComparison.OrdinalIgnoreCase)
                && string.Equals(location.Scheme, "http", StringComparison.OrdinalIgnoreCase))
            {
                throw new RegistryException(
                    RegistryFailure.RedirectNotFollowed,
                    said + ": from https to http, which would send the request and what it carries unencrypted, so it is not followed. " + server + " or a proxy in front of it is misconfigured: tell its operator.")
                {
                    StatusCode = response.StatusCode,
                    Method = method,
                    Url = url,
                };
            }

            bool keepsMethod = status == 307 || status == 308 || method == "GET" || method == "HEAD";
            if (keepsMethod && !canResend)
            {
                throw new RegistryException(
                    RegistryFailure.RedirectNotFollowed,
                    said + " after its body was sent, and a streamed body cannot be sent again. Push with -UploadMode Chunked: its chunks can follow a redirect.")
                {
                    StatusCode = response.StatusCode,
                    Method = method,
                    Url = url,
                };
            }

            return new Redirect(location, keepsMethod ? null : HttpMethod.Get);
        }

        /// <summary>Whether two URLs have one origin (scheme, host and port), the reach of a server's credentials.</summary>
        public static bool SameOrigin(Uri a, Uri b) =>
            a != null
            && b != null
            && a.IsAbsoluteUri
            && b.IsAbsoluteUri
            && string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase)
            && a.Port == b.Port;
    }
}
