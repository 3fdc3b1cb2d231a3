using System;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Http;

namespace StreamLayer.Registry.Auth
{
    /// <summary>
    /// The authentication state of one registry client, driven by the registry's challenges: nothing is sent
    /// until a 401 names a scheme. Basic sends the credentials to the registry itself; Bearer exchanges them at
    /// the challenge's token server for a token covering every scope asked for so far, which is reused until it
    /// nears its expiry or the registry refuses it. Authorization only ever goes to the registry's own scheme,
    /// host and port, so a Location or redirect elsewhere (blob storage) never carries it.
    /// </summary>
    internal sealed class RegistryAuthenticator
    {
        private static readonly TimeSpan s_largestMargin = TimeSpan.FromSeconds(30);

        private readonly Uri _origin;
        private readonly bool _allowUnencrypted;
        private readonly CredentialLookup _credentials;
        private readonly TokenClient _tokens;
        private readonly Action<string> _log;
        private readonly SemaphoreSlim _exclusive = new SemaphoreSlim(1, 1);
        private readonly object _gate = new object();
        private readonly ScopeSet _scopes = new ScopeSet();

        private AuthScheme _scheme;
        private AuthChallenge _bearer;
        private string _basic;
        private string _token;
        private string _tokenScopes;
        private DateTime _refreshAtUtc;
        private int _generation;

        /// <param name="origin">The registry's scheme://host:port/, the only place its Authorization goes.</param>
        public RegistryAuthenticator(Uri origin, bool allowUnencryptedAuthentication, CredentialLookup credentials, TokenClient tokens, Action<string> log)
        {
            _origin = origin;
            _allowUnencrypted = allowUnencryptedAuthentication;
            _credentials = credentials;
            _tokens = tokens;
            _log = log;
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
        public bool Covers(Uri uri) => Redirect.SameOrigin(uri, _origin);

        /// <summary>The Authorization a request to <paramref name="uri"/> carries now: none for another host.</summary>
        public SentAuthorization Current(Uri uri)
        {
            if (!Covers(uri))
            {
                return default;
            }

            lock (_gate)
            {
                if (_scheme == AuthScheme.Basic)
                {
                    return new SentAuthorization(AuthScheme.Basic, _generation, new AuthenticationHeaderValue("Basic", _basic));
                }

                if (_scheme == AuthScheme.Bearer && _token != null)
                {
                    return new SentAuthorization(AuthScheme.Bearer, _generation, new AuthenticationHeaderValue("Bearer", _token));
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
                    _log("the token is about to expire; getting a new one");
                }

                RegistryCredential credential = await _credentials.FindAsync(cancellationToken).ConfigureAwait(false);
                string token;
                TimeSpan lifetime;
                if (credential?.Kind == RegistryCredentialKind.RegistryToken)
                {
                    token = credential.RegistryToken;
                    lifetime = TimeSpan.MaxValue;
                }
                else
                {
                    (token, lifetime) = await _tokens.FetchAsync(challenge, credential, scopes, cancellationToken).ConfigureAwait(false);
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
            AuthChallenge challenge = AuthChallenge.ToFollow(step, response);
            if (challenge == null)
            {
                return false;
            }

            return challenge.IsBearer
                ? await OnBearerAsync(step, response, challenge, sent, generationAtStart, cancellationToken).ConfigureAwait(false)
                : await OnBasicAsync(step, response, sent, cancellationToken).ConfigureAwait(false);
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
                    if (_scheme != AuthScheme.Bearer || _bearer.Realm != bearer.Realm || _bearer.Service != bearer.Service)
                    {
                        _log("the registry asks for a token from " + RedactedUrl.Of(bearer.Realm) + (bearer.Service != null ? " (service " + bearer.Service + ")" : string.Empty));
                        _scheme = AuthScheme.Bearer;
                        _bearer = bearer;
                        _token = null;
                    }

                    bool widened = false;
                    foreach (string scope in bearer.Scopes)
                    {
                        widened |= _scopes.Add(scope);
                    }

                    scopes = _scopes.ToString();
                    bool ourToken = sent.Scheme == AuthScheme.Bearer && sent.Generation == _generation && _token != null;

                    // A token obtained for this very request and refused anyway does not grant what it needs.
                    refused = ourToken && sent.Generation > generationAtStart && !widened;
                    if (ourToken && !refused)
                    {
                        _log("the registry refused the token" + (bearer.Error != null ? " (" + bearer.Error + ")" : string.Empty) + "; getting a new one");
                        _token = null;
                    }
                }

                if (!refused)
                {
                    return true;
                }

                RegistryCredential credential = await _credentials.FindAsync(cancellationToken).ConfigureAwait(false);
                string error = bearer.Error != null ? " (" + bearer.Error + ")" : string.Empty;
                if (credential == null)
                {
                    throw ErrorAnswer.Explain(RegistryFailure.Unauthorized, step, response, "it needs credentials for " + scopes + error + ", and an anonymous token does not grant it. " + _credentials.NoneFoundAdvice);
                }

                if (credential.Kind == RegistryCredentialKind.RegistryToken)
                {
                    throw ErrorAnswer.Explain(RegistryFailure.AuthenticationFailed, step, response, "it refused the registry token" + error + " of " + credential + ". Log in again.");
                }

                if (bearer.Error == "invalid_token")
                {
                    // The token server took the credentials; the registry cannot verify what it issued.
                    throw ErrorAnswer.Explain(
                        RegistryFailure.TokenRejected,
                        step,
                        response,
                        "it refused the token that the token server " + RedactedUrl.Of(bearer.Realm) + " had just issued to " + credential + " (invalid_token). "
                        + "The registry cannot verify the token: it does not trust the certificate the token server signs with (its auth token rootcertbundle), "
                        + "its issuer or service differ from the token's, or the clocks of the registry and the token server disagree. Ask the registry's operator to check these.");
                }

                throw ErrorAnswer.Explain(
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
                credential = await _credentials.FindAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _exclusive.Release();
            }

            if (sent.Scheme == AuthScheme.Basic)
            {
                throw ErrorAnswer.Explain(RegistryFailure.AuthenticationFailed, step, response, "it refused " + credential + ": the user name or password is wrong.");
            }

            if (credential == null)
            {
                throw ErrorAnswer.Explain(RegistryFailure.Unauthorized, step, response, "it asks for a user name and password. " + _credentials.NoneFoundAdvice);
            }

            if (credential.Kind != RegistryCredentialKind.Password)
            {
                throw ErrorAnswer.Explain(RegistryFailure.Unauthorized, step, response, "it asks for a user name and password (Basic), but the credentials found are a token: " + credential + ".");
            }

            CredentialTransport.EnsureEncrypted(step, _origin, "the registry", _allowUnencrypted);
            lock (_gate)
            {
                if (_scheme != AuthScheme.Basic)
                {
                    _log("the registry asks for a user name and password; sending " + credential);
                }

                _scheme = AuthScheme.Basic;
                _basic = credential.BasicParameter;
            }

            return true;
        }

        private bool NeedsToken()
        {
            lock (_gate)
            {
                return _scheme == AuthScheme.Bearer
                    && (_token == null || _tokenScopes != _scopes.ToString() || DateTime.UtcNow >= _refreshAtUtc);
            }
        }

        /// <summary>Renew a quarter of the lifetime early (at most 30 s): a token must not expire between the check and the request.</summary>
        private static TimeSpan Margin(TimeSpan lifetime) =>
            TimeSpan.FromTicks(Math.Min(lifetime.Ticks / 4, s_largestMargin.Ticks));
    }
}
