using System;
using System.Collections.Generic;
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
using StreamLayer.Registry.Client;

namespace StreamLayer.Tests
{
    /// <summary>
    /// The authenticator's decisions against a scripted server: what is sent where, when a token is fetched and
    /// reused, and which failure each refusal becomes. The Pester suite covers the same against docker-registry.
    /// </summary>
    public class RegistryAuthenticationTests
    {
        private const string Password = "TOP:SECRET/pw+";

        [Fact]
        public async Task BasicCredentialsFollowTheChallengeAndStayOnTheRegistryHost()
        {
            var server = new ScriptedServer(request =>
            {
                if (request.RequestUri.Host == "storage.example.net")
                {
                    return new HttpResponseMessage(HttpStatusCode.Accepted);
                }

                return request.Headers.Authorization == null
                    ? Challenge("Basic realm=\"registry\"")
                    : new HttpResponseMessage(HttpStatusCode.Accepted) { Headers = { Location = new Uri("https://storage.example.net/upload?sig=abc") } };
            });
            using (RegistryClient client = Client(server, "registry.example.com/team/app", RegistryCredential.FromPassword("alice", Password, "test")))
            {
                using (HttpResponseMessage opened = await Send(client, HttpMethod.Post, client.RepositoryUri("blobs/uploads/")))
                using (await Send(client, new HttpMethod("PATCH"), opened.Headers.Location))
                {
                    Assert.Equal(HttpStatusCode.Accepted, opened.StatusCode);
                }
            }

            Assert.Equal(3, server.Requests.Count);
            Assert.Null(server.Requests[0].Authorization);
            Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:" + Password)), server.Requests[1].Authorization);
            Assert.Equal("storage.example.net", server.Requests[2].Uri.Host);
            Assert.Null(server.Requests[2].Authorization);
        }

        [Fact]
        public async Task AStreamedBodyIsSentAgainAfterAChallengeOnlyWhenNoneOfItWasTaken()
        {
            var server = new ScriptedServer(request => request.Headers.Authorization == null ? Challenge("Basic realm=\"r\"") : new HttpResponseMessage(HttpStatusCode.Accepted));
            using (RegistryClient client = Client(server, "registry.example.com/app", RegistryCredential.FromPassword("alice", Password, "test")))
            {
                Uri uri = client.RepositoryUri("blobs/uploads/x");
                using (HttpResponseMessage taken = await client.SendAsync(new RegistryRequest("Test", new HttpMethod("PATCH"), uri).WithBody(() => new StreamContent(new System.IO.MemoryStream(new byte[10]))).Streamed(() => false), CancellationToken.None))
                {
                    Assert.Equal(HttpStatusCode.Unauthorized, taken.StatusCode);
                }

                Assert.Single(server.Requests);
                using (HttpResponseMessage untouched = await client.SendAsync(new RegistryRequest("Test", new HttpMethod("PATCH"), uri).WithBody(() => new StreamContent(new System.IO.MemoryStream(new byte[10]))).Streamed(() => true), CancellationToken.None))
                {
                    Assert.Equal(HttpStatusCode.Accepted, untouched.StatusCode);
                }

                Assert.NotNull(server.Requests[1].Authorization);
            }
        }

        [Fact]
        public async Task RefusesBasicCredentialsOverPlainHttpUnlessAllowed()
        {
            var server = new ScriptedServer(request => request.Headers.Authorization == null ? Challenge("Basic realm=\"r\"") : new HttpResponseMessage(HttpStatusCode.Accepted));
            using (RegistryClient client = Client(server, "registry.example.com:5000/app", RegistryCredential.FromPassword("alice", Password, "test"), plainHttp: true))
            {
                var error = await Assert.ThrowsAsync<RegistryException>(() => Send(client, HttpMethod.Post, client.RepositoryUri("blobs/uploads/")));

                Assert.Equal(RegistryFailure.UnencryptedAuthentication, error.Failure);
                Assert.All(server.Requests, r => Assert.Null(r.Authorization));
            }

            using (RegistryClient client = Client(server, "registry.example.com:5000/app", RegistryCredential.FromPassword("alice", Password, "test"), plainHttp: true, allowUnencrypted: true))
            using (HttpResponseMessage response = await Send(client, HttpMethod.Post, client.RepositoryUri("blobs/uploads/")))
            {
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            }
        }

        [Fact]
        public async Task AWrongPasswordIsAuthenticationFailedAndNoCredentialsIsUnauthorized()
        {
            var server = new ScriptedServer(request => Challenge("Basic realm=\"r\""));
            using (RegistryClient client = Client(server, "registry.example.com/app", RegistryCredential.FromPassword("alice", Password, "test")))
            {
                var error = await Assert.ThrowsAsync<RegistryException>(() => Send(client, HttpMethod.Post, client.RepositoryUri("blobs/uploads/")));
                Assert.Equal(RegistryFailure.AuthenticationFailed, error.Failure);
                Assert.Contains("alice", error.Message);
                Assert.DoesNotContain(Password, error.ToString());
            }

            using (RegistryClient client = Client(server, "registry.example.com/app", null))
            {
                var error = await Assert.ThrowsAsync<RegistryException>(() => Send(client, HttpMethod.Post, client.RepositoryUri("blobs/uploads/")));
                Assert.Equal(RegistryFailure.Unauthorized, error.Failure);
                Assert.Contains("-Credential", error.Message);
            }
        }

        [Fact]
        public async Task OneTokenServesEveryRequestUntilTheRegistryRefusesIt()
        {
            int tokens = 0;
            string refused = null;
            var server = new ScriptedServer(request =>
            {
                if (request.RequestUri.Host == "auth.example.com")
                {
                    return Token("token-" + Interlocked.Increment(ref tokens), 300);
                }

                string authorization = request.Headers.Authorization?.ToString();
                if (authorization == null || authorization == refused)
                {
                    return Challenge("Bearer realm=\"https://auth.example.com/token\",service=\"reg\",scope=\"repository:team/app:pull,push\"" + (authorization != null ? ",error=\"invalid_token\"" : string.Empty));
                }

                return new HttpResponseMessage(HttpStatusCode.OK);
            });
            using (RegistryClient client = Client(server, "registry.example.com/team/app", RegistryCredential.FromPassword("alice", Password, "test")))
            {
                for (int i = 0; i < 5; i++)
                {
                    using (HttpResponseMessage response = await Send(client, HttpMethod.Head, client.RepositoryUri("blobs/sha256:0")))
                    {
                        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    }
                }

                Assert.Equal(1, tokens);

                // The registry stops taking the token (it expired before its stated lifetime): a new one, and the request goes again.
                refused = "Bearer token-1";
                using (HttpResponseMessage response = await Send(client, HttpMethod.Head, client.RepositoryUri("blobs/sha256:0")))
                {
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                }

                Assert.Equal(2, tokens);
            }

            ScriptedServer.Seen tokenRequest = server.Requests.First(r => r.Uri.Host == "auth.example.com");
            Assert.Equal(HttpMethod.Get, tokenRequest.Method);
            Assert.Contains("scope=repository%3Ateam%2Fapp%3Apush%2Cpull", tokenRequest.Uri.Query);
            Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:" + Password)), tokenRequest.Authorization);
            Assert.All(server.Requests.Where(r => r.Uri.Host == "registry.example.com").Skip(1), r => Assert.StartsWith("Bearer token-", r.Authorization));
        }

        [Fact]
        public async Task AnExtraScopeGetsATokenThatCoversItToo()
        {
            var scopes = new List<string>();
            var server = new ScriptedServer(request =>
            {
                if (request.RequestUri.Host == "auth.example.com")
                {
                    scopes.Add(Uri.UnescapeDataString(request.RequestUri.Query));
                    return Token("t" + scopes.Count, 300);
                }

                return request.Headers.Authorization == null ? Challenge("Bearer realm=\"https://auth.example.com/token\",service=\"reg\"") : new HttpResponseMessage(HttpStatusCode.Accepted);
            });
            using (RegistryClient client = Client(server, "registry.example.com/team/app", null))
            {
                (await Send(client, HttpMethod.Post, client.RepositoryUri("blobs/uploads/"))).Dispose();
                client.RequestScope(RegistryClient.RepositoryScope("team/base", "pull"));
                (await Send(client, HttpMethod.Post, client.RepositoryUri("blobs/uploads/?mount=sha256:0&from=team/base"))).Dispose();
            }

            Assert.Equal(2, scopes.Count);
            Assert.Equal("?service=reg&scope=repository:team/app:push,pull", scopes[0]);
            Assert.Equal("?service=reg&scope=repository:team/app:push,pull&scope=repository:team/base:pull", scopes[1]);
        }

        [Fact]
        public async Task AClientThatOnlyReadsAsksForPullAlone()
        {
            string query = null;
            var server = new ScriptedServer(request =>
            {
                if (request.RequestUri.Host == "auth.example.com")
                {
                    query = Uri.UnescapeDataString(request.RequestUri.Query);
                    return Token("t", 300);
                }

                return request.Headers.Authorization == null ? Challenge("Bearer realm=\"https://auth.example.com/token\",service=\"reg\",scope=\"repository:library/ubuntu:pull\"") : new HttpResponseMessage(HttpStatusCode.OK);
            });
            using (RegistryClient client = Client(server, "ubuntu", null))
            {
                client.RepositoryActions = "pull";
                (await Send(client, HttpMethod.Head, client.RepositoryUri("manifests/latest"))).Dispose();
            }

            Assert.Equal("?service=reg&scope=repository:library/ubuntu:pull", query);
        }

        [Fact]
        public async Task AFreshTokenThatIsRefusedIsDeniedForAnAccountAndUnauthorizedWithout()
        {
            var server = new ScriptedServer(request =>
                request.RequestUri.Host == "auth.example.com"
                    ? Token("weak", 300)
                    : Challenge("Bearer realm=\"https://auth.example.com/token\",service=\"reg\",scope=\"repository:team/app:pull,push\",error=\"insufficient_scope\""));
            using (RegistryClient client = Client(server, "registry.example.com/team/app", RegistryCredential.FromPassword("reader", Password, "test")))
            {
                var error = await Assert.ThrowsAsync<RegistryException>(() => Send(client, HttpMethod.Post, client.RepositoryUri("blobs/uploads/")));
                Assert.Equal(RegistryFailure.Denied, error.Failure);
                Assert.Contains("insufficient_scope", error.Message);
            }

            using (RegistryClient client = Client(server, "registry.example.com/team/app", null))
            {
                var error = await Assert.ThrowsAsync<RegistryException>(() => Send(client, HttpMethod.Post, client.RepositoryUri("blobs/uploads/")));
                Assert.Equal(RegistryFailure.Unauthorized, error.Failure);
            }

            Assert.Equal(2, server.Requests.Count(r => r.Uri.Host == "auth.example.com"));
        }

        [Fact]
        public async Task AWrongPasswordCostsOneFailedLoginAtTheTokenServer()
        {
            var server = new ScriptedServer(request =>
                request.RequestUri.Host == "auth.example.com"
                    ? new HttpResponseMessage(HttpStatusCode.Unauthorized) { Content = new StringContent("{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad login\"}]}") }
                    : Challenge("Bearer realm=\"https://auth.example.com/token\",service=\"reg\""));
            using (RegistryClient client = Client(server, "registry.example.com/team/app", RegistryCredential.FromPassword("alice", Password, "test")))
            {
                var error = await Assert.ThrowsAsync<RegistryException>(() => Send(client, HttpMethod.Post, client.RepositoryUri("blobs/uploads/")));
                Assert.Equal(RegistryFailure.AuthenticationFailed, error.Failure);
            }

            Assert.Single(server.Requests, r => r.Uri.Host == "auth.example.com");
        }

        [Fact]
        public async Task AnIdentityTokenGoesByTheOAuth2RefreshGrant()
        {
            const string identity = "identity-token-secret";
            var server = new ScriptedServer(request =>
                request.RequestUri.Host == "auth.example.com"
                    ? Token("t", 300)
                    : request.Headers.Authorization == null ? Challenge("Bearer realm=\"https://auth.example.com/token\",service=\"reg\"") : new HttpResponseMessage(HttpStatusCode.OK));
            using (RegistryClient client = Client(server, "registry.example.com/team/app", RegistryCredential.FromIdentityToken(identity, "test")))
            {
                (await Send(client, HttpMethod.Head, client.RepositoryUri("blobs/sha256:0"))).Dispose();
            }

            ScriptedServer.Seen tokenRequest = server.Requests.Single(r => r.Uri.Host == "auth.example.com");
            Assert.Equal(HttpMethod.Post, tokenRequest.Method);
            Assert.Contains("grant_type=refresh_token", tokenRequest.Body);
            Assert.Contains("refresh_token=" + identity, tokenRequest.Body);
            Assert.Null(tokenRequest.Authorization);
        }

        [Fact]
        public async Task AFreshTokenRefusedAsInvalidIsATokenTheRegistryCannotVerify()
        {
            var server = new ScriptedServer(request =>
                request.RequestUri.Host == "auth.example.com"
                    ? Token("unverifiable", 300)
                    : Challenge("Bearer realm=\"https://auth.example.com/token\",service=\"reg\",scope=\"repository:team/app:pull,push\"" + (request.Headers.Authorization != null ? ",error=\"invalid_token\"" : string.Empty)));
            using (RegistryClient client = Client(server, "registry.example.com/team/app", RegistryCredential.FromPassword("alice", Password, "test")))
            {
                var error = await Assert.ThrowsAsync<RegistryException>(() => Send(client, HttpMethod.Post, client.RepositoryUri("blobs/uploads/")));
                Assert.Equal(RegistryFailure.TokenRejected, error.Failure);
                Assert.Contains("invalid_token", error.Message);
                Assert.Contains("clocks", error.Message);
                Assert.DoesNotContain("may not push", error.Message);
            }
        }

        [Fact]
        public async Task AsksWithGetAndBasicForAPasswordAndNeverPostsIt()
        {
            var server = new ScriptedServer(request =>
            {
                if (request.RequestUri.Host == "auth.example.com")
                {
                    return request.Method == HttpMethod.Post ? new HttpResponseMessage(HttpStatusCode.NotFound) : Token("t", 300);
                }

                return request.Headers.Authorization == null ? Challenge("Bearer realm=\"https://auth.example.com/token?x=1\"") : new HttpResponseMessage(HttpStatusCode.OK);
            });
            using (RegistryClient client = Client(server, "registry.example.com/team/app", RegistryCredential.FromPassword("alice", Password, "test")))
            {
                (await Send(client, HttpMethod.Head, client.RepositoryUri("blobs/sha256:0"))).Dispose();
            }

            ScriptedServer.Seen get = server.Requests.Single(r => r.Uri.Host == "auth.example.com");
            Assert.Equal(HttpMethod.Get, get.Method);
            Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:" + Password)), get.Authorization);
            Assert.StartsWith("?x=1&scope=", get.Uri.Query);
            Assert.Contains("account=alice", get.Uri.Query);
        }

        [Fact]
        public async Task SendsNoCredentialsToAPlainHttpTokenServerElsewhere()
        {
            var server = new ScriptedServer(request =>
                request.RequestUri.Host == "auth.example.com" ? Token("t", 300) : Challenge("Bearer realm=\"http://auth.example.com/token\""));
            using (RegistryClient client = Client(server, "registry.example.com/team/app", RegistryCredential.FromPassword("alice", Password, "test")))
            {
                var error = await Assert.ThrowsAsync<RegistryException>(() => Send(client, HttpMethod.Post, client.RepositoryUri("blobs/uploads/")));
                Assert.Equal(RegistryFailure.UnencryptedAuthentication, error.Failure);
            }

            Assert.DoesNotContain(server.Requests, r => r.Uri.Host == "auth.example.com");
        }

        [Theory]
        [InlineData("Bearer realm=\"https://auth.example.com/token", RegistryFailure.ChallengeInvalid)]
        [InlineData("Bearer service=\"reg\"", RegistryFailure.ChallengeInvalid)]
        [InlineData("Bearer realm=", RegistryFailure.ChallengeInvalid)]
        [InlineData("Bearer realm=\"ftp://auth.example.com/token\"", RegistryFailure.ChallengeInvalid)]
        [InlineData("Negotiate", RegistryFailure.ChallengeInvalid)]
        public async Task AChallengeThatCannotBeFollowedIsReportedAsSuch(string header, RegistryFailure failure)
        {
            var server = new ScriptedServer(request => Challenge(header));
            using (RegistryClient client = Client(server, "registry.example.com/team/app", RegistryCredential.FromPassword("alice", Password, "test")))
            {
                var error = await Assert.ThrowsAsync<RegistryException>(() => Send(client, HttpMethod.Post, client.RepositoryUri("blobs/uploads/")));
                Assert.Equal(failure, error.Failure);
            }
        }

        [Fact]
        public async Task AnUnreachableTokenServerIsReportedAsSuch()
        {
            var server = new ScriptedServer(request =>
            {
                if (request.RequestUri.Host == "auth.example.com")
                {
                    throw new HttpRequestException("connection refused");
                }

                return Challenge("Bearer realm=\"https://auth.example.com/token\"");
            });
            using (RegistryClient client = Client(server, "registry.example.com/team/app", null))
            {
                var error = await Assert.ThrowsAsync<RegistryException>(() => Send(client, HttpMethod.Post, client.RepositoryUri("blobs/uploads/")));
                Assert.Equal(RegistryFailure.TokenRealmUnreachable, error.Failure);
                Assert.Contains("https://auth.example.com/token", error.Message);
            }
        }

        [Fact]
        public async Task ATokenIsRenewedBeforeARequestWhenItsLifetimeIsNearlyOver()
        {
            int tokens = 0;
            var server = new ScriptedServer(request =>
                request.RequestUri.Host == "auth.example.com"
                    ? Token("t" + Interlocked.Increment(ref tokens), 1)
                    : request.Headers.Authorization == null ? Challenge("Bearer realm=\"https://auth.example.com/token\"") : new HttpResponseMessage(HttpStatusCode.OK));
            using (RegistryClient client = Client(server, "registry.example.com/team/app", null))
            {
                (await Send(client, HttpMethod.Head, client.RepositoryUri("blobs/sha256:0"))).Dispose();
                await Task.Delay(1100);
                (await Send(client, HttpMethod.Head, client.RepositoryUri("blobs/sha256:0"))).Dispose();
            }

            Assert.Equal(2, tokens);
            Assert.Equal(1, server.Requests.Count(r => r.Uri.Host == "registry.example.com" && r.Authorization == null));
        }

        private static RegistryClient Client(ScriptedServer server, string repository, RegistryCredential credential, bool plainHttp = false, bool allowUnencrypted = false) =>
            new RegistryClient(
                ImageReference.Parse(repository),
                new RegistryOptions { Credential = credential, PlainHttp = plainHttp, AllowUnencryptedAuthentication = allowUnencrypted, RetryInterval = TimeSpan.Zero, MaximumRetryCount = 1 },
                server);

        private static Task<HttpResponseMessage> Send(RegistryClient client, HttpMethod method, Uri uri) =>
            client.SendAsync(new RegistryRequest("Test", method, uri), CancellationToken.None);

        private static HttpResponseMessage Challenge(string header)
        {
            var response = new HttpResponseMessage(HttpStatusCode.Unauthorized)
            {
                Content = new StringContent("{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}"),
            };
            response.Headers.TryAddWithoutValidation("WWW-Authenticate", header);
            return response;
        }

        private static HttpResponseMessage Token(string token, int expiresIn) =>
            new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{\"token\":\"" + token + "\",\"expires_in\":" + expiresIn + "}") };

        private sealed class ScriptedServer : HttpMessageHandler
        {
            private readonly Func<HttpRequestMessage, HttpResponseMessage> _answer;

            public ScriptedServer(Func<HttpRequestMessage, HttpResponseMessage> answer) => _answer = answer;

            public List<Seen> Requests { get; } = new List<Seen>();

            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                string body = request.Content == null ? null : await request.Content.ReadAsStringAsync();
                lock (Requests)
                {
                    Requests.Add(new Seen { Method = request.Method, Uri = request.RequestUri, Authorization = request.Headers.Authorization?.ToString(), Body = body });
                }

                HttpResponseMessage response = _answer(request);
                response.RequestMessage = request;
                return response;
            }

            public sealed class Seen
            {
                public HttpMethod Method;
                public Uri Uri;
                public string Authorization;
                public string Body;
            }
        }
    }
}
