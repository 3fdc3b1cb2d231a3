using System;
using System.Net.Http;
using System.Net.Http.Headers;

namespace StreamLayer.Registry.Http
{
    /// <summary>
    /// One request as a pipeline's handlers pass it down: the step it serves (for messages), its method and URL, how
    /// to make its body and headers afresh for each attempt, and what may be done with it (retried, sent again,
    /// redirected with its body). A request never changes: a handler passes on a copy with one thing changed (the
    /// URL of a redirect's hop, the Authorization), so every handler sees exactly what is sent.
    /// </summary>
    internal sealed class RegistryRequest
    {
        private Func<Watchdog, HttpContent> _body;
        private Action<HttpRequestMessage> _headers;
        private Func<bool> _untouched;

        public RegistryRequest(string step, HttpMethod method, Uri uri)
        {
            Step = step ?? throw new ArgumentNullException(nameof(step));
            Method = method ?? throw new ArgumentNullException(nameof(method));
            Uri = uri ?? throw new ArgumentNullException(nameof(uri));
        }

        /// <summary>What the request is for, as messages name it: "Starting the upload".</summary>
        public string Step { get; }

        public HttpMethod Method { get; private set; }

        public Uri Uri { get; private set; }

        /// <summary>The Authorization the message carries; null for none.</summary>
        public AuthenticationHeaderValue Authorization { get; private set; }

        /// <summary>Whether the retry handler may send it again after a failure (false where the caller resumes on its own, or gives up at once).</summary>
        public bool Retries { get; private set; } = true;

        /// <summary>How much of the answer the sender reads before handing it on: all of it, or the headers (a body the caller streams).</summary>
        public HttpCompletionOption Completion { get; private set; } = HttpCompletionOption.ResponseContentRead;

        /// <summary>How long this attempt may go without an answer or progress; null for the settings' timeout. A retry gets what is left of its deadline.</summary>
        public TimeSpan? AttemptTimeout { get; private set; }

        /// <summary>What the body holds that must not travel to another host ("the form that holds the identity token"); null for nothing.</summary>
        public string SecretInBody { get; private set; }

        /// <summary>What the answers are scrubbed of; null for nothing.</summary>
        public Secrets Secrets { get; private set; }

        /// <summary>Whether the request can be made and sent once more: its body is in memory (or it has none), or is a stream none of which was taken.</summary>
        public bool CanSendAgain => _untouched == null || _untouched();

        /// <summary>Whether a failure may be answered by sending it again.</summary>
        public bool MayRetry => Retries && CanSendAgain;

        /// <summary>A body made afresh for each attempt; a streamed one kicks the attempt's watchdog as it goes.</summary>
        public RegistryRequest WithBody(Func<Watchdog, HttpContent> body) => Copy(r => r._body = body);

        public RegistryRequest WithBody(Func<HttpContent> body) => Copy(r => r._body = _ => body());

        /// <summary>Sets headers of each message made (Accept, Expect, Transfer-Encoding).</summary>
        public RegistryRequest WithHeaders(Action<HttpRequestMessage> headers) => Copy(r => r._headers = headers);

        /// <summary>A body that is read as it is sent: it can be sent again only while <paramref name="untouched"/> says none of it was taken.</summary>
        public RegistryRequest Streamed(Func<bool> untouched) => Copy(r => r._untouched = untouched);

        /// <summary>The request for an attempt that may take at most <paramref name="timeout"/> (what is left of the request's deadline).</summary>
        public RegistryRequest WithAttemptTimeout(TimeSpan timeout) => Copy(r => r.AttemptTimeout = timeout);

        public RegistryRequest WithoutRetries() => Copy(r => r.Retries = false);

        public RegistryRequest ReadingHeadersOnly() => Copy(r => r.Completion = HttpCompletionOption.ResponseHeadersRead);

        public RegistryRequest HoldingSecret(string what) => Copy(r => r.SecretInBody = what);

        public RegistryRequest ScrubbedWith(Secrets secrets) => Copy(r => r.Secrets = secrets);

        public RegistryRequest WithAuthorization(AuthenticationHeaderValue authorization) => Copy(r => r.Authorization = authorization);

        /// <summary>
        /// The request sent to a redirect's Location: with another method (a GET, which has no body) or its own. An
        /// Authorization its maker set stays with its own origin (scheme, host and port), as Go's client does.
        /// </summary>
        public RegistryRequest RedirectedTo(Uri location, HttpMethod method) => Copy(r =>
        {
            r.Uri = location;
            if (!Redirect.SameOrigin(Uri, location))
            {
                r.Authorization = null;
            }

            if (method != null)
            {
                r.Method = method;
                r._body = null;
                r._untouched = null;
                r.SecretInBody = null;
            }
        });

        /// <summary>The HTTP message of one attempt.</summary>
        public HttpRequestMessage CreateMessage(Watchdog watchdog)
        {
            var message = new HttpRequestMessage(Method, Uri) { Content = _body?.Invoke(watchdog) };
            _headers?.Invoke(message);
            message.Headers.Authorization = Authorization;
            Secrets?.Attach(message);
            return message;
        }

        public override string ToString() => Method + " " + RedactedUrl.Of(Uri);

        private RegistryRequest Copy(Action<RegistryRequest> change)
        {
            var copy = (RegistryRequest)MemberwiseClone();
            change(copy);
            return copy;
        }
    }
}
