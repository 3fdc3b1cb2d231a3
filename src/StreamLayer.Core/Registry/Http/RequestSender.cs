using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Registry.Http
{
    /// <summary>
    /// Sends requests to one host with a timeout per attempt, retrying (with backoff, honouring Retry-After) on
    /// 408, 429, 5xx, timeouts and dropped connections until the request's deadline, and logs each attempt without
    /// credentials. Bodies are read only as far as a limit, under the attempt's timeout. It knows nothing of
    /// authentication: what must happen before each attempt (a token renewed) is the caller's hook.
    /// </summary>
    internal sealed class RequestSender : IDisposable
    {
        /// <summary>The largest answer read whole (a manifest, a config, a token answer); distribution caps manifests at 4 MiB.</summary>
        public const int MaximumBufferedBody = 64 << 20;

        private readonly HttpClient _http;
        private readonly RegistryCertificates _certificates;
        private readonly SendSettings _settings;
        private readonly Random _jitter = new Random();

        public RequestSender(HttpClient http, RegistryCertificates certificates, SendSettings settings)
        {
            _http = http;
            _certificates = certificates;
            _settings = settings;
        }

        /// <summary>
        /// Sends a request made by <paramref name="create"/> (once per attempt), again as long as
        /// <paramref name="canRetry"/> says it can be sent again; <paramref name="beforeAttempt"/>, when given, runs
        /// before each attempt. Returns the last response, whatever its status; the caller decides what is an error.
        /// </summary>
        public async Task<HttpResponseMessage> SendAsync(
            string step,
            Func<Watchdog, HttpRequestMessage> create,
            Func<bool> canRetry,
            Func<CancellationToken, Task> beforeAttempt,
            CancellationToken cancellationToken,
            HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
        {
            // The request's deadline counts every attempt and wait: once it has passed, no retry starts.
            var total = Stopwatch.StartNew();
            for (int attempt = 0; ; attempt++)
            {
                bool mayRetry = attempt < _settings.MaximumRetryCount;
                if (beforeAttempt != null)
                {
                    await beforeAttempt(cancellationToken).ConfigureAwait(false);
                }

                using (var watchdog = new Watchdog(_settings.Timeout, cancellationToken))
                {
                    HttpRequestMessage request = create(watchdog);
                    string method = request.Method.Method;
                    string url = RedactedUrl.Of(request.RequestUri);
                    var clock = Stopwatch.StartNew();
                    HttpResponseMessage response = null;
                    try
                    {
                        // Headers first, always: a body is then read under this attempt's watchdog, and only so far.
                        response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, watchdog.Token).ConfigureAwait(false);

                        // What reads the answer (a HEAD has no body, a relative Location, an error's URL) asks the request it answers.
                        response.RequestMessage = response.RequestMessage ?? request;
                        await SettleBodyAsync(response, completion, watchdog).ConfigureAwait(false);
                    }
                    catch (RegistryException)
                    {
                        response?.Dispose();
                        throw;
                    }
                    catch (Exception e) when (IsTransportFailure(e) && !cancellationToken.IsCancellationRequested && IsTlsFailure(e))
                    {
                        // Neither trust nor TLS versions change on a retry.
                        response?.Dispose();
                        Log(method + " " + url + ": the TLS connection failed");
                        throw TlsFailure(step + ": " + method + " " + url + " failed: the TLS connection to " + request.RequestUri.Authority + " failed: ", request.RequestUri.Authority, e, method, url);
                    }
                    catch (Exception e) when (IsTransportFailure(e) && !cancellationToken.IsCancellationRequested)
                    {
                        response?.Dispose();
                        bool timedOut = watchdog.Token.IsCancellationRequested;
                        string what = timedOut
                            ? "no answer within " + Seconds.Format(_settings.Timeout)
                            : "the connection failed: " + Innermost(e).Message;
                        TimeSpan wait = Backoff(attempt, null);
                        if (mayRetry && canRetry() && WithinDeadline(total, wait))
                        {
                            Log(string.Format(CultureInfo.InvariantCulture, "{0} {1}: {2}; retrying in {3} ({4} of {5})", method, url, what, Seconds.Format(wait), attempt + 1, _settings.MaximumRetryCount));
                            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                            continue;
                        }

                        Log(method + " " + url + ": " + what);
                        throw new RegistryException(
                            timedOut ? RegistryFailure.Timeout : RegistryFailure.ConnectionFailed,
                            step + ": " + method + " " + url + " failed: " + what + Attempts(attempt, total) + ".",
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
                        bool full = ErrorAnswer.SaysStorageFull(response.StatusCode, await ErrorAnswer.BodyAsync(response).ConfigureAwait(false));
                        if (!full && WithinDeadline(total, wait))
                        {
                            Log(string.Format(CultureInfo.InvariantCulture, "retrying {0} in {1} ({2} of {3})", method, Seconds.Format(wait), attempt + 1, _settings.MaximumRetryCount));
                            response.Dispose();
                            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                            continue;
                        }

                        Log(full
                            ? "not retrying: the registry says its storage is full"
                            : "not retrying: the request's deadline (" + Seconds.Format(_settings.Deadline) + ") would pass" + Attempts(attempt, total));
                    }

                    return response;
                }
            }
        }

        /// <summary>
        /// Reads what the caller will read of the body while the attempt's watchdog still runs: an error's body up to
        /// <see cref="ErrorAnswer.MaximumBody"/>, and a success's whole body (at most <see cref="MaximumBufferedBody"/>)
        /// when the caller asked for it buffered. A HEAD's answer has no body to read.
        /// </summary>
        private static async Task SettleBodyAsync(HttpResponseMessage response, HttpCompletionOption completion, Watchdog watchdog)
        {
            bool error = (int)response.StatusCode >= 300;
            if (response.Content == null || response.RequestMessage?.Method == HttpMethod.Head || (!error && completion == HttpCompletionOption.ResponseHeadersRead))
            {
                return;
            }

            int most = error ? ErrorAnswer.MaximumBody : MaximumBufferedBody;
            var body = new MemoryStream();
            using (Stream stream = await response.Content.ReadAsStreamAsync().ConfigureAwait(false))
            {
                var buffer = new byte[Math.Min(most, 1 << 16)];
                int n;
                while (body.Length < most && (n = await stream.ReadAsync(buffer, 0, (int)Math.Min(buffer.Length, most - body.Length), watchdog.Token).ConfigureAwait(false)) > 0)
                {
                    body.Write(buffer, 0, n);
                    watchdog.Kick();
                }

                if (!error && body.Length == most && await stream.ReadAsync(buffer, 0, 1, watchdog.Token).ConfigureAwait(false) > 0)
                {
                    throw new RegistryException(
                        RegistryFailure.ProtocolError,
                        "The answer to " + response.RequestMessage?.Method + " " + RedactedUrl.Of(response.RequestMessage?.RequestUri) + " is larger than " + (MaximumBufferedBody >> 20) + " MiB, more than any registry document.");
                }
            }

            // An error body past the limit is cut there: the connection is closed, not read to the end.
            var buffered = new ByteArrayContent(body.ToArray());
            foreach (var header in response.Content.Headers)
            {
                if (!string.Equals(header.Key, "Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    buffered.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }
            }

            response.Content.Dispose();
            response.Content = buffered;
        }

        private bool WithinDeadline(Stopwatch total, TimeSpan wait) => total.Elapsed + wait < _settings.Deadline;

        /// <summary>" (3 attempts in 201 s)" after more than one attempt.</summary>
        private static string Attempts(int attempt, Stopwatch total) =>
            attempt == 0 ? string.Empty : string.Format(CultureInfo.InvariantCulture, " ({0} attempts in {1})", attempt + 1, Seconds.Format(TimeSpan.FromSeconds(Math.Round(total.Elapsed.TotalSeconds))));

        public void Dispose() => _http.Dispose();

        private void Log(string message) => _settings.Log?.Invoke(message);

        private TimeSpan Backoff(int attempt, RetryConditionHeaderValue retryAfter)
        {
            TimeSpan? asked = retryAfter?.Delta ?? (retryAfter?.Date - DateTimeOffset.UtcNow);
            if (asked.HasValue)
            {
                TimeSpan wait = asked.Value < TimeSpan.Zero ? TimeSpan.Zero : asked.Value;
                return wait > _settings.MaximumRetryAfter ? _settings.MaximumRetryAfter : wait;
            }

            double factor = Math.Pow(2, Math.Min(attempt, 10));
            double jitter = 0.9 + 0.2 * NextJitter();
            return TimeSpan.FromMilliseconds(_settings.RetryInterval.TotalMilliseconds * factor * jitter);
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

        /// <summary>
        /// What a failed TLS handshake means: no TLS version in common (a connection failure, said as such), a
        /// server certificate that was refused, or else most likely a client certificate the server wanted.
        /// </summary>
        private RegistryException TlsFailure(string failed, string authority, Exception e, string method, string url)
        {
            string rejection = _certificates.LastRejection;
            if (rejection == null && IsProtocolMismatch(e))
            {
                return new RegistryException(
                    RegistryFailure.ConnectionFailed,
                    failed + "the server and this runtime have no TLS version in common (" + Innermost(e).Message + "). StreamLayer offers TLS 1.2 and 1.3; "
                    + "a server that speaks only older versions cannot be reached, and a registry that speaks plain http needs -PlainHttp.",
                    e)
                { Method = method, Url = url };
            }

            return new RegistryException(
                RegistryFailure.CertificateUntrusted,
                failed + (rejection ?? Innermost(e).Message + " (the server may require a client certificate)") + ". "
                + "Put its CA certificate (*.crt) and any client certificate (client.cert, client.key) in a certs.d folder for "
                + authority + " or in -CertificateDirectory, or give -Certificate.",
                e)
            { Method = method, Url = url };
        }

        /// <summary>Whether the handshake failed on the TLS version itself, as SChannel, OpenSSL and Mono's BoringSSL word it.</summary>
        private static bool IsProtocolMismatch(Exception e)
        {
            const int algorithmMismatch = unchecked((int)0x80090331); // SEC_E_ALGORITHM_MISMATCH: "do not possess a common algorithm"
            string[] words = { "protocol version", "unsupported protocol", "no protocols available", "wrong version number", "common algorithm", "PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL", "WRONG_VERSION_NUMBER" };
            for (Exception inner = e; inner != null; inner = inner.InnerException)
            {
                if ((inner is System.ComponentModel.Win32Exception win32 && win32.NativeErrorCode == algorithmMismatch) || inner.HResult == algorithmMismatch)
                {
                    return true;
                }

                foreach (string word in words)
                {
                    if (inner.Message.IndexOf(word, StringComparison.OrdinalIgnoreCase) >= 0)
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private static Exception Innermost(Exception e)
        {
            while (e.InnerException != null)
            {
                e = e.InnerException;
            }

            return e;
        }
    }
}
