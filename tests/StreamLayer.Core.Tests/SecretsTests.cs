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
        public void LeavesOrdinaryWordsAloneForAVeryShortSecret()
        {
            var secrets = new Secrets();
            secrets.Add("a");
            Assert.Equal("a registry answer", secrets.Scrub("a registry answer"));
        }
    }
}
