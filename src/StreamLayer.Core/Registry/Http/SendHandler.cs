using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Registry.Http
{
    /// <summary>
    /// The end of every pipeline: sends one attempt over its host's connection under a watchdog (the attempt's
    /// timeout, kicked while a body makes progress), reads as much of the answer as the caller will read while the
    /// watchdog still runs, and logs the attempt without credentials. An attempt that gets no answer is a
    /// <see cref="TransportFailure"/> for the retry handler; a TLS handshake that fails is final.
    /// </summary>
    internal sealed class SendHandler : RequestHandler
    {
        /// <summary>The largest answer read whole (a manifest, a config, a token answer); distribution caps manifests at 4 MiB.</summary>
        public const int MaximumBufferedBody = 64 << 20;

        private readonly Connections _connections;
        private readonly SendSettings _settings;

        public SendHandler(Connections connections, SendSettings settings)
            : base(null)
        {
            _connections = connections;
            _settings = settings;
        }

        public override async Task<HttpResponseMessage> SendAsync(RegistryRequest request, CancellationToken cancellationToken)
        {
            Connection connection = _connections.For(request.Uri);
            TimeSpan timeout = request.AttemptTimeout ?? _settings.Timeout;
            using (var watchdog = new Watchdog(timeout, cancellationToken))
            using (HttpRequestMessage message = request.CreateMessage(watchdog))
            {
                var clock = Stopwatch.StartNew();
                HttpResponseMessage response = null;
                try
                {
                    // Headers first, always: a body is then read under this attempt's watchdog, and only so far.
                    response = await connection.Http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, watchdog.Token).ConfigureAwait(false);

                    // What reads the answer (a HEAD has no body, a relative Location, an error's URL) asks the request it answers.
                    response.RequestMessage = response.RequestMessage ?? message;
                    await SettleBodyAsync(response, request.Completion, watchdog).ConfigureAwait(false);
                }
                catch (RegistryException)
                {
                    response?.Dispose();
                    throw;
                }
                catch (Exception e) when (IsTransportFailure(e) && !cancellationToken.IsCancellationRequested && TlsFailures.IsTlsFailure(e))
                {
                    // Neither trust nor TLS versions change on a retry.
                    response?.Dispose();
                    Log(request + ": the TLS connection failed");
                    throw TlsFailures.Explain(request, connection.Certificates, e);
                }
                catch (Exception e) when (IsTransportFailure(e) && !cancellationToken.IsCancellationRequested)
                {
                    response?.Dispose();
                    bool timedOut = watchdog.Token.IsCancellationRequested;
                    throw new TransportFailure(
                        request,
                        timedOut,
                        timedOut ? "no answer within " + Seconds.Format(_settings.Timeout) : "the connection failed: " + TlsFailures.Innermost(e).Message,
                        e);
                }

                Log(string.Format(CultureInfo.InvariantCulture, "{0} -> {1} {2} ({3:0.000} s)", request, (int)response.StatusCode, response.ReasonPhrase, clock.Elapsed.TotalSeconds));
                return response;
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

        private static bool IsTransportFailure(Exception e) =>
            e is HttpRequestException || e is IOException || e is OperationCanceledException || e is System.Net.Sockets.SocketException;

        private void Log(string message) => _settings.Log?.Invoke(message);
    }
}
