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

namespace StreamLayer.Registry
{
    /// <summary>
    /// The authentication state of one <see cref="RegistryClient"/>, driven by the registry's challenges: nothing
    /// is sent until a 401 names a scheme. Basic sends the credentials to the registry itself; Bearer exchanges
    /// them at the challenge's token server for a token covering every scope asked for so far, which is reused
    /// until it nears its expiry or the registry refuses it. Authorization only ever goes to the registry's own
    /// scheme, host and port, so a Location or redirect elsewhere (blob storage) never carries it.
    /// </summary>
    internal sealed class RegistryAuthenticator
    {
        private const string TokenStep = "Getting a token from the registry's token server";
        private static readonly TimeSpan s_defaultLifetime = TimeSpan.FromSeconds(60);
        private static readonly TimeSpan s_largestMargin = TimeSpan.FromSeconds(30);

        private readonly RegistryClient _client;
        private readonly RegistryOptions _options;
        private readonly Uri _origin;
        private readonly SemaphoreSlim _exclusive = new SemaphoreSlim(1, 1);
        private readonly object _gate = new object();
        private readonly ScopeSet _scopes = new ScopeSet();

        private Scheme _scheme;
        private AuthChallenge _bearer;
        private string _basic;
        private string _token;
        private string _tokenScopes;
        private DateTime _refreshAtUtc;
        private int _generation;

        private bool _credentialResolved;
        private RegistryCredential _credential;

        public RegistryAuthenticator(RegistryClient client, RegistryOptions options, Uri origin)
        {
            _client = client;
            _options = options;
            _origin = origin;
        }

        internal enum Scheme
        {
            None,
            Basic,
            Bearer,
        }

        /// <summary>Counts the tokens obtained; a request's answer is judged by whether its token is newer than the request.</summary>
        public int Generation
        {
            get
            {
                lock (_gate)
                {
                    return _generation;
                }
            }
        }

        /// <summary>Adds a scope (resource:name:actions) that the next token must cover; actions of one resource merge.</summary>
        public void RequestScope(string scope)
        {
            if (string.IsNullOrWhiteSpace(scope))
            {
                throw new ArgumentException("A scope looks like repository:team/app:pull.", nameof(scope));
            }

            lock (_gate)
            {
                _scopes.Add(scope.Trim());
            }
        }

        /// <summary>Sets exactly which actions the token asks for on a resource (the client's own repository).</summary>
        public void SetScope(string resource, string actions)
        {
            lock (_gate)
            {
                _scopes.Set(resource, actions.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries));
            }
        }

        /// <summary>Whether a request to <paramref name="uri"/> may carry the registry's Authorization: same scheme, host and port.</summary>
        public bool Covers(Uri uri) =>
            uri != null
            && uri.IsAbsoluteUri
            && string.Equals(uri.Scheme, _origin.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(uri.Host, _origin.Host, StringComparison.OrdinalIgnoreCase)
            && uri.Port == _origin.Port;

        /// <summary>Adds the current Authorization to a request for the registry; says what was sent.</summary>
        public SentAuthorization Apply(HttpRequestMessage request)
        {
            if (!Covers(request.RequestUri))
            {
                request.Headers.Authorization = null;
                return default;
            }

            lock (_gate)
            {
                if (_scheme == Scheme.Basic)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Basic", _basic);
                    return new SentAuthorization(Scheme.Basic, _generation);
                }

                if (_scheme == Scheme.Bearer && _token != null)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
                    return new SentAuthorization(Scheme.Bearer, _generation);
                }
            }

            return default;
        }

        /// <summary>
        /// Before a request: once the registry has asked for tokens, makes sure there is one that covers every scope
        /// asked for and is not about to expire, so that a request (above all a streamed body) is not refused.
        /// </summary>
        public async Task PrepareAsync(CancellationToken cancellationToken)
        {
            if (!NeedsToken())
            {
                return;
            }

            await _exclusive.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!NeedsToken())
                {
                    return;
                }

                AuthChallenge challenge;
                string scopes;
                bool expired;
                lock (_gate)
                {
                    challenge = _bearer;
                    scopes = _scopes.ToString();
                    expired = _token != null && _tokenScopes == scopes;
                }

                if (expired)
                {
                    _client.Log("the token is about to expire; getting a new one");
                }

                RegistryCredential credential = await ResolveCredentialAsync(cancellationToken).ConfigureAwait(false);
                string token;
                TimeSpan lifetime;
                if (credential?.Kind == RegistryCredentialKind.RegistryToken)
                {
                    token = credential.RegistryToken;
                    lifetime = TimeSpan.MaxValue;
                }
                else
                {
                    (token, lifetime) = await FetchTokenAsync(challenge, credential, scopes, cancellationToken).ConfigureAwait(false);
                }

                lock (_gate)
                {
                    _token = token;
                    _tokenScopes = scopes;
                    _refreshAtUtc = lifetime == TimeSpan.MaxValue ? DateTime.MaxValue : DateTime.UtcNow + lifetime - Margin(lifetime);
                    _generation++;
                }
            }
            finally
            {
                _exclusive.Release();
            }
        }

        /// <summary>
        /// After a 401 from the registry: learns the challenge and decides whether the request is worth sending
        /// again (true), or throws the failure that explains why not: no credentials, refused credentials, a token
        /// that does not grant the scope, a challenge that cannot be followed. False when there is no challenge.
        /// </summary>
        public async Task<bool> OnUnauthorizedAsync(string step, HttpResponseMessage response, SentAuthorization sent, int generationAtStart, CancellationToken cancellationToken)
        {
            if (!response.Headers.TryGetValues("WWW-Authenticate", out IEnumerable<string> values) || !values.Any(v => !string.IsNullOrWhiteSpace(v)))
            {
                return false;
            }

            IReadOnlyList<AuthChallenge> challenges;
            try
            {
                challenges = AuthChallenge.Parse(values);
            }
            catch (FormatException e)
            {
                throw Failure(RegistryFailure.ChallengeInvalid, step, response, "its WWW-Authenticate header is " + e.Message + ", so StreamLayer cannot tell how to authenticate.");
            }

            AuthChallenge bearer = challenges.FirstOrDefault(c => c.IsBearer);
            if (bearer != null)
            {
                Uri realm = bearer.Realm;
                if (realm == null || (realm.Scheme != Uri.UriSchemeHttps && realm.Scheme != Uri.UriSchemeHttp))
                {
                    throw Failure(RegistryFailure.ChallengeInvalid, step, response, "its Bearer challenge names no token server (realm) as an absolute http or https URL.");
                }

                return await OnBearerAsync(step, response, bearer, sent, generationAtStart, cancellationToken).ConfigureAwait(false);
            }

            AuthChallenge basic = challenges.FirstOrDefault(c => c.IsBasic);
            if (basic != null)
            {
                return await OnBasicAsync(step, response, sent, cancellationToken).ConfigureAwait(false);
            }

            throw Failure(
                RegistryFailure.ChallengeInvalid,
                step,
                response,
                "it asks for " + string.Join(" or ", challenges.Select(c => c.Scheme).Distinct()) + " authentication; StreamLayer speaks Basic and Bearer (token) authentication.");
        }

        private async Task<bool> OnBearerAsync(string step, HttpResponseMessage response, AuthChallenge bearer, SentAuthorization sent, int generationAtStart, CancellationToken cancellationToken)
        {
            await _exclusive.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                bool refused;
                string scopes;
                lock (_gate)
                {
                    if (_scheme != Scheme.Bearer || _bearer.Realm != bearer.Realm || _bearer.Service != bearer.Service)
                    {
                        _client.Log("the registry asks for a token from " + RedactedUrl.Of(bearer.Realm) + (bearer.Service != null ? " (service " + bearer.Service + ")" : string.Empty));
                        _scheme = Scheme.Bearer;
                        _bearer = bearer;
                        _token = null;
                    }

                    bool widened = false;
                    foreach (string scope in bearer.Scopes)
                    {
                        widened |= _scopes.Add(scope);
                    }

                    scopes = _scopes.ToString();
                    bool ourToken = sent.Scheme == Scheme.Bearer && sent.Generation == _generation && _token != null;

                    // A token obtained for this very request and refused anyway does not grant what it needs.
                    refused = ourToken && sent.Generation > generationAtStart && !widened;
                    if (ourToken && !refused)
                    {
                        _client.Log("the registry refused the token" + (bearer.Error != null ? " (" + bearer.Error + ")" : string.Empty) + "; getting a new one");
                        _token = null;
                    }
                }

                if (!refused)
                {
                    return true;
                }

                RegistryCredential credential = await ResolveCredentialAsync(cancellationToken).ConfigureAwait(false);
                string error = bearer.Error != null ? " (" + bearer.Error + ")" : string.Empty;
                if (credential == null)
                {
                    throw Failure(RegistryFailure.Unauthorized, step, response, "it needs credentials for " + scopes + error + ", and an anonymous token does not grant it. " + NoCredentialsAdvice());
                }

                if (credential.Kind == RegistryCredentialKind.RegistryToken)
                {
                    throw Failure(RegistryFailure.AuthenticationFailed, step, response, "it refused the registry token" + error + " of " + credential + ". Log in again.");
                }

                throw Failure(
                    RegistryFailure.Denied,
                    step,
                    response,
                    "the token server " + RedactedUrl.Of(bearer.Realm) + " did not grant " + scopes + " to " + credential + error + ". The account may not push to (or read) this repository.");
            }
            finally
            {
                _exclusive.Release();
            }
        }

        private async Task<bool> OnBasicAsync(string step, HttpResponseMessage response, SentAuthorization sent, CancellationToken cancellationToken)
        {
            RegistryCredential credential;
            await _exclusive.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                credential = await ResolveCredentialAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _exclusive.Release();
            }

            if (sent.Scheme == Scheme.Basic)
            {
                throw Failure(RegistryFailure.AuthenticationFailed, step, response, "it refused " + credential + ": the user name or password is wrong.");
            }

            if (credential == null)
            {
                throw Failure(RegistryFailure.Unauthorized, step, response, "it asks for a user name and password. " + NoCredentialsAdvice());
            }

            if (credential.Kind != RegistryCredentialKind.Password)
            {
                throw Failure(RegistryFailure.Unauthorized, step, response, "it asks for a user name and password (Basic), but the credentials found are a token: " + credential + ".");
            }

            EnsureEncrypted(step, _origin, "the registry");
            lock (_gate)
            {
                if (_scheme != Scheme.Basic)
                {
                    _client.Log("the registry asks for a user name and password; sending " + credential);
                }

                _scheme = Scheme.Basic;
                _basic = credential.BasicParameter;
            }

            return true;
        }

        /// <summary>The token for <paramref name="scopes"/> and how long it lasts: OAuth2 POST when there are credentials, GET otherwise or as the fallback.</summary>
        private async Task<(string Token, TimeSpan Lifetime)> FetchTokenAsync(AuthChallenge challenge, RegistryCredential credential, string scopes, CancellationToken cancellationToken)
        {
            Uri realm = challenge.Realm;
            string[] scopeList = scopes.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
            if (credential != null)
            {
                EnsureEncrypted(TokenStep, realm, "the token server");
            }

            HttpResponseMessage response = null;
            try
            {
                if (credential != null && credential.Kind != RegistryCredentialKind.RegistryToken)
                {
                    var form = new List<KeyValuePair<string, string>>();
                    if (credential.Kind == RegistryCredentialKind.IdentityToken)
                    {
                        form.Add(new KeyValuePair<string, string>("grant_type", "refresh_token"));
                        form.Add(new KeyValuePair<string, string>("refresh_token", credential.IdentityToken));
                    }
                    else
                    {
                        form.Add(new KeyValuePair<string, string>("grant_type", "password"));
                        form.Add(new KeyValuePair<string, string>("username", credential.UserName));
                        form.Add(new KeyValuePair<string, string>("password", credential.Password));
                    }

                    if (challenge.Service != null)
                    {
                        form.Add(new KeyValuePair<string, string>("service", challenge.Service));
                    }

                    form.Add(new KeyValuePair<string, string>("scope", string.Join(" ", scopeList)));
                    form.Add(new KeyValuePair<string, string>("client_id", "streamlayer"));
                    response = await SendTokenRequestAsync(realm, () => new HttpRequestMessage(HttpMethod.Post, realm) { Content = new FormUrlEncodedContent(form) }, cancellationToken).ConfigureAwait(false);

                    int status = (int)response.StatusCode;
                    if (credential.Kind == RegistryCredentialKind.Password && (status == 400 || status == 401 || status == 404 || status == 405))
                    {
                        // Not every token server speaks OAuth2; all of them take GET with basic credentials.
                        _client.Log("the token server answered the OAuth2 request with " + status + "; asking it with GET and basic credentials");
                        response.Dispose();
                        response = null;
                    }
                }

                if (response == null)
                {
                    Uri uri = TokenUri(realm, challenge.Service, scopeList, credential?.Kind == RegistryCredentialKind.Password ? credential.UserName : null);
                    response = await SendTokenRequestAsync(
                        realm,
                        () =>
                        {
                            var request = new HttpRequestMessage(HttpMethod.Get, uri);
                            if (credential?.Kind == RegistryCredentialKind.Password)
                            {
                                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credential.BasicParameter);
                            }

                            return request;
                        },
                        cancellationToken).ConfigureAwait(false);
                }

                return await ReadTokenAsync(response, realm, credential, scopes).ConfigureAwait(false);
            }
            finally
            {
                response?.Dispose();
            }
        }

        private async Task<HttpResponseMessage> SendTokenRequestAsync(Uri realm, Func<HttpRequestMessage> create, CancellationToken cancellationToken)
        {
            try
            {
                return await _client.SendToAsync(realm, TokenStep, _ => create(), cancellationToken).ConfigureAwait(false);
            }
            catch (RegistryException e) when (e.Failure == RegistryFailure.ConnectionFailed || e.Failure == RegistryFailure.Timeout)
            {
                throw new RegistryException(
                    RegistryFailure.TokenRealmUnreachable,
                    "The registry sends clients to the token server " + RedactedUrl.Of(realm) + " for a token, and it cannot be reached: " + e.Message,
                    e)
                { Method = e.Method, Url = e.Url };
            }
        }

        private async Task<(string, TimeSpan)> ReadTokenAsync(HttpResponseMessage response, Uri realm, RegistryCredential credential, string scopes)
        {
            int status = (int)response.StatusCode;
            if (status == 401)
            {
                RegistryException answer = await ErrorAnswer.ReadAsync(TokenStep, response).ConfigureAwait(false);

                // No inner exception: the token server's own text is shown only scrubbed of secrets (Said).
                throw credential != null
                    ? answer.Rephrased(RegistryFailure.AuthenticationFailed, TokenStep + ": the token server " + RedactedUrl.Of(realm) + " refused " + credential + ": the user name or password (or token) is wrong" + Said(answer), null)
                    : answer.Rephrased(RegistryFailure.Unauthorized, TokenStep + ": the token server " + RedactedUrl.Of(realm) + " gives no anonymous token for " + scopes + Said(answer) + " " + NoCredentialsAdvice(), null);
            }

            if (status == 403)
            {
                RegistryException answer = await ErrorAnswer.ReadAsync(TokenStep, response).ConfigureAwait(false);
                throw answer.Rephrased(RegistryFailure.Denied, TokenStep + ": the token server " + RedactedUrl.Of(realm) + " denied " + scopes + " to " + (credential?.ToString() ?? "an anonymous client") + Said(answer), null);
            }

            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw await ErrorAnswer.ReadAsync(TokenStep, response).ConfigureAwait(false);
            }

            string body = response.Content == null ? string.Empty : await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            if (!JsonValue.TryParse(body, out JsonValue json) || json.Kind != JsonKind.Object)
            {
                throw new RegistryException(RegistryFailure.ProtocolError, TokenStep + ": the answer of " + RedactedUrl.Of(realm) + " is not a JSON object.");
            }

            string token = json["token"]?.AsString;
            if (string.IsNullOrEmpty(token))
            {
                token = json["access_token"]?.AsString;
            }

            if (string.IsNullOrEmpty(token))
            {
                throw new RegistryException(RegistryFailure.ProtocolError, TokenStep + ": the answer of " + RedactedUrl.Of(realm) + " holds no token.");
            }

            long? seconds = json["expires_in"]?.AsInt64;
            TimeSpan lifetime = seconds > 0 ? TimeSpan.FromSeconds(seconds.Value) : s_defaultLifetime;
            _client.Log(string.Format(
                CultureInfo.InvariantCulture,
                "got a token for {0} from {1} ({2}valid for {3})",
                scopes,
                RedactedUrl.Of(realm),
                credential == null ? "anonymous, " : string.Empty,
                Seconds.Format(lifetime)));
            return (token, lifetime);
        }

        /// <summary>The credentials, looked up once: the caller's own, else the credential source's. The caller holds <see cref="_exclusive"/>.</summary>
        private async Task<RegistryCredential> ResolveCredentialAsync(CancellationToken cancellationToken)
        {
            if (_credentialResolved)
            {
                return _credential;
            }

            RegistryCredential credential = _options.Credential;
            if (credential == null && _options.CredentialSource != null)
            {
                credential = await _options.CredentialSource.FindAsync(_client.Repository, cancellationToken).ConfigureAwait(false);
                _client.Log(credential != null
                    ? "found credentials for " + _client.Repository.Registry + ": " + credential
                    : "no credentials for " + _client.Repository.Registry + " in " + _options.CredentialSource.Description);
            }

            _credential = credential;
            _credentialResolved = true;
            return credential;
        }

        private string NoCredentialsAdvice() =>
            "No credentials were found for " + _client.Repository.Registry
            + (_options.CredentialSource != null ? " in " + _options.CredentialSource.Description : string.Empty)
            + ": give -Credential, or log in with docker login or podman login.";

        private void EnsureEncrypted(string step, Uri uri, string what)
        {
            if (uri.Scheme == Uri.UriSchemeHttps || uri.IsLoopback || _options.AllowUnencryptedAuthentication)
            {
                return;
            }

            throw new RegistryException(
                RegistryFailure.UnencryptedAuthentication,
                step + ": " + what + " " + uri.Scheme + "://" + uri.Authority + " is reached over plain http, where credentials would travel unencrypted, so none were sent. "
                + "Use https, or give -AllowUnencryptedAuthentication if the network is trusted.");
        }

        private bool NeedsToken()
        {
            lock (_gate)
            {
                return _scheme == Scheme.Bearer
                    && (_token == null || _tokenScopes != _scopes.ToString() || DateTime.UtcNow >= _refreshAtUtc);
            }
        }

        /// <summary>Renew a quarter of the lifetime early (at most 30 s): a token must not expire between the check and the request.</summary>
        private static TimeSpan Margin(TimeSpan lifetime) =>
            TimeSpan.FromTicks(Math.Min(lifetime.Ticks / 4, s_largestMargin.Ticks));

        private static RegistryException Failure(RegistryFailure failure, string step, HttpResponseMessage response, string why)
        {
            string method = response.RequestMessage?.Method.Method;
            string url = RedactedUrl.Of(response.RequestMessage?.RequestUri);
            return new RegistryException(failure, step + ": the registry answered " + method + " " + url + " with " + (int)response.StatusCode + " " + response.ReasonPhrase + ": " + why)
            {
                StatusCode = response.StatusCode,
                Method = method,
                Url = url,
            };
        }

        /// <summary>" (it answered 401 Unauthorized: CODE: message)." from a token server's error answer.</summary>
        private string Said(RegistryException answer)
        {
            string errors = string.Join("; ", answer.Errors.Select(e => (e.Key ?? "?") + ": " + e.Value));
            return Scrub(" (it answered " + (int?)answer.StatusCode + (errors.Length > 0 ? ": " + errors : string.Empty) + ").");
        }

        /// <summary>Text from a token server, with any secret it echoed blanked out.</summary>
        private string Scrub(string text)
        {
            RegistryCredential credential = _credential;
            if (credential == null)
            {
                return text;
            }

            foreach (string secret in new[] { credential.Password, credential.IdentityToken, credential.RegistryToken, credential.Kind == RegistryCredentialKind.Password ? credential.BasicParameter : null })
            {
                if (!string.IsNullOrEmpty(secret))
                {
                    text = text.Replace(secret, "***");
                    text = text.Replace(Uri.EscapeDataString(secret), "***");
                }
            }

            return text;
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

        /// <summary>What a request carried: the scheme and the generation of its token.</summary>
        internal readonly struct SentAuthorization
        {
            public SentAuthorization(Scheme scheme, int generation)
            {
                Scheme = scheme;
                Generation = generation;
            }

            public Scheme Scheme { get; }

            public int Generation { get; }
        }

        /// <summary>Scopes in the order first asked for, with the actions on one resource merged: repository:a:push,pull.</summary>
        private sealed class ScopeSet
        {
            private readonly List<KeyValuePair<string, List<string>>> _resources = new List<KeyValuePair<string, List<string>>>();
            private string _text = string.Empty;

            /// <summary>Adds a scope; true when that widened the set.</summary>
            public bool Add(string scope)
            {
                int colon = scope.LastIndexOf(':');
                string resource = colon > 0 && scope.IndexOf(':') < colon ? scope.Substring(0, colon) : scope;
                string[] actions = colon > 0 && scope.IndexOf(':') < colon
                    ? scope.Substring(colon + 1).Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries)
                    : Array.Empty<string>();
                int index = _resources.FindIndex(r => r.Key == resource);
                if (index < 0)
                {
                    _resources.Add(new KeyValuePair<string, List<string>>(resource, actions.Distinct().ToList()));
                    Update();
                    return true;
                }

                List<string> known = _resources[index].Value;
                bool added = false;
                foreach (string action in actions)
                {
                    if (!known.Contains(action))
                    {
                        known.Add(action);
                        added = true;
                    }
                }

                if (added)
                {
                    Update();
                }

                return added;
            }

            public void Set(string resource, string[] actions)
            {
                int index = _resources.FindIndex(r => r.Key == resource);
                var list = actions.Select(a => a.Trim()).Where(a => a.Length > 0).Distinct().ToList();
                if (index < 0)
                {
                    _resources.Insert(0, new KeyValuePair<string, List<string>>(resource, list));
                }
                else
                {
                    _resources[index] = new KeyValuePair<string, List<string>>(resource, list);
                }

                Update();
            }

            public override string ToString() => _text;

            private void Update() =>
                _text = string.Join(" ", _resources.Select(r => r.Value.Count == 0 ? r.Key : r.Key + ":" + string.Join(",", r.Value)));
        }
    }
}
