using System;
using System.Net;
using System.Text;
using StreamLayer.Registry.Http;
using Xunit;

namespace StreamLayer.Tests
{
    /// <summary>What a registry or token server echoes is scrubbed of every form a secret travels in.</summary>
    public class SecretsTests
    {
        private const string Password = "pa ss/w+rd&<x>\"é";

        [Fact]
        public void ScrubsEveryFormOfAPasswordAndItsBasicParameter()
        {
            var secrets = new Secrets();
            secrets.AddPassword("alice", Password);
            string basic = Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:" + Password));
            string echoed = string.Join(
                " | ",
                Password,
                Uri.EscapeDataString(Password),
                WebUtility.UrlEncode(Password),
                Convert.ToBase64String(Encoding.UTF8.GetBytes(Password)),
                "Basic " + basic,
                Registry.Json.JsonValue.From(Password).ToString());

            string scrubbed = secrets.Scrub(echoed);

            Assert.DoesNotContain(Password, scrubbed);
            Assert.DoesNotContain(basic, scrubbed);
            Assert.DoesNotContain(Uri.EscapeDataString(Password), scrubbed);
            Assert.DoesNotContain(WebUtility.UrlEncode(Password), scrubbed);
            Assert.DoesNotContain("w+rd\\u0026", scrubbed);
            Assert.Contains("Basic ***", scrubbed);
        }

        [Fact]
        public void ScrubsAVeryShortSecretWhereItStandsAloneAndLeavesWordsThatHoldItWhole()
        {
            var secrets = new Secrets();
            secrets.AddPassword("bob", "pw1");
            Assert.Equal("grant_type=password&password=***&username=bob", secrets.Scrub("grant_type=password&password=pw1&username=bob"));
            Assert.Equal("{\"password\":\"***\"}", secrets.Scrub("{\"password\":\"pw1\"}"));
            Assert.Equal("pw12 and apw1 stay", secrets.Scrub("pw12 and apw1 stay"));
            Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes("bob:pw1")), secrets.Scrub("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("bob:pw1"))));
        }
    }
}
