using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry;
using StreamLayer.Registry.Auth;
using StreamLayer.Registry.Http;
using Xunit;

namespace StreamLayer.Tests
{
    /// <summary>
    /// The token client on the token server's real pipeline (scrub, retry, redirect, send) over a scripted
    /// token server: the answers a real one gives only by accident (bad JSON, endless bodies, echoed secrets).
    /// </summary>
    public sealed class TokenClientTests : IDisposable
    {
        private const string Password = "pa55-Word!x";
        private const string Scope = "repository:team/app:push,pull";
        private static readonly AuthChallenge s_challenge = AuthChallenge.Parse("Bearer realm=\"https://auth.example.com/token\",service=\"registry.example.com\"")[0];
        private static readonly RegistryCredential s_alice = RegistryCredential.FromPassword("alice", Password, "-Credential");

        private readonly List<string> _log = new List<string>();
        private readonly Secrets _secrets = new Secrets();
        private readonly string _noCertificates = Path.Combine(Path.GetTempPath(), "streamlayer-tokens-" + Guid.NewGuid().ToString("N"));
        private Connections _connections;

        public TokenClientTests() => Directory.CreateDirectory(_noCertificates);

        public void Dispose()
        {
            _connections?.Dispose();
            Directory.Delete(_noCertificates, true);
        }

        [Fact]
        public async Task AsksAnonymouslyWithServiceAndScopeAndReadsTokenAndExpiresIn()
        {
            var server = new TokenServer(r => Json("{\"token\":\"tok-1\",\"expires_in\":300}"));

            var (token, lifetime) = await Fetch(server, null);

            Assert.Equal("tok-1", token);
            Assert.Equal(TimeSpan.FromSeconds(300), lifetime);
            TokenServer.Seen asked = Assert.Single(server.Requests);
            Assert.Equal("GET", asked.Method);
            Assert.Null(asked.Authorization);
            Assert.Equal("https://auth.example.com/token?service=registry.example.com&scope=repository%3Ateam%2Fapp%3Apush%2Cpull", asked.Uri.AbsoluteUri);
            Assert.Contains("got a token for " + Scope + " from https://auth.example.com/token (anonymous, valid for 300 s)", _log);
        }

        [Fact]
        public async Task SendsAPasswordAsBasicWithTheAccount()
        {
            var server = new TokenServer(r => Json("{\"token\":\"tok-2\"}"));

            await Fetch(server, s_alice);

            TokenServer.Seen asked = Assert.Single(server.Requests);
            Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:" + Password)), asked.Authorization);
            Assert.EndsWith("&account=alice", asked.Uri.Query);
        }

        [Theory]
        [InlineData("{\"token\":\"t\"}", 60)]
        [InlineData("{\"token\":\"t\",\"expires_in\":0}", 60)]
        [InlineData("{\"token\":\"t\",\"expires_in\":-5}", 60)]
        [InlineData("{\"token\":\"t\",\"expires_in\":1}", 1)]
        [InlineData("{\"access_token\":\"t\",\"expires_in\":3600}", 3600)]
        [InlineData("{\"token\":\"\",\"access_token\":\"t\",\"expires_in\":7}", 7)]
        public async Task ALifetimeOfNoneOrLessThanASecondIsSixtySeconds(string answer, int seconds)
        {
            var (token, lifetime) = await Fetch(new TokenServer(r => Json(answer)), null);

            Assert.Equal("t", token);
            Assert.Equal(TimeSpan.FromSeconds(seconds), lifetime);
        }

        [Theory]
        [InlineData("", "is not a JSON object")]
        [InlineData("<html>sign in</html>", "is not a JSON object")]
        [InlineData("[\"token\"]", "is not a JSON object")]
        [InlineData("{\"token\":\"t\"", "is not a JSON object")]
        [InlineData("{\"token\":\"t\"} trailing", "is not a JSON object")]
        [InlineData("{}", "holds no token")]
        [InlineData("{\"token\":\"\"}", "holds no token")]
        [InlineData("{\"token\":42}", "holds no token")]
        [InlineData("{\"expires_in\":60}", "holds no token")]
        public async Task AnAnswerWithoutATokenIsAProtocolError(string answer, string says)
        {
            var error = await Assert.ThrowsAsync<RegistryException>(() => Fetch(new TokenServer(r => Json(answer)), null));

            Assert.Equal(RegistryFailure.ProtocolError, error.Failure);
            Assert.StartsWith("Getting a token from the registry's token server: the token server answered GET https://auth.example.com/token with 200 OK, but its answer ", error.Message);
            Assert.Contains(says, error.Message);
            Assert.Contains("tell the registry's operator", error.Message);
        }

        [Fact]
        public async Task AnEndlessAnswerIsReadOnlyToTheCapAndRefused()
        {
            var endless = new EndlessStream("{\"token\":\"");
            var server = new TokenServer(r => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(endless) });

            Task<(string, TimeSpan)> fetching = Fetch(server, null);
            Assert.True(await Task.WhenAny(fetching, Task.Delay(TimeSpan.FromSeconds(120))) == fetching, "the token answer was read without a cap");

            var error = await Assert.ThrowsAsync<RegistryException>(() => fetching);
            Assert.Equal(RegistryFailure.ProtocolError, error.Failure);
            Assert.Contains("larger than 64 MiB", error.Message);
            Assert.InRange(endless.BytesRead, SendHandler.MaximumBufferedBody, SendHandler.MaximumBufferedBody + (1 << 16));
        }

        [Fact]
        public async Task AnEndlessRefusalIsReadOnlyToTheErrorCap()
        {
            var endless = new EndlessStream("{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"");
            var server = new TokenServer(r => new HttpResponseMessage(HttpStatusCode.Unauthorized) { Content = new StreamContent(endless) });

            Task<(string, TimeSpan)> fetching = Fetch(server, s_alice);
            Assert.True(await Task.WhenAny(fetching, Task.Delay(TimeSpan.FromSeconds(60))) == fetching, "the refusal was read without a cap");

            var error = await Assert.ThrowsAsync<RegistryException>(() => fetching);
            Assert.Equal(RegistryFailure.AuthenticationFailed, error.Failure);
            Assert.InRange(endless.BytesRead, ErrorAnswer.MaximumBody, ErrorAnswer.MaximumBody + (1 << 16));
            Assert.True(error.Message.Length < 4096, "the message quotes the endless body: " + error.Message.Length + " characters");
        }

        [Fact]
        public async Task FollowsARedirectToAnotherHostWithoutTheBasicCredentials()
        {
            var server = new TokenServer(r => r.Uri.Host == "auth.example.com"
                ? Redirect(302, "https://tokens.example.net/issue?x=1")
                : Json("{\"token\":\"tok-3\",\"expires_in\":30}"));

            var (token, _) = await Fetch(server, s_alice);

            Assert.Equal("tok-3", token);
            Assert.Equal(2, server.Requests.Count);
            Assert.NotNull(server.Requests[0].Authorization);
            Assert.Null(server.Requests[1].Authorization);
            // The log redacts the query, where storage and token servers put signatures.
            Assert.Contains("the token server redirects (302) to https://tokens.example.net/issue?x=...", _log);
        }

        [Fact]
        public async Task KeepsTheBasicCredentialsOnARedirectWithinTheRealmsOrigin()
        {
            var server = new TokenServer(r => r.Uri.AbsolutePath == "/token" ? Redirect(307, "/v2/token") : Json("{\"token\":\"tok-4\"}"));

            await Fetch(server, s_alice);

            Assert.Equal(server.Requests[0].Authorization, server.Requests[1].Authorization);
            Assert.NotNull(server.Requests[1].Authorization);
        }

        [Fact]
        public async Task NeverPostsAnIdentityTokenToAnotherHost()
        {
            var server = new TokenServer(r => Redirect(307, "https://tokens.example.net/oauth"));

            var error = await Assert.ThrowsAsync<RegistryException>(() => Fetch(server, RegistryCredential.FromIdentityToken("refresh-me-9", "docker config")));

            Assert.Equal(RegistryFailure.RedirectNotFollowed, error.Failure);
            TokenServer.Seen posted = Assert.Single(server.Requests);
            Assert.Equal("POST", posted.Method);
            Assert.Contains("grant_type=refresh_token", posted.Body);
            Assert.Contains("refresh_token=refresh-me-9", posted.Body);
            Assert.DoesNotContain("refresh-me-9", error.Message);
        }

        [Fact]
        public async Task ARefusalThatEchoesThePasswordIsScrubbed()
        {
            string basic = Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:" + Password));
            var server = new TokenServer(r => new HttpResponseMessage(HttpStatusCode.Unauthorized)
            {
                Content = new StringContent("{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad login alice/" + Password + " (Basic " + basic + ")\"}]}"),
            });

            var error = await Assert.ThrowsAsync<RegistryException>(() => Fetch(server, s_alice));

            Assert.Equal(RegistryFailure.AuthenticationFailed, error.Failure);
            Assert.Contains("refused user 'alice' (from -Credential)", error.Message);
            Assert.Contains("UNAUTHORIZED: bad login alice/***", error.Message);
            Assert.DoesNotContain(Password, error.Message);
            Assert.DoesNotContain(basic, error.Message);
            Assert.Null(error.InnerException);
        }

        [Fact]
        public async Task AnIssuedTokenIsScrubbedFromLaterAnswers()
        {
            int asked = 0;
            var server = new TokenServer(r => Interlocked.Increment(ref asked) == 1
                ? Json("{\"token\":\"issued-token-77\"}")
                : new HttpResponseMessage(HttpStatusCode.Forbidden) { Content = new StringContent("{\"errors\":[{\"code\":\"DENIED\",\"message\":\"issued-token-77 is not enough\"}]}") });
            TokenClient client = Client(server, null);

            var (token, _) = await client.FetchAsync(s_challenge, null, Scope, CancellationToken.None);
            var error = await Assert.ThrowsAsync<RegistryException>(() => client.FetchAsync(s_challenge, null, Scope, CancellationToken.None));

            Assert.Equal("issued-token-77", token);
            Assert.Equal(RegistryFailure.Denied, error.Failure);
            Assert.Contains("denied " + Scope + " to an anonymous client", error.Message);
            Assert.DoesNotContain("issued-token-77", error.Message);
            Assert.Contains("*** is not enough", error.Message);
        }

        [Fact]
        public async Task AnAnonymousRefusalSaysWhereNoCredentialsWereFound()
        {
            var server = new TokenServer(r => new HttpResponseMessage(HttpStatusCode.Unauthorized));

            var error = await Assert.ThrowsAsync<RegistryException>(() => Fetch(server, null));

            Assert.Equal(RegistryFailure.Unauthorized, error.Failure);
            Assert.Contains("gives no anonymous token for " + Scope, error.Message);
            Assert.Contains("No credentials were found for registry.example.com", error.Message);
        }

        [Fact]
        public async Task APasswordIsNotSentToAPlainHttpRealmElsewhere()
        {
            var server = new TokenServer(r => Json("{\"token\":\"t\"}"));
            AuthChallenge plain = AuthChallenge.Parse("Bearer realm=\"http://auth.example.com/token\",service=\"registry.example.com\"")[0];

            var error = await Assert.ThrowsAsync<RegistryException>(() => Client(server, s_alice).FetchAsync(plain, s_alice, Scope, CancellationToken.None));

            Assert.Equal(RegistryFailure.UnencryptedAuthentication, error.Failure);
            Assert.Empty(server.Requests);
        }

        [Fact]
        public async Task AServerThatCannotBeReachedIsTokenRealmUnreachable()
        {
            var server = new TokenServer(r => throw new HttpRequestException("Connection refused"));

            var error = await Assert.ThrowsAsync<RegistryException>(() => Fetch(server, null));

            Assert.Equal(RegistryFailure.TokenRealmUnreachable, error.Failure);
            Assert.StartsWith("The registry sends clients to the token server https://auth.example.com/token for a token, and it cannot be reached: ", error.Message);
            Assert.Equal(2, server.Requests.Count);
        }

        [Fact]
        public async Task AnotherStatusIsTheServersErrorScrubbed()
        {
            var server = new TokenServer(r => new HttpResponseMessage(HttpStatusCode.BadRequest)
            {
                Content = new StringContent("{\"errors\":[{\"code\":\"UNSUPPORTED\",\"message\":\"account alice with " + Password + "\"}]}"),
            });

            var error = await Assert.ThrowsAsync<RegistryException>(() => Fetch(server, s_alice));

            Assert.Equal(RegistryFailure.Unsupported, error.Failure);
            Assert.DoesNotContain(Password, error.Message);
        }

        private Task<(string Token, TimeSpan Lifetime)> Fetch(TokenServer server, RegistryCredential credential) =>
            Client(server, credential).FetchAsync(s_challenge, credential, Scope, CancellationToken.None);

        private TokenClient Client(TokenServer server, RegistryCredential credential)
        {
            var settings = new SendSettings
            {
                Timeout = TimeSpan.FromSeconds(30),
                MaximumRetryCount = 1,
                RetryInterval = TimeSpan.Zero,
                MaximumRetryAfter = TimeSpan.Zero,
                Log = _log.Add,
            };
            _connections?.Dispose();
            _connections = new Connections(new Uri("https://registry.example.com/"), RegistryCertificates.Find("registry.example.com", _noCertificates, null), settings, server);
            var pipeline = new ScrubHandler(_secrets, new RetryHandler(settings, new RedirectHandler("the token server", settings, new SendHandler(_connections, settings))));
            var credentials = new CredentialLookup(Registry.ImageReference.Parse("registry.example.com/team/app"), credential, null, _log.Add, _secrets);
            return new TokenClient(pipeline, credentials, false, _log.Add, _secrets);
        }

        private static HttpResponseMessage Json(string body) =>
            new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

        private static HttpResponseMessage Redirect(int status, string location)
        {
            var response = new HttpResponseMessage((HttpStatusCode)status);
            response.Headers.Location = new Uri(location, UriKind.RelativeOrAbsolute);
            return response;
        }

        /// <summary>A body that never ends: a prefix, then 'a' for ever. Counts what was read of it.</summary>
        private sealed class EndlessStream : Stream
        {
            private readonly byte[] _prefix;

            public EndlessStream(string prefix) => _prefix = Encoding.UTF8.GetBytes(prefix);

            public long BytesRead { get; private set; }

            public override bool CanRead => true;

            public override bool CanSeek => false;

            public override bool CanWrite => false;

            public override long Length => throw new NotSupportedException();

            public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

            public override int Read(byte[] buffer, int offset, int count)
            {
                for (int i = 0; i < count; i++)
                {
                    buffer[offset + i] = BytesRead + i < _prefix.Length ? _prefix[BytesRead + i] : (byte)'a';
                }

                BytesRead += count;
                return count;
            }

            public override void Flush()
            {
            }

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        }

        private sealed class TokenServer : HttpMessageHandler
        {
            private readonly Func<Seen, HttpResponseMessage> _answer;

            public TokenServer(Func<Seen, HttpResponseMessage> answer) => _answer = answer;

            public List<Seen> Requests { get; } = new List<Seen>();

            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                var seen = new Seen
                {
                    Method = request.Method.Method,
                    Uri = request.RequestUri,
                    Authorization = request.Headers.Authorization?.ToString(),
                    Body = request.Content == null ? null : await request.Content.ReadAsStringAsync(),
                };
                lock (Requests)
                {
                    Requests.Add(seen);
                }

                HttpResponseMessage response = _answer(seen);
                response.RequestMessage = request;
                return response;
            }

            public sealed class Seen
            {
                public string Method;
                public Uri Uri;
                public string Authorization;
                public string Body;
            }
        }
    }
}
