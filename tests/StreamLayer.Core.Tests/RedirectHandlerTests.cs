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
    public sealed class RedirectHandlerTests
    {
        private static readonly Uri s_upload = new Uri("https://registry.example.com/v2/app/blobs/uploads/abc?_state=x");
        private readonly List<string> _log = new List<string>();

        [Theory]
        [InlineData(307)]
        [InlineData(308)]
        public async Task A307Or308KeepsTheMethodAndTheBody(int status)
        {
            var next = new ScriptedHandler(s => s.Index == 0 ? ScriptedHandler.Status(status, "https://registry.example.com/v2/app/other") : ScriptedHandler.Status(202));
            var request = new RegistryRequest("Test", new HttpMethod("PATCH"), s_upload).WithBody(() => new StringContent("chunk"));

            using HttpResponseMessage response = await Handler(next).SendAsync(request, CancellationToken.None);

            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Equal(new[] { "PATCH", "PATCH" }, next.Requests.Select(r => r.Method.Method));
            Assert.Equal("chunk", next.Requests[1].Body);
            Assert.Equal("/v2/app/other", next.Requests[1].Uri.AbsolutePath);
            Assert.Contains(_log, line => line.Contains("redirects (" + status + ")"));
        }

        [Theory]
        [InlineData(301, "POST")]
        [InlineData(302, "PUT")]
        [InlineData(303, "POST")]
        [InlineData(303, "PATCH")]
        public async Task A301To303MakesAnythingButGetAndHeadAGetWithoutABody(int status, string method)
        {
            var next = new ScriptedHandler(s => s.Index == 0 ? ScriptedHandler.Status(status, "/v2/app/done") : ScriptedHandler.Status(200));
            var request = new RegistryRequest("Test", new HttpMethod(method), s_upload).WithBody(() => new StringContent("form"));

            using HttpResponseMessage response = await Handler(next).SendAsync(request, CancellationToken.None);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("GET", next.Requests[1].Method.Method);
            Assert.Null(next.Requests[1].Body);
            Assert.Equal(new Uri("https://registry.example.com/v2/app/done"), next.Requests[1].Uri);
        }

        [Fact]
        public async Task AHeadStaysAHeadOnA302()
        {
            var next = new ScriptedHandler(s => s.Index == 0 ? ScriptedHandler.Status(302, "https://storage.example.net/blob") : ScriptedHandler.Status(200));

            (await Handler(next).SendAsync(new RegistryRequest("Test", HttpMethod.Head, s_upload), CancellationToken.None)).Dispose();

            Assert.Equal(new[] { "HEAD", "HEAD" }, next.Requests.Select(r => r.Method.Method));
        }

        [Fact]
        public async Task TheAuthorizationStaysWithItsOriginAndGoesAlongOnTheSameOne()
        {
            var next = new ScriptedHandler(s => s.Index switch
            {
                0 => ScriptedHandler.Status(307, "https://registry.example.com/v2/app/moved"),
                1 => ScriptedHandler.Status(307, "https://storage.example.net/blob?sig=1"),
                2 => ScriptedHandler.Status(307, "https://registry.example.com:8443/v2/app/back"),
                _ => ScriptedHandler.Status(200),
            });
            var request = new RegistryRequest("Test", HttpMethod.Get, s_upload).WithAuthorization(new AuthenticationHeaderValue("Bearer", "the-token"));

            (await Handler(next).SendAsync(request, CancellationToken.None)).Dispose();

            Assert.Equal(4, next.Requests.Count);
            Assert.Equal("Bearer the-token", next.Requests[1].Message.Headers.Authorization?.ToString());
            Assert.Null(next.Requests[2].Message.Headers.Authorization);
            Assert.Null(next.Requests[3].Message.Headers.Authorization);
        }

        [Fact]
        public async Task FollowsAtMostFiveRedirectsThenGivesUpAsAProtocolError()
        {
            var next = new ScriptedHandler(s => ScriptedHandler.Status(302, "/v2/app/hop" + s.Index));

            var error = await Assert.ThrowsAsync<RegistryException>(() => Handler(next).SendAsync(new RegistryRequest("Reading", HttpMethod.Get, s_upload), CancellationToken.None));

            Assert.Equal(RegistryFailure.ProtocolError, error.Failure);
            Assert.Equal(Redirect.MostHops + 1, next.Requests.Count);
            Assert.Contains("after 5 redirects already", error.Message);
            Assert.StartsWith("Reading: the registry answered GET", error.Message);
        }

        [Fact]
        public async Task ARedirectWithoutALocationIsTheAnswer()
        {
            var next = new ScriptedHandler(s => ScriptedHandler.Status(302));

            using HttpResponseMessage response = await Handler(next).SendAsync(new RegistryRequest("Test", HttpMethod.Get, s_upload), CancellationToken.None);

            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Single(next.Requests);
        }

        [Fact]
        public async Task ALocationThatIsNotHttpIsRefused()
        {
            var next = new ScriptedHandler(s => ScriptedHandler.Status(302, "file:///etc/passwd"));

            var error = await Assert.ThrowsAsync<RegistryException>(() => Handler(next).SendAsync(new RegistryRequest("Test", HttpMethod.Get, s_upload), CancellationToken.None));

            Assert.Equal(RegistryFailure.LocationInvalid, error.Failure);
            Assert.Single(next.Requests);
        }

        [Theory]
        [InlineData(307)]
        [InlineData(308)]
        public async Task AStreamedBodyAlreadySentIsNotSentAgainToAKeepingRedirect(int status)
        {
            var body = new StreamedBody("blob bytes");
            var next = new ScriptedHandler(s => s.Index == 0 ? ScriptedHandler.Status(status, "/v2/app/elsewhere") : ScriptedHandler.Status(202));

            var error = await Assert.ThrowsAsync<RegistryException>(() => Handler(next).SendAsync(Streamed(body), CancellationToken.None));

            Assert.True(body.Taken);
            Assert.Equal(RegistryFailure.RedirectNotFollowed, error.Failure);
            Assert.Contains("-UploadMode Chunked", error.Message);
            Assert.Single(next.Requests);
        }

        [Fact]
        public async Task AStreamedBodyNoneOfWhichWasTakenFollowsA307()
        {
            var body = new StreamedBody("blob bytes");
            // Answered before the body was read (a front end that redirects on the headers, with Expect: 100-continue).
            var next = new ScriptedHandler(s => s.Index == 0 ? ScriptedHandler.Status(307, "/v2/app/elsewhere") : ScriptedHandler.Status(202));
            var request = new RegistryRequest("Uploading", new HttpMethod("PATCH"), s_upload).WithBody(() => body.Make()).Streamed(() => !body.Taken);
            var unread = new HeadersOnlyFirst(next);

            using HttpResponseMessage response = await Handler(unread).SendAsync(request, CancellationToken.None);

            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Equal(new[] { "PATCH", "PATCH" }, next.Requests.Select(r => r.Method.Method));
            Assert.Equal("blob bytes", next.Requests[1].Body);
        }

        [Fact]
        public async Task AStreamedRequestA303MakesAGetFollowsThatGetsLaterRedirects()
        {
            // The 303 after a streamed PATCH (its body sent) makes a GET, which has no body: a later redirect of that
            // GET is a redirect of a request that can be sent again, not of the streamed one.
            var body = new StreamedBody("blob bytes");
            var next = new ScriptedHandler(s => s.Index switch
            {
                0 => ScriptedHandler.Status(303, "https://registry.example.com/v2/app/status"),
                1 => ScriptedHandler.Status(302, "https://registry.example.com/v2/app/status/2"),
                2 => ScriptedHandler.Status(307, "https://registry.example.com/v2/app/status/3"),
                _ => ScriptedHandler.Status(200),
            });

            using HttpResponseMessage response = await Handler(next).SendAsync(Streamed(body), CancellationToken.None);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(new[] { "PATCH", "GET", "GET", "GET" }, next.Requests.Select(r => r.Method.Method));
            Assert.Equal("/v2/app/status/3", next.Requests[3].Uri.AbsolutePath);
        }

        [Fact]
        public async Task TheClientsPipelineFollowsTheGetA303MakesOfAStreamedPatchThroughItsLaterRedirects()
        {
            // The same, through the registry client's composed pipeline (scrub, retry, redirect, auth, send) and a
            // handler in place of the network: the PATCH's body is really read by the sender before the 303.
            var body = new StreamedBody("blob bytes");
            var seen = new List<string>();
            var network = new AnsweringHandler(request =>
            {
                lock (seen)
                {
                    seen.Add(request.Method + " " + request.RequestUri.AbsolutePath + " " + (request.Content == null ? "-" : request.Content.ReadAsStringAsync().GetAwaiter().GetResult()));
                }

                switch (seen.Count)
                {
                    case 1: return ScriptedHandler.Status(303, "/v2/app/blobs/uploads/abc/status");
                    case 2: return ScriptedHandler.Status(307, "https://mirror.example.net/status");
                    default: return ScriptedHandler.Status(204);
                }
            });
            var options = new RegistryOptions { RetryInterval = TimeSpan.Zero, MaximumRetryCount = 2, Log = _log.Add };
            using var client = new StreamLayer.Registry.Client.RegistryClient(ImageReference.Parse("registry.example.com/app"), options, network);

            using HttpResponseMessage response = await client.SendAsync(Streamed(body), CancellationToken.None);

            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            Assert.Equal(new[] { "PATCH /v2/app/blobs/uploads/abc blob bytes", "GET /v2/app/blobs/uploads/abc/status -", "GET /status -" }, seen);
        }

        [Fact]
        public async Task ABodyThatHoldsASecretIsNotSentToAnotherOrigin()
        {
            var next = new ScriptedHandler(s => s.Index == 0 ? ScriptedHandler.Status(307, "https://elsewhere.example.net/token") : ScriptedHandler.Status(200));
            var request = new RegistryRequest("Fetching a token", HttpMethod.Post, new Uri("https://auth.example.com/token"))
                .WithBody(() => new StringContent("refresh_token=s3cret"))
                .HoldingSecret("the form that holds the identity token");

            var error = await Assert.ThrowsAsync<RegistryException>(() => Handler(next, "the token server").SendAsync(request, CancellationToken.None));

            Assert.Equal(RegistryFailure.RedirectNotFollowed, error.Failure);
            Assert.Single(next.Requests);
            Assert.Contains("the token server", error.Message);
            Assert.Contains("the form that holds the identity token", error.Message);
            Assert.DoesNotContain("s3cret", error.Message);
        }

        [Fact]
        public async Task ABodyThatHoldsASecretFollowsARedirectOnItsOwnOriginAndA303Anywhere()
        {
            var next = new ScriptedHandler(s => s.Index switch
            {
                0 => ScriptedHandler.Status(307, "https://auth.example.com/token/v2"),
                1 => ScriptedHandler.Status(303, "https://elsewhere.example.net/done"),
                _ => ScriptedHandler.Status(200),
            });
            var request = new RegistryRequest("Fetching a token", HttpMethod.Post, new Uri("https://auth.example.com/token"))
                .WithBody(() => new StringContent("refresh_token=s3cret"))
                .HoldingSecret("the form that holds the identity token");

            (await Handler(next).SendAsync(request, CancellationToken.None)).Dispose();

            Assert.Equal(new[] { "POST", "POST", "GET" }, next.Requests.Select(r => r.Method.Method));
            Assert.Equal("refresh_token=s3cret", next.Requests[1].Body);
            Assert.Null(next.Requests[2].Body);
        }

        private static RegistryRequest Streamed(StreamedBody body) =>
            new RegistryRequest("Uploading the layer", new HttpMethod("PATCH"), s_upload).WithBody(() => body.Make()).Streamed(() => !body.Taken);

        private RedirectHandler Handler(RequestHandler next, string server = "the registry") =>
            new RedirectHandler(server, new SendSettings { Log = _log.Add }, next);

        private sealed class AnsweringHandler : HttpMessageHandler
        {
            private readonly Func<HttpRequestMessage, HttpResponseMessage> _answer;

            public AnsweringHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) => _answer = answer;

            protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                HttpResponseMessage response = _answer(request);
                response.RequestMessage = request;
                return Task.FromResult(response);
            }
        }

        /// <summary>Answers the first request without reading its body, as a front end that answers on the headers does.</summary>
        private sealed class HeadersOnlyFirst : RequestHandler
        {
            private readonly ScriptedHandler _inner;
            private bool _first = true;

            public HeadersOnlyFirst(ScriptedHandler inner)
                : base(null) => _inner = inner;

            public override Task<HttpResponseMessage> SendAsync(RegistryRequest request, CancellationToken cancellationToken)
            {
                if (!_first)
                {
                    return _inner.SendAsync(request, cancellationToken);
                }

                _first = false;
                HttpRequestMessage message = request.CreateMessage(null);
                _inner.Requests.Add(new ScriptedHandler.Sent(request, message, null, 0));
                HttpResponseMessage response = ScriptedHandler.Status(307, "/v2/app/elsewhere");
                response.RequestMessage = message;
                return Task.FromResult(response);
            }
        }
    }
}
