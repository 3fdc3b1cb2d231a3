using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry;
using StreamLayer.Registry.Http;
using Xunit;

namespace StreamLayer.Tests
{
    /// <summary>The sender's retries and its per-attempt hook, against a handler that answers from a script.</summary>
    public class RequestSenderTests
    {
        private static readonly Uri s_uri = new Uri("https://registry.example.com/v2/app/blobs/uploads/");

        [Fact]
        public async Task RunsTheHookBeforeEveryAttemptRetriesIncluded()
        {
            var events = new List<string>();
            int answers = 0;
            using (RequestSender sender = Sender(events, () => ++answers < 3 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.Accepted, retries: 4))
            using (HttpResponseMessage response = await sender.SendAsync("Test", _ => new HttpRequestMessage(HttpMethod.Post, s_uri), () => true, Hook(events), CancellationToken.None))
            {
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            }

            Assert.Equal(new[] { "hook", "send", "hook", "send", "hook", "send" }, events);
        }

        [Fact]
        public async Task ARequestThatCannotBeSentAgainGetsOneAttemptAndItsAnswer()
        {
            var events = new List<string>();
            using (RequestSender sender = Sender(events, () => HttpStatusCode.ServiceUnavailable, retries: 4))
            using (HttpResponseMessage response = await sender.SendAsync("Test", _ => new HttpRequestMessage(HttpMethod.Post, s_uri), () => false, Hook(events), CancellationToken.None))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            }

            Assert.Equal(new[] { "hook", "send" }, events);
        }

        [Fact]
        public async Task AHookThatFailsStopsTheRequestBeforeItIsSent()
        {
            var events = new List<string>();
            using (RequestSender sender = Sender(events, () => HttpStatusCode.Accepted, retries: 4))
            {
                var error = await Assert.ThrowsAsync<RegistryException>(() => sender.SendAsync(
                    "Test",
                    _ => new HttpRequestMessage(HttpMethod.Post, s_uri),
                    () => true,
                    _ => throw new RegistryException(RegistryFailure.TokenRealmUnreachable, "no token"),
                    CancellationToken.None));

                Assert.Equal(RegistryFailure.TokenRealmUnreachable, error.Failure);
            }

            Assert.Empty(events);
        }

        [Fact]
        public async Task SendsWithoutAHookAndGivesUpAfterTheRetryCount()
        {
            var events = new List<string>();
            using (RequestSender sender = Sender(events, () => HttpStatusCode.BadGateway, retries: 2))
            using (HttpResponseMessage response = await sender.SendAsync("Test", _ => new HttpRequestMessage(HttpMethod.Get, s_uri), () => true, null, CancellationToken.None))
            {
                Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            }

            Assert.Equal(new[] { "send", "send", "send" }, events);
        }

        private static Func<CancellationToken, Task> Hook(List<string> events) => _ =>
        {
            events.Add("hook");
            return Task.CompletedTask;
        };

        private static RequestSender Sender(List<string> events, Func<HttpStatusCode> answer, int retries) =>
            new RequestSender(
                new HttpClient(new ScriptedHandler(events, answer)),
                RegistryCertificates.Find("registry.example.com", null, null),
                new SendSettings { Timeout = TimeSpan.FromSeconds(10), MaximumRetryCount = retries, RetryInterval = TimeSpan.Zero, MaximumRetryAfter = TimeSpan.Zero });

        private sealed class ScriptedHandler : HttpMessageHandler
        {
            private readonly List<string> _events;
            private readonly Func<HttpStatusCode> _answer;

            public ScriptedHandler(List<string> events, Func<HttpStatusCode> answer)
            {
                _events = events;
                _answer = answer;
            }

            protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                _events.Add("send");
                return Task.FromResult(new HttpResponseMessage(_answer()) { RequestMessage = request });
            }
        }
    }
}
