using System;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Auth;
using StreamLayer.Registry.Http;

namespace StreamLayer.Registry
{
    /// <summary>
    /// One repository of one registry: its URLs, and sending a request to it with authentication applied. It
    /// composes the registry's connections (timeouts, retries, TLS) and the authenticator (challenges, tokens).
    /// </summary>
    internal sealed class RegistryClient : IDisposable
    {
        private readonly RegistryOptions _options;
        private readonly Connections _connections;
        private readonly RegistryAuthenticator _authenticator;
        private readonly Func<CancellationToken, Task> _prepareAuthorization;
        private readonly Secrets _secrets = new Secrets();
        private string _repositoryActions = "push,pull";

        public RegistryClient(ImageReference repository, RegistryOptions options, HttpMessageHandler handler = null)
        {
            Repository = repository ?? throw new ArgumentNullException(nameof(repository));
            _options = options ?? throw new ArgumentNullException(nameof(options));
            _options.Validate();

            RegistryCertificates certificates = RegistryCertificates.Find(repository.Registry, options.CertificateDirectory, options.ClientCertificate);
            if (certificates.Folder != null)
            {
                Log(string.Format(
                    CultureInfo.InvariantCulture,
                    "TLS for {0}: {1} CA certificate(s) and {2} client certificate(s) from {3}",
                    repository.Registry,
                    certificates.Authorities.Count,
                    certificates.ClientCertificates.Count,
                    certificates.Folder));
            }

            // A loopback registry speaks plain http, as go-containerregistry assumes, unless TLS is set up for it.
            bool tls = !options.PlainHttp && (!repository.IsLoopback || certificates.ConfiguresTls || options.SkipCertificateCheck);
            BaseUri = new Uri((tls ? "https" : "http") + "://" + repository.Registry + "/");
            Action<string> log = Log;
            var sending = new SendSettings
            {
                SkipCertificateCheck = options.SkipCertificateCheck,
                Timeout = options.Timeout,
                MaximumRetryCount = options.MaximumRetryCount,
                RetryInterval = options.RetryInterval,
                MaximumRetryAfter = options.MaximumRetryAfter,
                Deadline = options.EffectiveDeadline,
                Log = log,
            };
            _connections = new Connections(BaseUri, certificates, sending, handler);
            var credentials = new CredentialLookup(repository, options.Credential, options.CredentialSource, log, _secrets);
            var tokens = new TokenClient(_connections, credentials, options.AllowUnencryptedAuthentication, log, _secrets);
            _authenticator = new RegistryAuthenticator(BaseUri, options.AllowUnencryptedAuthentication, credentials, tokens, log);
            _authenticator.SetScope(RepositoryScopeResource, _repositoryActions);
            _prepareAuthorization = _authenticator.PrepareAsync;
        }

        public ImageReference Repository { get; }

        /// <summary>scheme://registry/ — https unless the registry is on this machine (and has no TLS set up) or PlainHttp was asked for.</summary>
        public Uri BaseUri { get; }

        /// <summary>
        /// The actions a token asks for on this client's repository: "push,pull" (the default), or "pull" for a
        /// client that only reads (a base image's registry).
        /// </summary>
        public string RepositoryActions
        {
            get => _repositoryActions;
            set
            {
                _repositoryActions = string.IsNullOrWhiteSpace(value) ? throw new ArgumentException("Actions look like push,pull or pull.", nameof(value)) : value;
                _authenticator.SetScope(RepositoryScopeResource, value);
            }
        }

        internal RegistryOptions Options => _options;

        private string RepositoryScopeResource => "repository:" + Repository.Repository;

        public Uri RepositoryUri(string suffix) => new Uri(BaseUri, "v2/" + Repository.Repository + "/" + suffix);

        /// <summary>A token scope for a repository of this registry, e.g. RepositoryScope("team/base", "pull") for a mount's source.</summary>
        public static string RepositoryScope(string repository, string actions) => "repository:" + repository + ":" + actions;

        /// <summary>
        /// Asks for one more scope in the tokens of this client from now on, e.g. repository:&lt;source&gt;:pull before
        /// mounting a blob from another repository. A token that does not cover it is replaced before the next request.
        /// </summary>
        public void RequestScope(string scope) => _authenticator.RequestScope(scope);

        public void Dispose() => _connections.Dispose();

        internal void Log(string message) => _options.Log?.Invoke(message);

        /// <summary>
        /// Sends a request to the registry with its Authorization (see <see cref="RequestSender.SendAsync"/> for
        /// the retries), following redirects. Returns the last response, whatever its status; the caller decides
        /// what is an error.
        /// </summary>
        internal async Task<HttpResponseMessage> SendAsync(
            string step,
            Func<Watchdog, HttpRequestMessage> create,
            Func<bool> canRetry,
            CancellationToken cancellationToken,
            HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
        {
            // A 401 is the registry's challenge: learn it, authenticate and send the request again when its body
            // can be made again (in memory, or a stream none of which was taken), a few rounds at most.
            int generationAtStart = _authenticator.Generation;
            for (int round = 0; ; round++)
            {
                SentAuthorization sent = default;
                bool bodyInMemory = true;
                HttpResponseMessage response = await SendFollowingRedirectsAsync(
                    step,
                    watchdog =>
                    {
                        HttpRequestMessage request = create(watchdog);
                        bodyInMemory = request.Content == null || request.Content is ByteArrayContent;
                        return request;
                    },
                    request => sent = _authenticator.Apply(request),
                    () => bodyInMemory || canRetry(),
                    canRetry,
                    cancellationToken,
                    completion).ConfigureAwait(false);

                if (response.StatusCode != HttpStatusCode.Unauthorized || round >= 3 || !_authenticator.Covers(response.RequestMessage?.RequestUri))
                {
                    return response;
                }

                bool again;
                try
                {
                    again = await _authenticator.OnUnauthorizedAsync(step, response, sent, generationAtStart, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    response.Dispose();
                    throw;
                }

                if (!again || !(bodyInMemory || canRetry()))
                {
                    return response;
                }

                response.Dispose();
            }
        }

        /// <summary>
        /// Sends the request, and again to each Location a 301, 302, 303, 307 or 308 names, at most
        /// <see cref="Redirect.MostHops"/> times, while its body can be sent again. A hop to another host goes over that
        /// host's own connection (no client certificate of the registry's) and carries no Authorization (see
        /// <see cref="RegistryAuthenticator.Apply"/>); no cookies are kept at all.
        /// </summary>
        private async Task<HttpResponseMessage> SendFollowingRedirectsAsync(
            string step,
            Func<Watchdog, HttpRequestMessage> create,
            Action<HttpRequestMessage> authorize,
            Func<bool> canResend,
            Func<bool> canRetry,
            CancellationToken cancellationToken,
            HttpCompletionOption completion)
        {
            return await Redirect.FollowAsync(
                step,
                "the registry",
                current => (current == null ? _connections.Registry : _connections.For(current.Location)).SendAsync(
                    step,
                    watchdog =>
                    {
                        HttpRequestMessage request = create(watchdog);
                        current?.ApplyTo(request);
                        authorize(request);
                        _secrets.Attach(request);
                        return request;
                    },
                    canRetry,
                    current == null || _authenticator.Covers(current.Location) ? _prepareAuthorization : null,
                    cancellationToken,
                    completion),
                canResend,
                Log).ConfigureAwait(false);
        }
    }
}
