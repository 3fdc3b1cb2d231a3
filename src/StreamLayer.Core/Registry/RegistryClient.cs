using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Registry
{
    /// <summary>
    /// Talks to one repository of one registry: builds its URLs, sends requests with timeouts and retries,
    /// logs each HTTP step without credentials, and turns error answers into <see cref="RegistryException"/>.
    /// </summary>
    public sealed class RegistryClient : IDisposable
    {
        private static readonly string s_userAgent =
            "StreamLayer/" + typeof(RegistryClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0];

        private readonly HttpClient _http;
        private readonly RegistryOptions _options;
        private readonly Random _jitter = new Random();
        private readonly RegistryCertificates _certificates;
        private readonly RegistryAuthenticator _authenticator;
        private readonly bool _injectedHandler;
        private readonly Dictionary<string, Endpoint> _otherHosts = new Dictionary<string, Endpoint>(StringComparer.OrdinalIgnoreCase);
        private string _repositoryActions = "push,pull";

        public RegistryClient(ImageReference repository, RegistryOptions options, HttpMessageHandler handler = null)
        {
            Repository = repository ?? throw new ArgumentNullException(nameof(repository));
            _options = options ?? throw new ArgumentNullException(nameof(options));
            _options.Validate();

            _certificates = RegistryCertificates.Find(repository.Registry, options.CertificateDirectory, options.ClientCertificate);
            if (_certificates.Folder != null)
            {
                Log(string.Format(
                    CultureInfo.InvariantCulture,
                    "TLS for {0}: {1} CA certificate(s) and {2} client certificate(s) from {3}",
                    repository.Registry,
                    _certificates.Authorities.Count,
                    _certificates.ClientCertificates.Count,
                    _certificates.Folder));
            }

            // A loopback registry speaks plain http, as go-containerregistry assumes, unless TLS is set up for it.
            bool tls = !options.PlainHttp && (!repository.IsLoopback || _certificates.ConfiguresTls || options.SkipCertificateCheck);
            BaseUri = new Uri((tls ? "https" : "http") + "://" + repository.Registry + "/");
            _injectedHandler = handler != null;
            _http = NewHttpClient(handler ?? CreateHandler(options, _certificates));
            _authenticator = new RegistryAuthenticator(this, options, BaseUri);
            _authenticator.SetScope(RepositoryScopeResource, _repositoryActions);
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

        public void Dispose()
        {
            _http.Dispose();
            lock (_otherHosts)
            {
                foreach (Endpoint endpoint in _otherHosts.Values)
                {
                    endpoint.Http.Dispose();
                }

                _otherHosts.Clear();
            }
        }

        internal void Log(string message) => _options.Log?.Invoke(message);

        /// <summary>
        /// Sends a request, retrying (with backoff, honouring Retry-After) on 408, 429, 5xx, timeouts and dropped
        /// connections as long as <paramref name="canRetry"/> says the request can be sent again. Returns the last
        /// response, whatever its status; the caller decides what is an error.
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
                RegistryAuthenticator.SentAuthorization sent = default;
                bool bodyInMemory = true;
                HttpResponseMessage response = await SendWithRetriesAsync(
                    _http,
                    _certificates,
                    step,
                    watchdog =>
                    {
                        HttpRequestMessage request = create(watchdog);
                        bodyInMemory = request.Content == null || request.Content is ByteArrayContent;
                        sent = _authenticator.Apply(request);
                        return request;
                    },
                    canRetry,
                    cancellationToken,
                    completion,
                    _authenticator).ConfigureAwait(false);

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
        /// Sends a request to another host than the registry (a token server), without the registry's
        /// Authorization, with the same timeouts and retries and that host's own certs.d certificates.
        /// </summary>
        internal Task<HttpResponseMessage> SendToAsync(Uri uri, string step, Func<Watchdog, HttpRequestMessage> create, CancellationToken cancellationToken)
        {
            Endpoint endpoint = EndpointFor(uri);
            return SendWithRetriesAsync(endpoint.Http, endpoint.Certificates, step, create, () => true, cancellationToken, HttpCompletionOption.ResponseContentRead, null);
        }

        private async Task<HttpResponseMessage> SendWithRetriesAsync(
            HttpClient http,
            RegistryCertificates certificates,
            string step,
            Func<Watchdog, HttpRequestMessage> create,
            Func<bool> canRetry,
            CancellationToken cancellationToken,
            HttpCompletionOption completion,
            RegistryAuthenticator authenticator)
        {
            for (int attempt = 0; ; attempt++)
            {
                bool mayRetry = attempt < _options.MaximumRetryCount;
                if (authenticator != null)
                {
                    await authenticator.PrepareAsync(cancellationToken).ConfigureAwait(false);
                }

                using (var watchdog = new Watchdog(_options.Timeout, cancellationToken))
                {
                    HttpRequestMessage request = create(watchdog);
                    string method = request.Method.Method;
                    string url = Redact(request.RequestUri);
                    var clock = Stopwatch.StartNew();
                    HttpResponseMessage response;
                    try
                    {
                        response = await http.SendAsync(request, completion, watchdog.Token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (IsTransportFailure(e) && !cancellationToken.IsCancellationRequested && IsTlsFailure(e))
                    {
                        // Trust does not change on a retry.
                        Log(method + " " + url + ": the TLS connection failed");
                        throw new RegistryException(
                            RegistryFailure.CertificateUntrusted,
                            step + ": " + method + " " + url + " failed: the TLS connection to " + request.RequestUri.Authority + " failed: "
                            + (certificates.LastRejection ?? Innermost(e).Message + " (the server may require a client certificate)") + ". "
                            + "Put its CA certificate (*.crt) and any client certificate (client.cert, client.key) in a certs.d folder for "
                            + request.RequestUri.Authority + " or in -CertificateDirectory, or give -Certificate.",
                            e)
                        { Method = method, Url = url };
                    }
                    catch (Exception e) when (IsTransportFailure(e) && !cancellationToken.IsCancellationRequested)
                    {
                        bool timedOut = watchdog.Token.IsCancellationRequested;
                        string what = timedOut
                            ? "no answer within " + FormatSeconds(_options.Timeout)
                            : "the connection failed: " + Innermost(e).Message;
                        if (mayRetry && canRetry())
                        {
                            TimeSpan wait = Backoff(attempt, null);
                            Log(string.Format(CultureInfo.InvariantCulture, "{0} {1}: {2}; retrying in {3} ({4} of {5})", method, url, what, FormatSeconds(wait), attempt + 1, _options.MaximumRetryCount));
                            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                            continue;
                        }

                        Log(method + " " + url + ": " + what);
                        throw new RegistryException(
                            timedOut ? RegistryFailure.Timeout : RegistryFailure.ConnectionFailed,
                            step + ": " + method + " " + url + " failed: " + what + ".",
                            e)
                        { Method = method, Url = url };
                    }
                    finally
                    {
                        request.Dispose();
                    }

                    Log(string.Format(CultureInfo.InvariantCulture, "{0} {1} -> {2} {3} ({4:0.000} s)", method, url, (int)response.StatusCode, response.ReasonPhrase, clock.Elapsed.TotalSeconds));
                    if (IsRetryableStatus(response.StatusCode) && mayRetry && canRetry())
                    {
                        TimeSpan wait = Backoff(attempt, response.Headers.RetryAfter);
                        Log(string.Format(CultureInfo.InvariantCulture, "retrying {0} in {1} ({2} of {3})", method, FormatSeconds(wait), attempt + 1, _options.MaximumRetryCount));
                        response.Dispose();
                        await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    return response;
                }
            }
        }

        /// <summary>An exception for an error answer, with the registry's own code and message from its JSON error body.</summary>
        internal static async Task<RegistryException> ErrorAsync(string step, HttpResponseMessage response)
        {
            string body = string.Empty;
            try
            {
                if (response.Content != null)
                {
                    byte[] bytes = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
                    body = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 64 * 1024));
                }
            }
            catch (Exception e) when (e is IOException || e is HttpRequestException)
            {
                // The error body is a courtesy; the status is the answer.
            }

            var errors = new List<KeyValuePair<string, string>>();
            if (JsonValue.TryParse(body, out JsonValue json))
            {
                foreach (JsonValue error in json["errors"]?.Items ?? Array.Empty<JsonValue>())
                {
                    string code = error["code"]?.AsString;
                    string message = error["message"]?.AsString;
                    JsonValue detail = error["detail"];
                    if (detail != null && detail.Kind != JsonKind.Null)
                    {
                        message = (message ?? string.Empty) + " (" + (detail.AsString ?? detail.ToString()) + ")";
                    }

                    if (code != null || message != null)
                    {
                        errors.Add(new KeyValuePair<string, string>(code, message));
                    }
                }
            }

            string method = response.RequestMessage?.Method.Method;
            string url = Redact(response.RequestMessage?.RequestUri);
            string firstCode = errors.Count > 0 ? errors[0].Key : null;
            string firstMessage = errors.Count > 0 ? errors[0].Value : null;
            var text = new StringBuilder();
            text.Append(step).Append(": the registry answered ").Append(method).Append(' ').Append(url)
                .Append(" with ").Append((int)response.StatusCode).Append(' ').Append(response.ReasonPhrase);
            if (errors.Count > 0)
            {
                text.Append(": ").Append(string.Join("; ", errors.Select(e => (e.Key ?? "?") + ": " + e.Value)));
            }

            text.Append('.');
            return new RegistryException(RegistryException.Classify(response.StatusCode, firstCode), text.ToString())
            {
                StatusCode = response.StatusCode,
                ErrorCode = firstCode,
                RegistryMessage = firstMessage,
                Method = method,
                Url = url,
                Errors = errors,
            };
        }

        // Query parameters of the distribution API whose values are names and digests, never secrets.
        private static readonly HashSet<string> s_plainQueryNames = new HashSet<string>(StringComparer.Ordinal) { "digest", "mount", "from" };

        /// <summary>scheme://host/path with no user info, and query values hidden (they can be signatures) except digests and repository names.</summary>
        public static string Redact(Uri uri)
        {
            if (uri == null)
            {
                return string.Empty;
            }

            var text = new StringBuilder();
            text.Append(uri.Scheme).Append("://").Append(uri.Authority).Append(uri.AbsolutePath);
            string query = uri.Query.TrimStart('?');
            if (query.Length > 0)
            {
                text.Append('?');
                bool first = true;
                foreach (string pair in query.Split('&'))
                {
                    int equals = pair.IndexOf('=');
                    string name = equals < 0 ? pair : pair.Substring(0, equals);
                    if (!first)
                    {
                        text.Append('&');
                    }

                    first = false;
                    text.Append(name);
                    if (equals >= 0)
                    {
                        text.Append('=').Append(s_plainQueryNames.Contains(name) ? Uri.UnescapeDataString(pair.Substring(equals + 1)) : "...");
                    }
                }
            }

            return text.ToString();
        }

        /// <summary>The answer's Location as an absolute URL (a relative one is relative to the request), or null.</summary>
        internal static Uri ResolveLocation(HttpResponseMessage response)
        {
            Uri location = response.Headers.Location;
            if (location == null || location.IsAbsoluteUri)
            {
                return location;
            }

            return new Uri(response.RequestMessage.RequestUri, location);
        }

        /// <summary>A body of no bytes with Content-Length: 0, which some registries want on POST and PUT.</summary>
        internal static HttpContent EmptyContent()
        {
            var content = new ByteArrayContent(Array.Empty<byte>());
            content.Headers.ContentLength = 0;
            return content;
        }

        internal static string FormatSeconds(TimeSpan time) => time.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

        private TimeSpan Backoff(int attempt, RetryConditionHeaderValue retryAfter)
        {
            TimeSpan? asked = retryAfter?.Delta ?? (retryAfter?.Date - DateTimeOffset.UtcNow);
            if (asked.HasValue)
            {
                TimeSpan wait = asked.Value < TimeSpan.Zero ? TimeSpan.Zero : asked.Value;
                return wait > _options.MaximumRetryAfter ? _options.MaximumRetryAfter : wait;
            }

            double factor = Math.Pow(2, Math.Min(attempt, 10));
            double jitter = 0.9 + 0.2 * NextJitter();
            return TimeSpan.FromMilliseconds(_options.RetryInterval.TotalMilliseconds * factor * jitter);
        }

        private double NextJitter()
        {
            lock (_jitter)
            {
                return _jitter.NextDouble();
            }
        }

        private static bool IsRetryableStatus(HttpStatusCode status)
        {
            int code = (int)status;
            return code == 408 || code == 429 || code == 500 || code == 502 || code == 503 || code == 504;
        }

        private static bool IsTransportFailure(Exception e) =>
            e is HttpRequestException || e is IOException || e is OperationCanceledException || e is System.Net.Sockets.SocketException;

        private static Exception Innermost(Exception e)
        {
            while (e.InnerException != null)
            {
                e = e.InnerException;
            }

            return e;
        }

        private static HttpMessageHandler CreateHandler(RegistryOptions options, RegistryCertificates certificates)
        {
            var handler = new HttpClientHandler
            {
                // Redirects are followed by hand, so that credentials never travel to another host.
                AllowAutoRedirect = false,
                UseCookies = false,
                AutomaticDecompression = DecompressionMethods.None,
            };
            certificates.Configure(handler, options.SkipCertificateCheck);
            return handler;
        }

        private static HttpClient NewHttpClient(HttpMessageHandler handler)
        {
            var http = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
            http.DefaultRequestHeaders.UserAgent.ParseAdd(s_userAgent);
            return http;
        }

        /// <summary>The connection for a host: the registry's own, or one per other host with that host's certs.d CAs and no client certificate.</summary>
        private Endpoint EndpointFor(Uri uri)
        {
            if (_injectedHandler || (string.Equals(uri.Scheme, BaseUri.Scheme, StringComparison.OrdinalIgnoreCase) && string.Equals(uri.Authority, BaseUri.Authority, StringComparison.OrdinalIgnoreCase)))
            {
                return new Endpoint(_http, _certificates);
            }

            lock (_otherHosts)
            {
                if (!_otherHosts.TryGetValue(uri.Authority, out Endpoint endpoint))
                {
                    RegistryCertificates certificates = RegistryCertificates.Find(uri.IsDefaultPort ? uri.Host : uri.Authority, null, null);
                    endpoint = new Endpoint(NewHttpClient(CreateHandler(_options, certificates)), certificates);
                    _otherHosts.Add(uri.Authority, endpoint);
                }

                return endpoint;
            }
        }

        private static bool IsTlsFailure(Exception e)
        {
            for (Exception inner = e; inner != null; inner = inner.InnerException)
            {
                // A refused server certificate; or, on OpenSSL, an alert from a server that wanted a client certificate.
                if (inner is System.Security.Authentication.AuthenticationException || inner.GetType().FullName.IndexOf("OpenSsl+SslException", StringComparison.Ordinal) >= 0)
                {
                    return true;
                }
            }

            return false;
        }

        private sealed class Endpoint
        {
            public Endpoint(HttpClient http, RegistryCertificates certificates)
            {
                Http = http;
                Certificates = certificates;
            }

            public HttpClient Http { get; }

            public RegistryCertificates Certificates { get; }
        }

        /// <summary>
        /// One attempt's timeout: cancels when nothing has happened for the timeout. A request body that is
        /// still being sent calls <see cref="Kick"/> as it makes progress, so a long upload is not cut off. When
        /// the caller cancels, the request gets a short grace to finish: a request cut off mid-body can leave the
        /// registry with an upload session that nobody can delete any more.
        /// </summary>
        internal sealed class Watchdog : IDisposable
        {
            private static readonly TimeSpan s_grace = TimeSpan.FromSeconds(5);
            private readonly CancellationTokenSource _source = new CancellationTokenSource();
            private readonly CancellationTokenRegistration _registration;
            private readonly TimeSpan _timeout;
            private readonly CancellationToken _caller;

            public Watchdog(TimeSpan timeout, CancellationToken cancellationToken)
            {
                _timeout = timeout;
                _caller = cancellationToken;
                _source.CancelAfter(timeout);
                _registration = cancellationToken.Register(() => CancelAfter(timeout < s_grace ? timeout : s_grace));
            }

            public CancellationToken Token => _source.Token;

            public void Kick()
            {
                if (!_caller.IsCancellationRequested)
                {
                    CancelAfter(_timeout);
                }
            }

            public void Dispose()
            {
                _registration.Dispose();
                _source.Dispose();
            }

            private void CancelAfter(TimeSpan delay)
            {
                try
                {
                    _source.CancelAfter(delay);
                }
                catch (ObjectDisposedException)
                {
                }
            }
        }
    }
}
