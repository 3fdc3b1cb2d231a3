using System;
using System.Globalization;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Auth;
using StreamLayer.Registry.Http;

namespace StreamLayer.Registry.Client
{
    /// <summary>
    /// One repository of one registry: its URLs, and the pipeline its requests go through (scrub → retry →
    /// redirect → auth → send). The token server gets a pipeline of its own on the same connections and secrets,
    /// without auth, so fetching a token never re-enters the registry's.
    /// </summary>
    internal sealed class RegistryClient : IDisposable
    {
        private readonly Connections _connections;
        private readonly RegistryAuthenticator _authenticator;
        private readonly RequestHandler _pipeline;
        private string _repositoryActions = "push,pull";

        public RegistryClient(ImageReference repository, RegistryOptions options, HttpMessageHandler handler = null)
        {
            Repository = repository ?? throw new ArgumentNullException(nameof(repository));
            Options = options ?? throw new ArgumentNullException(nameof(options));
            Options.Validate();

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
            var sending = new SendSettings
            {
                SkipCertificateCheck = options.SkipCertificateCheck,
                Timeout = options.Timeout,
                MaximumRetryCount = options.MaximumRetryCount,
                RetryInterval = options.RetryInterval,
                MaximumRetryAfter = options.MaximumRetryAfter,
                Deadline = options.EffectiveDeadline,
                Log = Log,
            };
            _connections = new Connections(BaseUri, certificates, sending, handler);
            var secrets = new Secrets();
            var send = new SendHandler(_connections, sending);
            var credentials = new CredentialLookup(repository, options.Credential, options.CredentialSource, Log, secrets);
            var tokenServer = new ScrubHandler(secrets, new RetryHandler(sending, new RedirectHandler("the token server", sending, send)));
            var tokens = new TokenClient(tokenServer, credentials, options.AllowUnencryptedAuthentication, Log, secrets);
            _authenticator = new RegistryAuthenticator(BaseUri, options.AllowUnencryptedAuthentication, credentials, tokens, Log);
            _authenticator.SetScope(RepositoryScopeResource, _repositoryActions);
            _pipeline = new ScrubHandler(secrets, new RetryHandler(sending, new RedirectHandler("the registry", sending, new AuthHandler(_authenticator, send))));
        }

        public ImageReference Repository { get; }

        /// <summary>scheme://registry/ — https unless the registry is on this machine (and has no TLS set up) or PlainHttp was asked for.</summary>
        public Uri BaseUri { get; }

        public RegistryOptions Options { get; }

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

        internal void Log(string message) => Options.Log?.Invoke(message);

        /// <summary>A request to this repository: <paramref name="suffix"/> after /v2/&lt;repository&gt;/, e.g. "blobs/uploads/".</summary>
        public RegistryRequest Request(string step, HttpMethod method, string suffix) => new RegistryRequest(step, method, RepositoryUri(suffix));

        /// <summary>Sends a request through the pipeline. Returns the last answer, whatever its status; the caller decides what is an error.</summary>
        public Task<HttpResponseMessage> SendAsync(RegistryRequest request, CancellationToken cancellationToken) => _pipeline.SendAsync(request, cancellationToken);
    }
}
