using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry;
using StreamLayer.Registry.Http;
using Xunit;

namespace StreamLayer.Tests
{
    public sealed class RetryHandlerTests
    {
        private static readonly Uri s_uri = new Uri("https://registry.example.com/v2/app/blobs/uploads/");
        private readonly List<string> _log = new List<string>();

        [Theory]
        [InlineData(408)]
        [InlineData(429)]
        [InlineData(500)]
        [InlineData(502)]
        [InlineData(503)]
        [InlineData(504)]
        public async Task RetriesAnAnswerWorthAnotherTry(int status)
        {
            var next = new ScriptedHandler(s => ScriptedHandler.Status(s.Index == 0 ? status : 202));

            using HttpResponseMessage response = await Handler(next, retries: 3).SendAsync(Post(), CancellationToken.None);

            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Equal(2, next.Requests.Count);
            Assert.Equal("body", next.Requests[1].Body);
            Assert.Contains(_log, line => line.StartsWith("retrying POST in ") && line.EndsWith("(1 of 3)"));
        }

        [Theory]
        [InlineData(400)]
        [InlineData(401)]
        [InlineData(403)]
        [InlineData(404)]
        [InlineData(416)]
        [InlineData(501)]
        [InlineData(505)]
        public async Task ReturnsOtherAnswersAtOnce(int status)
        {
            var next = new ScriptedHandler(s => ScriptedHandler.Status(status));

            using HttpResponseMessage response = await Handler(next, retries: 3).SendAsync(Post(), CancellationToken.None);

            Assert.Equal(status, (int)response.StatusCode);
            Assert.Single(next.Requests);
        }

        [Fact]
        public async Task RetriesAtMostMaximumRetryCountTimesAndHandsOnTheLastAnswer()
        {
            var next = new ScriptedHandler(s => ScriptedHandler.Status(503, body: "attempt " + s.Index));

            using HttpResponseMessage response = await Handler(next, retries: 2).SendAsync(Post(), CancellationToken.None);

            Assert.Equal(3, next.Requests.Count);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("attempt 2", await response.Content.ReadAsStringAsync());
        }

        [Theory]
        [InlineData(false, RegistryFailure.ConnectionFailed)]
        [InlineData(true, RegistryFailure.Timeout)]
        public async Task NoAnswerIsRetriedThenAFailureThatCountsTheAttempts(bool timedOut, RegistryFailure failure)
        {
            var next = new FailingHandler(timedOut);

            var error = await Assert.ThrowsAsync<RegistryException>(() => Handler(next, retries: 2).SendAsync(Post(), CancellationToken.None));

            Assert.Equal(3, next.Attempts);
            Assert.Equal(failure, error.Failure);
            Assert.StartsWith("Starting the upload: POST https://registry.example.com/v2/app/blobs/uploads/ failed: ", error.Message);
            Assert.Contains("(3 attempts in ", error.Message);
            Assert.Equal("POST", error.Method);
        }

        [Fact]
        public async Task AStreamedBodyPartlySentIsNeverRetried()
        {
            var body = new StreamedBody("blob");
            var next = new ScriptedHandler(s => ScriptedHandler.Status(503));
            var failing = new FailingHandler(false, readsBody: true);

            using (HttpResponseMessage response = await Handler(next, retries: 3).SendAsync(Streamed(body), CancellationToken.None))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            }

            var error = await Assert.ThrowsAsync<RegistryException>(() => Handler(failing, retries: 3).SendAsync(Streamed(new StreamedBody("blob")), CancellationToken.None));

            Assert.Single(next.Requests);
            Assert.Equal(1, failing.Attempts);
            Assert.Equal(RegistryFailure.ConnectionFailed, error.Failure);
            Assert.DoesNotContain("attempts", error.Message);
        }

        [Fact]
        public async Task AStreamedBodyNoneOfWhichWasTakenIsRetried()
        {
            var body = new StreamedBody("blob");
            var next = new FailingHandler(false) { FailFor = 1 };
            var request = new RegistryRequest("Uploading the layer", new HttpMethod("PATCH"), s_uri).WithBody(() => body.Make()).Streamed(() => !body.Taken);

            using HttpResponseMessage response = await Handler(next, retries: 3).SendAsync(request, CancellationToken.None);

            Assert.Equal(2, next.Attempts);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        [Fact]
        public async Task ARequestMadeWithoutRetriesIsSentOnce()
        {
            var next = new ScriptedHandler(s => ScriptedHandler.Status(503));

            (await Handler(next, retries: 3).SendAsync(Post().WithoutRetries(), CancellationToken.None)).Dispose();

            Assert.Single(next.Requests);
        }

        [Theory]
        [InlineData(507, "")]
        [InlineData(500, "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"write /var/lib/registry/x: no space left on device\"}]}")]
        public async Task ARegistryWhoseStorageIsFullIsNotAskedAgain(int status, string body)
        {
            var next = new ScriptedHandler(s => ScriptedHandler.Status(status, body: body));

            (await Handler(next, retries: 3).SendAsync(Post(), CancellationToken.None)).Dispose();

            Assert.Single(next.Requests);
            if (status == 500)
            {
                Assert.Contains("not retrying: the registry says its storage is full", _log);
            }
        }

        [Fact]
        public async Task NoRetryStartsWhenItsWaitWouldPassTheDeadline()
        {
            var next = new ScriptedHandler(s =>
            {
                HttpResponseMessage answer = ScriptedHandler.Status(429);
                answer.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromHours(1));
                return answer;
            });
            var settings = new SendSettings { MaximumRetryCount = 5, RetryInterval = TimeSpan.Zero, MaximumRetryAfter = TimeSpan.FromHours(2), Deadline = TimeSpan.FromMinutes(10), Log = _log.Add };

            // The test would wait an hour if the wait started: bounded so that it fails instead.
            Task<HttpResponseMessage> sending = new RetryHandler(settings, next).SendAsync(Post(), CancellationToken.None);
            Assert.True(await Task.WhenAny(sending, Task.Delay(TimeSpan.FromSeconds(60))) == sending, "the retry handler waited for a Retry-After past the deadline");

            (await sending).Dispose();
            Assert.Single(next.Requests);
            Assert.Contains(_log, line => line.StartsWith("not retrying: the request's deadline (600 s) would pass"));
        }

        [Fact]
        public async Task ARetryAfterLongerThanTheCapWaitsTheCap()
        {
            var next = new ScriptedHandler(s =>
            {
                HttpResponseMessage answer = ScriptedHandler.Status(s.Index == 0 ? 503 : 202);
                answer.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromHours(1));
                return answer;
            });
            var settings = new SendSettings { MaximumRetryCount = 1, RetryInterval = TimeSpan.Zero, MaximumRetryAfter = TimeSpan.FromMilliseconds(50), Log = _log.Add };

            Task<HttpResponseMessage> sending = new RetryHandler(settings, next).SendAsync(Post(), CancellationToken.None);
            Assert.True(await Task.WhenAny(sending, Task.Delay(TimeSpan.FromSeconds(60))) == sending, "the retry handler waited the hour Retry-After asked for, not its cap");

            using HttpResponseMessage response = await sending;
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Contains("retrying POST in 0.05 s (1 of 1)", _log);
        }

        [Fact]
        public async Task CancellationEndsTheWaitBeforeARetry()
        {
            using var cancellation = new CancellationTokenSource();
            var next = new ScriptedHandler(s =>
            {
                cancellation.Cancel();
                return ScriptedHandler.Status(503);
            });
            var settings = new SendSettings { MaximumRetryCount = 3, RetryInterval = TimeSpan.FromHours(1), MaximumRetryAfter = TimeSpan.FromHours(1), Log = _log.Add };

            Task<HttpResponseMessage> sending = new RetryHandler(settings, next).SendAsync(Post(), cancellation.Token);
            Assert.True(await Task.WhenAny(sending, Task.Delay(TimeSpan.FromSeconds(60))) == sending, "the wait before a retry did not end on cancellation");

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);
            Assert.Single(next.Requests);
        }

        private static RegistryRequest Post() =>
            new RegistryRequest("Starting the upload", HttpMethod.Post, s_uri).WithBody(() => new StringContent("body"));

        private static RegistryRequest Streamed(StreamedBody body) =>
            new RegistryRequest("Uploading the layer", new HttpMethod("PATCH"), s_uri).WithBody(() => body.Make()).Streamed(() => !body.Taken);

        private RetryHandler Handler(RequestHandler next, int retries) =>
            new RetryHandler(new SendSettings { MaximumRetryCount = retries, RetryInterval = TimeSpan.Zero, MaximumRetryAfter = TimeSpan.Zero, Log = _log.Add }, next);

        /// <summary>Gets no answer (as a lost connection or a timed-out attempt does), after reading the body as the sender would.</summary>
        private sealed class FailingHandler : RequestHandler
        {
            private readonly bool _timedOut;
            private readonly bool _readsBody;

            public FailingHandler(bool timedOut, bool readsBody = false)
                : base(null)
            {
                _timedOut = timedOut;
                _readsBody = readsBody;
            }

            public int Attempts { get; private set; }

            /// <summary>How many attempts fail before one is answered 202; every one when not set.</summary>
            public int FailFor { get; set; } = int.MaxValue;

            public override async Task<HttpResponseMessage> SendAsync(RegistryRequest request, CancellationToken cancellationToken)
            {
                Attempts++;
                HttpRequestMessage message = request.CreateMessage(null);
                if (Attempts > FailFor)
                {
                    return new HttpResponseMessage(HttpStatusCode.Accepted) { RequestMessage = message };
                }

                // A failure after part of the body went: the body is read before the connection drops.
                if (message.Content != null && _readsBody)
                {
                    await message.Content.ReadAsStringAsync();
                }

                throw new TransportFailure(request, _timedOut, _timedOut ? "no answer within 1 s" : "the connection failed: Connection reset by peer", null);
            }
        }
    }

    public sealed class ScrubHandlerTests
    {
        private const string Password = "hunter2-Secret!";

        [Fact]
        public async Task AFailureFromBelowIsScrubbedOfEveryFormOfTheSecret()
        {
            var secrets = new Secrets();
            secrets.AddPassword("alice", Password);
            string basic = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("alice:" + Password));
            var below = new ThrowingHandler(new RegistryException(
                RegistryFailure.Denied,
                "the registry said: bad password " + Password + ", header Basic " + basic + ", form password=" + Uri.EscapeDataString(Password))
            {
                StatusCode = HttpStatusCode.Forbidden,
            });

            var error = await Assert.ThrowsAsync<RegistryException>(() => new ScrubHandler(secrets, below).SendAsync(Get(), CancellationToken.None));

            Assert.Equal(RegistryFailure.Denied, error.Failure);
            Assert.DoesNotContain(Password, error.Message);
            Assert.DoesNotContain(basic, error.Message);
            Assert.DoesNotContain(Uri.EscapeDataString(Password), error.Message);
            Assert.Contains("bad password ***", error.Message);
        }

        [Fact]
        public async Task AFailureWithoutASecretPassesUnchanged()
        {
            var secrets = new Secrets();
            secrets.Add(Password);
            var original = new RegistryException(RegistryFailure.NameUnknown, "no such repository");

            var error = await Assert.ThrowsAsync<RegistryException>(() => new ScrubHandler(secrets, new ThrowingHandler(original)).SendAsync(Get(), CancellationToken.None));

            Assert.Same(original, error);
        }

        [Fact]
        public async Task WhoeverReadsAnAnswerBelowScrubsItWithTheClientsSecrets()
        {
            // A token server or registry that echoes the request in its error body: the reader's message has no secret.
            var secrets = new Secrets();
            secrets.Add(Password);
            var below = new ScriptedHandler(s => ScriptedHandler.Status(400, body: "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"you sent " + Password + "\"}]}"));

            using HttpResponseMessage response = await new ScrubHandler(secrets, below).SendAsync(Get(), CancellationToken.None);
            RegistryException error = await ErrorAnswer.ReadAsync("Reading", response);

            Assert.Same(secrets, below.Requests[0].Request.Secrets);
            Assert.DoesNotContain(Password, error.Message);
            Assert.DoesNotContain(Password, error.RegistryMessage ?? string.Empty);
            Assert.Contains("***", error.Message);
        }

        private static RegistryRequest Get() => new RegistryRequest("Reading", HttpMethod.Get, new Uri("https://registry.example.com/v2/app/tags/list"));

        private sealed class ThrowingHandler : RequestHandler
        {
            private readonly Exception _error;

            public ThrowingHandler(Exception error)
                : base(null) => _error = error;

            public override Task<HttpResponseMessage> SendAsync(RegistryRequest request, CancellationToken cancellationToken) => Task.FromException<HttpResponseMessage>(_error);
        }
    }
}
