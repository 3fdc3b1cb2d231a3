using System;
using System.Linq;
using StreamLayer.Registry;
using StreamLayer.Registry.Http;
using StreamLayer.Registry.Json;
using Xunit;

namespace StreamLayer.Tests
{
    public class ImageReferenceTests
    {
        [Theory]
        [InlineData("ubuntu", "index.docker.io", "library/ubuntu", null, null)]
        [InlineData("ubuntu:22.04", "index.docker.io", "library/ubuntu", "22.04", null)]
        [InlineData("docker.io/ubuntu", "index.docker.io", "library/ubuntu", null, null)]
        [InlineData("someone/app", "index.docker.io", "someone/app", null, null)]
        [InlineData("localhost/stream", "localhost", "stream", null, null)]
        [InlineData("localhost:5000/stream", "localhost:5000", "stream", null, null)]
        [InlineData("registry.example.com/team/app:1.4", "registry.example.com", "team/app", "1.4", null)]
        [InlineData("127.0.0.1:5000/a/b/c", "127.0.0.1:5000", "a/b/c", null, null)]
        [InlineData("[::1]:5000/stream", "[::1]:5000", "stream", null, null)]
        [InlineData("Registry/app", "Registry", "app", null, null)]
        [InlineData("ghcr.io/o/a@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "ghcr.io", "o/a", null, "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
        [InlineData("a.b/x__y/z-w.v:t_1", "a.b", "x__y/z-w.v", "t_1", null)]
        [InlineData("localhost:1/a", "localhost:1", "a", null, null)]
        [InlineData("localhost:65535/a", "localhost:65535", "a", null, null)]
        public void ParsesAsDockerDoes(string text, string registry, string repository, string tag, string digest)
        {
            ImageReference reference = ImageReference.Parse(text);

            Assert.Equal(registry, reference.Registry);
            Assert.Equal(repository, reference.Repository);
            Assert.Equal(tag, reference.Tag);
            Assert.Equal(digest, reference.Digest);
        }

        [Theory]
        [InlineData("")]
        [InlineData("UPPER")]
        [InlineData("localhost:5000/Stream")]
        [InlineData("localhost:5000/has space")]
        [InlineData("localhost:5000/a//b")]
        [InlineData("localhost:5000/-a")]
        [InlineData("localhost:5000/a:.tag")]
        [InlineData("localhost:5000/a@sha256:abc")]
        [InlineData("bad_host:5000/a")]
        [InlineData("localhost:0/a")]
        [InlineData("localhost:65536/a")]
        [InlineData("127.0.0.1:99999/a")]
        [InlineData("[::1]:0/a")]
        public void RefusesWhatDockerRefuses(string text)
        {
            Assert.Throws<FormatException>(() => ImageReference.Parse(text));
        }

        [Theory]
        [InlineData("localhost:5000/a", true)]
        [InlineData("localhost/a", true)]
        [InlineData("127.0.0.1:5000/a", true)]
        [InlineData("127.1.2.3/a", true)]
        [InlineData("[::1]:5000/a", true)]
        [InlineData("127.example.com/a", false)]
        [InlineData("registry.example.com/a", false)]
        [InlineData("10.0.0.1:5000/a", false)]
        public void KnowsLoopbackRegistries(string text, bool loopback)
        {
            Assert.Equal(loopback, ImageReference.Parse(text).IsLoopback);
        }

        [Fact]
        public void FormatsWithDigest()
        {
            string digest = "sha256:" + new string('a', 64);
            Assert.Equal("localhost:5000/x/y@" + digest, ImageReference.Parse("localhost:5000/x/y").WithDigest(digest).ToString());
        }

        [Theory]
        [InlineData("http://u:p@h:5000/v2/x/blobs/uploads/1?_state=secret&digest=sha256%3Aab", "http://h:5000/v2/x/blobs/uploads/1?_state=...&digest=sha256:ab")]
        [InlineData("https://s3.example.com/blob?X-Amz-Signature=abc&X-Amz-Credential=k", "https://s3.example.com/blob?X-Amz-Signature=...&X-Amz-Credential=...")]
        [InlineData("http://h/v2/", "http://h/v2/")]
        public void RedactsCredentialsAndQueryValues(string url, string expected)
        {
            Assert.Equal(expected, RedactedUrl.Of(new Uri(url)));
        }
    }

    public class JsonValueTests
    {
        [Theory]
        [InlineData("{\"b\":1,\"a\":[true,false,null],\"c\":\"x\\\"y\\\\z\\n\"}")]
        [InlineData("{\"n\":-1.5e10,\"big\":12345678901234567890,\"o\":{}}")]
        [InlineData("[]")]
        [InlineData("\"\\u003c&\\u003e\"")]
        public void KeepsMemberOrderAndNumbersAsWritten(string json)
        {
            string normalised = JsonValue.Parse(json).ToString();
            Assert.Equal(JsonValue.Parse(normalised).ToString(), normalised);
            Assert.Equal(json.Replace("\\u003c&\\u003e", "\\u003c\\u0026\\u003e"), normalised);
        }

        [Fact]
        public void ReadsValues()
        {
            JsonValue value = JsonValue.Parse(" { \"errors\" : [ { \"code\" : \"DENIED\", \"message\": \"no \\u00e9\", \"detail\": {\"a\":1} } ] } ");
            JsonValue error = value["errors"].Items[0];
            Assert.Equal("DENIED", error["code"].AsString);
            Assert.Equal("no \u00e9", error["message"].AsString);
            Assert.Equal("{\"a\":1}", error["detail"].ToString());
            Assert.Null(error["missing"]);
        }

        [Theory]
        [InlineData("")]
        [InlineData("{")]
        [InlineData("{\"a\" 1}")]
        [InlineData("[1,]")]
        [InlineData("nul")]
        [InlineData("\"unterminated")]
        [InlineData("{} extra")]
        public void RefusesInvalidJson(string json)
        {
            Assert.False(JsonValue.TryParse(json, out _));
        }

        [Theory]
        [InlineData("{\"a\":01}", "a leading zero")]
        [InlineData("{\"a\":1.}", "a number ending in a point")]
        [InlineData("{\"a\":.5}", "a number starting with a point")]
        [InlineData("{\"a\":+1}", "a plus sign")]
        [InlineData("{\"a\":\"\\ud800\"}", "an escaped lone high surrogate")]
        [InlineData("{\"a\":\"\\udc00x\"}", "an escaped lone low surrogate")]
        [InlineData("{\"a\":1,\"a\":2}", "a duplicate member")]
        [InlineData("{\"o\":{\"k\":1,\"k\":1}}", "a duplicate member in a nested object")]
        [InlineData("{\"a\":1,}", "a trailing comma")]
        [InlineData("{\"a\":1} // note", "a comment")]
        [InlineData("{'a':1}", "single quotes")]
        [InlineData("{\"a\":NaN}", "NaN")]
        public void RefusesWhatStrictReadersRefuse(string json, string what)
        {
            Assert.False(JsonValue.TryParse(json, out _), what);
            Assert.False(JsonValue.TryParse(System.Text.Encoding.UTF8.GetBytes(json), out _), what);
        }

        [Fact]
        public void RefusesTextAndBytesThatAreNotUnicode()
        {
            Assert.False(JsonValue.TryParse("{\"a\":\"\ud800\"}", out _), "a raw lone surrogate in the text");
            Assert.False(JsonValue.TryParse(new byte[] { (byte)'"', 0xC3, 0x28, (byte)'"' }, out _), "invalid UTF-8");
            Assert.False(JsonValue.TryParse(new byte[] { (byte)'"', 0xED, 0xA0, 0x80, (byte)'"' }, out _), "a surrogate encoded in UTF-8 (CESU)");
            Assert.False(JsonValue.TryParse(new string('[', 300) + new string(']', 300), out _), "nesting deeper than 256");
        }

        [Fact]
        public void ReadsAByteOrderMarkAndTheSameDocumentAsTextOrBytes()
        {
            byte[] json = System.Text.Encoding.UTF8.GetBytes("{\"auths\":{\"r\":{\"auth\":\"eA==\"}},\"n\":1.50}");
            byte[] withMark = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(json).ToArray();
            Assert.Equal("eA==", JsonValue.Parse(withMark)["auths"]["r"]["auth"].AsString);
            Assert.Equal(JsonValue.Parse(json).ToString(), JsonValue.Parse(System.Text.Encoding.UTF8.GetString(json)).ToString());
        }

        /// <summary>
        /// Image configs and manifests as Go's encoder writes them (docker, containerd, go-containerregistry): read and
        /// written again, they are the same bytes, so their digests hold. The expected bytes are the writer's output
        /// before the reader moved to System.Text.Json.
        /// </summary>
        [Fact]
        public void WritesConfigsAndManifestsByteForByteAsBefore()
        {
            const string config = "{\"architecture\":\"amd64\",\"config\":{\"Env\":[\"PATH=/usr/bin\",\"A=\\u003cb\\u003e \\u0026 \\u2028 \\u001f \\\"q\\\" \\\\ \u00e9\u4e2d\ud83d\ude00\"],\"Cmd\":[\"/bin/sh\"],\"Labels\":null},\"created\":\"2020-01-01T00:00:00Z\",\"history\":[{\"created\":\"2020-01-01T00:00:00Z\",\"created_by\":\"Push-StreamLayer (StreamLayer)\",\"empty_layer\":true}],\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"]},\"size\":12345678901234567890,\"ratio\":-1.5e-7}";
            const string manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"size\":1234,\"digest\":\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\",\"size\":99,\"digest\":\"sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210\",\"annotations\":{\"a\":\"b\"}}]}";
            foreach (string document in new[] { config, manifest })
            {
                byte[] bytes = System.Text.Encoding.UTF8.GetBytes(document);
                Assert.Equal(bytes, JsonValue.Parse(bytes).ToUtf8());
            }

            JsonValue built = JsonValue.NewObject()
                .Set("schemaVersion", 2)
                .Set("mediaType", "application/vnd.oci.image.manifest.v1+json")
                .Set("layers", JsonValue.NewArray().Add(JsonValue.NewObject().Set("size", 99).Set("digest", "sha256:00").Set("x", "<&>\u2028\t\u0001")));
            Assert.Equal(
                "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"layers\":[{\"size\":99,\"digest\":\"sha256:00\",\"x\":\"\\u003c\\u0026\\u003e\\u2028\\t\\u0001\"}]}",
                System.Text.Encoding.UTF8.GetString(built.ToUtf8()));
        }

        [Fact]
        public void SetsInPlaceAndAppends()
        {
            JsonValue value = JsonValue.Parse("{\"a\":1,\"b\":2}");
            value.Set("a", "x").Set("c", 3);
            Assert.Equal("{\"a\":\"x\",\"b\":2,\"c\":3}", value.ToString());
        }
    }
}
