using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Http;
using StreamLayer.Registry.Json;

namespace StreamLayer.Registry.Auth
{
    /// <summary>
    /// Asks a Bearer challenge's token server (its realm) for a token as docker and go-containerregistry do: GET,
    /// with Basic credentials for a user name and password (one try, so a wrong password costs one failed login),
    /// and the OAuth2 POST (grant_type=refresh_token) for an identity token; and reads its answer. The server's
    /// own words reach a message only scrubbed of every secret the client knows, whatever the status.
    /// </summary>
    internal sealed class TokenClient
    {
        private const string Step = "Getting a token from the registry's token server";
        private static readonly TimeSpan s_defaultLifetime = TimeSpan.FromSeconds(60);

        private readonly RequestHandler _pipeline;
        private readonly CredentialLookup _credentials;
        private readonly bool _allowUnencrypted;
        private readonly Action<string> _log;
        private readonly Secrets _secrets;

        /// <param name="pipeline">The token server's own pipeline (scrub, retry, redirect, send): never the registry's.</param>
        /// <param name="credentials">For the advice when the server gives nothing anonymously.</param>
        /// <param name="secrets">What the token server's answers are scrubbed of; issued tokens join it.</param>
        public TokenClient(RequestHandler pipeline, CredentialLookup credentials, bool allowUnencryptedAuthentication, Action<string> log, Secrets secrets)
        {
            _secrets = secrets;
            _pipeline = pipeline;
            _credentials = credentials;
            _allowUnencrypted = allowUnencryptedAuthentication;
            _log = log;
        }

        /// <summary>A token for <paramref name="scopes"/> (separated by spaces) and how long it lasts.</summary>
        public async Task<(string Token, TimeSpan Lifetime)> FetchAsync(AuthChallenge challenge, RegistryCredential credential, string scopes, CancellationToken cancellationToken)
        {
            Uri realm = challenge.Realm;
            string[] scopeList = scopes.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
            if (credential != null)
            {
                CredentialTransport.EnsureEncrypted(Step, realm, "the token server", _allowUnencrypted);
            }

            HttpResponseMessage response = null;
            try
            {
                if (credential?.Kind == RegistryCredentialKind.IdentityToken)
                {
                    var form = new List<KeyValuePair<string, string>>
                    {
                        new KeyValuePair<string, string>("grant_type", "refresh_token"),
                        new KeyValuePair<string, string>("refresh_token", credential.IdentityToken),
                    };
                    if (challenge.Service != null)
                    {
                        form.Add(new KeyValuePair<string, string>("service", challenge.Service));
                    }

                    form.Add(new KeyValuePair<string, string>("scope", string.Join(" ", scopeList)));
                    form.Add(new KeyValuePair<string, string>("client_id", "streamlayer"));
                    response = await SendAsync(
                        realm,
                        new RegistryRequest(Step, HttpMethod.Post, realm).WithBody(() => new FormUrlEncodedContent(form)).HoldingSecret("the form that holds the identity token"),
                        cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    Uri uri = TokenUri(realm, challenge.Service, scopeList, credential?.Kind == RegistryCredentialKind.Password ? credential.UserName : null);
                    var request = new RegistryRequest(Step, HttpMethod.Get, uri);
                    if (credential?.Kind == RegistryCredentialKind.Password)
                    {
                        request = request.WithAuthorization(new AuthenticationHeaderValue("Basic", credential.BasicParameter));
                    }

                    response = await SendAsync(realm, request, cancellationToken).ConfigureAwait(false);
                }

                return await ReadAsync(response, realm, credential, scopes).ConfigureAwait(false);
            }
            finally
            {
                response?.Dispose();
            }
        }

        /// <summary>
        /// Sends a request to the token server through its own pipeline, which follows redirects as Go's client
        /// does for docker: the Basic header stays with the realm's own scheme, host and port, and an identity
        /// token that a 307 or 308 would carry elsewhere in the form is not sent at all.
        /// </summary>
        private async Task<HttpResponseMessage> SendAsync(Uri realm, RegistryRequest request, CancellationToken cancellationToken)
        {
            try
            {
                return await _pipeline.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (RegistryException e) when (e.Failure == RegistryFailure.ConnectionFailed || e.Failure == RegistryFailure.Timeout)
            {
                string where = e.Url == null || e.Url == RedactedUrl.Of(request.Uri) ? string.Empty : " (redirected to " + e.Url + ")";
                throw new RegistryException(
                    RegistryFailure.TokenRealmUnreachable,
                    "The registry sends clients to the token server " + RedactedUrl.Of(realm) + where + " for a token, and it cannot be reached: " + e.Message,
                    e)
                { Method = e.Method, Url = e.Url };
            }
        }

        private async Task<(string, TimeSpan)> ReadAsync(HttpResponseMessage response, Uri realm, RegistryCredential credential, string scopes)
        {
            int status = (int)response.StatusCode;
            if (status == 401)
            {
                RegistryException answer = await ErrorAnswer.ReadAsync(Step, response).ConfigureAwait(false);

                // No inner exception: the token server's own text is shown only scrubbed of secrets (Said).
                throw credential != null
                    ? answer.Rephrased(RegistryFailure.AuthenticationFailed, Step + ": the token server " + RedactedUrl.Of(realm) + " refused " + credential + ": the user name or password (or token) is wrong" + Said(answer, credential), null)
                    : answer.Rephrased(RegistryFailure.Unauthorized, Step + ": the token server " + RedactedUrl.Of(realm) + " gives no anonymous token for " + scopes + Said(answer, credential) + " " + _credentials.NoneFoundAdvice, null);
            }

            if (status == 403)
            {
                RegistryException answer = await ErrorAnswer.ReadAsync(Step, response).ConfigureAwait(false);
                throw answer.Rephrased(RegistryFailure.Denied, Step + ": the token server " + RedactedUrl.Of(realm) + " denied " + scopes + " to " + (credential?.ToString() ?? "an anonymous client") + Said(answer, credential), null);
            }

            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw await ErrorAnswer.ReadAsync(Step, response).ConfigureAwait(false);
            }

            byte[] body = response.Content == null ? Array.Empty<byte>() : await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
            if (!JsonValue.TryParse(body, out JsonValue json) || json.Kind != JsonKind.Object)
            {
                throw new RegistryException(RegistryFailure.ProtocolError, Step + ": the token server answered GET " + RedactedUrl.Of(realm) + " with 200 OK, but its answer is not a JSON object, so it holds no token. The realm the registry names is not a token server, or a proxy in front of it answers instead: tell the registry's operator.")
                { StatusCode = response.StatusCode, Method = "GET", Url = RedactedUrl.Of(realm) };
            }

            string token = json["token"]?.AsString;
            if (string.IsNullOrEmpty(token))
            {
                token = json["access_token"]?.AsString;
            }

            if (string.IsNullOrEmpty(token))
            {
                throw new RegistryException(RegistryFailure.ProtocolError, Step + ": the token server answered GET " + RedactedUrl.Of(realm) + " with 200 OK, but its answer holds no token (neither token nor access_token). The realm the registry names is not a token server, or it is misconfigured: tell the registry's operator.")
                { StatusCode = response.StatusCode, Method = "GET", Url = RedactedUrl.Of(realm) };
            }

            _secrets.Add(token);
            long? seconds = json["expires_in"]?.AsInt64;
            TimeSpan lifetime = seconds > 0 ? TimeSpan.FromSeconds(seconds.Value) : s_defaultLifetime;
            _log(string.Format(
                CultureInfo.InvariantCulture,
                "got a token for {0} from {1} ({2}valid for {3})",
                scopes,
                RedactedUrl.Of(realm),
                credential == null ? "anonymous, " : string.Empty,
                Seconds.Format(lifetime)));
            return (token, lifetime);
        }

        /// <summary>" (it answered 401: CODE: message)." from a token server's error answer, already scrubbed of secrets.</summary>
        private static string Said(RegistryException answer, RegistryCredential credential)
        {
            string errors = string.Join("; ", answer.Errors.Select(e => (e.Key ?? "?") + ": " + e.Value));
            return " (it answered " + (int?)answer.StatusCode + (errors.Length > 0 ? ": " + errors : string.Empty) + ").";
        }

        private static Uri TokenUri(Uri realm, string service, IEnumerable<string> scopes, string account)
        {
            var query = new List<string>();
            string existing = realm.Query.TrimStart('?');
            if (existing.Length > 0)
            {
                query.Add(existing);
            }

            if (service != null)
            {
                query.Add("service=" + Uri.EscapeDataString(service));
            }

            foreach (string scope in scopes)
            {
                query.Add("scope=" + Uri.EscapeDataString(scope));
            }

            if (account != null)
            {
                query.Add("account=" + Uri.EscapeDataString(account));
            }

            var builder = new UriBuilder(realm) { Query = string.Join("&", query) };
            return builder.Uri;
        }
    }
}
