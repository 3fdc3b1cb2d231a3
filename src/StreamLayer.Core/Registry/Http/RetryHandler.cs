using System;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Registry.Http
{
    /// <summary>
    /// Sends a request again, with backoff and honouring Retry-After, when it got no answer or an answer worth
    /// another try (408, 429, 500, 502, 503, 504), as long as it may be sent again and its deadline allows: no
    /// retry (nor its wait) starts past the deadline, and a retry that gets no answer is given up at the deadline.
    /// A registry whose storage is full is not asked again.
    /// </summary>
    internal sealed class RetryHandler : RequestHandler
    {
        private readonly SendSettings _settings;
        private readonly Random _jitter = new Random();

        public RetryHandler(SendSettings settings, RequestHandler next)
            : base(next) => _settings = settings;

        public override async Task<HttpResponseMessage> SendAsync(RegistryRequest request, CancellationToken cancellationToken)
        {
            var total = Stopwatch.StartNew();
            for (int attempt = 0; ; attempt++)
            {
                bool mayRetry = attempt < _settings.MaximumRetryCount;
                HttpResponseMessage response;
                try
                {
                    // A retry may take only what is left of the deadline, so that the deadline bounds the whole request.
                    RegistryRequest attemptRequest = attempt == 0 ? request : request.WithAttemptTimeout(Remaining(total));
                    response = await Next.SendAsync(attemptRequest, cancellationToken).ConfigureAwait(false);
                }
                catch (TransportFailure failure)
                {
                    TimeSpan wait = Backoff(attempt, null);
                    if (mayRetry && request.MayRetry && WithinDeadline(total, wait))
                    {
                        Log(string.Format(CultureInfo.InvariantCulture, "{0}: {1}; retrying in {2} ({3} of {4})", failure.Request, failure.Message, Seconds.Format(wait), attempt + 1, _settings.MaximumRetryCount));
                        await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    Log(failure.Request + ": " + failure.Message);
                    throw failure.ToRegistryException(request.Step, Attempts(attempt, total));
                }

                if (IsRetryableStatus(response.StatusCode) && mayRetry && request.MayRetry)
                {
                    TimeSpan wait = Backoff(attempt, response.Headers.RetryAfter);
                    bool full = ErrorAnswer.SaysStorageFull(response.StatusCode, await ErrorAnswer.BodyAsync(response).ConfigureAwait(false));
                    if (!full && WithinDeadline(total, wait))
                    {
                        Log(string.Format(CultureInfo.InvariantCulture, "retrying {0} in {1} ({2} of {3})", request.Method, Seconds.Format(wait), attempt + 1, _settings.MaximumRetryCount));
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

        /// <summary>Whether a retry after <paramref name="wait"/> would still have a tenth of an attempt's timeout before the deadline.</summary>
        private bool WithinDeadline(Stopwatch total, TimeSpan wait) =>
            _settings.Deadline == TimeSpan.MaxValue || total.Elapsed + wait + TimeSpan.FromTicks(_settings.Timeout.Ticks / 10) < _settings.Deadline;

        /// <summary>What is left of the deadline, at most one attempt's timeout.</summary>
        private TimeSpan Remaining(Stopwatch total)
        {
            TimeSpan left = _settings.Deadline - total.Elapsed;
            return left < _settings.Timeout ? (left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1)) : _settings.Timeout;
        }

        /// <summary>" (3 attempts in 201 s)" after more than one attempt.</summary>
        private static string Attempts(int attempt, Stopwatch total) =>
            attempt == 0 ? string.Empty : string.Format(CultureInfo.InvariantCulture, " ({0} attempts in {1})", attempt + 1, Seconds.Format(TimeSpan.FromSeconds(Math.Round(total.Elapsed.TotalSeconds))));

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
            double jitter;
            lock (_jitter)
            {
                jitter = 0.9 + 0.2 * _jitter.NextDouble();
            }

            return TimeSpan.FromMilliseconds(_settings.RetryInterval.TotalMilliseconds * factor * jitter);
        }

        private static bool IsRetryableStatus(HttpStatusCode status)
        {
            int code = (int)status;
            return code == 408 || code == 429 || code == 500 || code == 502 || code == 503 || code == 504;
        }
    }
}
