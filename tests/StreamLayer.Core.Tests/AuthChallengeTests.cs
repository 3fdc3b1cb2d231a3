using System;
using System.Linq;
using StreamLayer.Registry.Auth;
using Xunit;

namespace StreamLayer.Tests
{
    public class AuthChallengeTests
    {
        [Fact]
        public void ReadsDistributionsBearerChallenge()
        {
            var challenge = AuthChallenge.Parse("Bearer realm=\"https://auth.example.com/token\",service=\"registry.example.com\",scope=\"repository:team/app:pull,push\"").Single();

            Assert.True(challenge.IsBearer);
            Assert.Equal(new Uri("https://auth.example.com/token"), challenge.Realm);
            Assert.Equal("registry.example.com", challenge.Service);
            Assert.Equal(new[] { "repository:team/app:pull,push" }, challenge.Scopes);
        }

        [Fact]
        public void SplitsScopesAndReadsTheError()
        {
            var challenge = AuthChallenge.Parse("Bearer realm=\"https://a/token\", scope=\"repository:a:pull repository:b:pull\", error=\"insufficient_scope\"").Single();

            Assert.Equal(new[] { "repository:a:pull", "repository:b:pull" }, challenge.Scopes);
            Assert.Equal("insufficient_scope", challenge.Error);
        }

        [Fact]
        public void ReadsSeveralChallengesInOneHeaderAndAcrossHeaders()
        {
            var challenges = AuthChallenge.Parse(new[] { "Basic realm=\"x\", Bearer realm=\"https://a/token\",service=s", "Negotiate abc+/==", "Digest" });

            Assert.Equal(new[] { "Basic", "Bearer", "Negotiate", "Digest" }, challenges.Select(c => c.Scheme));
            Assert.Equal("x", challenges[0]["realm"]);
            Assert.Equal("s", challenges[1].Service);
            Assert.Equal("abc+/==", challenges[2][string.Empty]);
        }

        [Fact]
        public void UnescapesQuotedValues()
        {
            var challenge = AuthChallenge.Parse("Basic realm=\"say \\\"hi\\\", ok\"").Single();

            Assert.Equal("say \"hi\", ok", challenge["realm"]);
        }

        [Theory]
        [InlineData("Bearer realm=\"https://a/token")]
        [InlineData("Bearer realm=\"https://a/token\" service=\"s\"")]
        [InlineData("Bearer realm=\"a\" x")]
        [InlineData("Bearer realm=\"a\", realm=\"b\"")]
        [InlineData("=x")]
        [InlineData("Bearer realm=https://a/token")]
        [InlineData("")]
        public void RefusesMalformedHeaders(string header)
        {
            Assert.Throws<FormatException>(() => AuthChallenge.Parse(header));
        }

        [Fact]
        public void ShowsNoValues()
        {
            var challenge = AuthChallenge.Parse("Bearer realm=\"https://a/token\",service=\"secret-service\"").Single();

            Assert.DoesNotContain("secret-service", challenge.ToString());
        }
    }
}
