using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry;
using StreamLayer.Registry.Blobs;
using StreamLayer.Registry.Client;
using Xunit;

namespace StreamLayer.Tests
{
    /// <summary>
    /// RegistrySink against the real docker-registry, seen through a front end that records every request and,
    /// where a test asks, refuses a streamed body as proxies do (411, 413, 416): the registry itself never refuses one.
    /// What the registry stored is read from its storage folder, not asked of it.
    /// </summary>
    public sealed class RegistrySinkTests : IClassFixture<RealRegistryTests.DockerRegistry>
    {
        private const int Segment = 64 << 10;
        private readonly RealRegistryTests.DockerRegistry _registry;
        private readonly List<string> _log = new List<string>();

        public RegistrySinkTests(RealRegistryTests.DockerRegistry registry) => _registry = registry;

        public static TheoryData<string, UploadMode?, int?, bool, int> Modes => new TheoryData<string, UploadMode?, int?, bool, int>
        {
            // name, -UploadMode, -ChunkSize, chunks expected, largest chunk expected
            { "nothing asked: one streamed PATCH", null, null, false, 0 },
            { "a size alone asks for chunks", null, 100 << 10, true, 100 << 10 },
            { "Stream wins over a size", UploadMode.Stream, 100 << 10, false, 0 },
            { "Chunked without a size: the default chunk", UploadMode.Chunked, null, true, RegistryOptions.DefaultChunkSize },
        };

        [Theory]
        [MemberData(nameof(Modes))]
        public async Task UploadsInTheModeTheOptionsChoose(string name, UploadMode? mode, int? chunkSize, bool chunks, int largest)
        {
            byte[] blob = TestData.Noise(chunks && largest == RegistryOptions.DefaultChunkSize ? 300 << 10 : 1 << 20, seed: name.Length);
            string repository = "modes/" + Guid.NewGuid().ToString("N");
            var frontEnd = new FrontEnd();

            LayerDigest layer = await Push(repository, blob, frontEnd, new RegistryOptions { UploadMode = mode, ChunkSize = chunkSize });

            Assert.Equal(TestData.Sha256(blob), layer.Digest);
            AssertStored(repository, blob);
            List<FrontEnd.Seen> patches = frontEnd.Requests.Where(r => r.Method == "PATCH").ToList();
            if (chunks)
            {
                Assert.All(patches, p => Assert.NotNull(p.ContentRange));
                Assert.Equal(blob.Length, patches.Sum(p => p.ChunkLength));
                Assert.Equal(Math.Min(largest, blob.Length), patches.Max(p => p.ChunkLength));
                Assert.Equal((blob.Length + largest - 1) / largest, patches.Count);
            }
            else
            {
                FrontEnd.Seen patch = Assert.Single(patches);
                Assert.Null(patch.ContentRange);
                Assert.True(patch.Chunked, "the streamed PATCH asks for chunked transfer");
                Assert.True(patch.ExpectContinue, "the streamed PATCH asks for 100-continue");
            }

            Assert.Equal(new[] { "POST" }, frontEnd.Requests.Take(1).Select(r => r.Method));
            Assert.Equal(new[] { "PUT", "HEAD" }, frontEnd.Requests.Skip(frontEnd.Requests.Count - 2).Select(r => r.Method));
            Assert.DoesNotContain(frontEnd.Requests, r => r.Method == "DELETE");
        }

        [Theory]
        [InlineData(411)]
        [InlineData(413)]
        [InlineData(416)]
        public async Task AStreamedBodyRefusedBeforeAnyOfItWasSentGoesInChunksToTheSameSession(int status)
        {
            byte[] blob = TestData.Noise(1 << 20, seed: status);
            string repository = "fallback/" + status;
            var frontEnd = new FrontEnd { RefuseFirstStreamedPatch = status };

            LayerDigest layer = await Push(repository, blob, frontEnd, new RegistryOptions { UploadMode = UploadMode.Stream, ChunkSize = 300 << 10 });

            Assert.Equal(TestData.Sha256(blob), layer.Digest);
            AssertStored(repository, blob);
            Assert.Contains(_log, line => line.StartsWith("the registry refused a streamed body (" + status + " ") && line.EndsWith("before any of it was sent; uploading in chunks of 307200 bytes instead"));
            List<FrontEnd.Seen> patches = frontEnd.Requests.Where(r => r.Method == "PATCH").ToList();
            Assert.Null(patches[0].ContentRange);
            Assert.Equal(4, patches.Count(p => p.ContentRange != null));
            Assert.Single(frontEnd.Requests, r => r.Method == "POST");
        }

        [Fact]
        public async Task TheFallbackChunksAreNoLargerThanGhcrTakes()
        {
            byte[] blob = TestData.Noise(9 << 20, seed: 9);
            string repository = "fallback/capped";
            var frontEnd = new FrontEnd { RefuseFirstStreamedPatch = 411 };

            await Push(repository, blob, frontEnd, new RegistryOptions { UploadMode = UploadMode.Stream, ChunkSize = 8 << 20 });

            AssertStored(repository, blob);
            List<FrontEnd.Seen> chunks = frontEnd.Requests.Where(r => r.Method == "PATCH" && r.ContentRange != null).ToList();
            Assert.Equal(new long[] { 4 << 20, 4 << 20, 1 << 20 }, chunks.Select(c => c.ChunkLength));
        }

        [Fact]
        public async Task AStreamedBodyRefusedAfterPartOfItWasSentFailsAndLeavesNoSession()
        {
            byte[] blob = TestData.Noise(1 << 20, seed: 13);
            string repository = "refused/midway";
            var frontEnd = new FrontEnd { RefuseFirstStreamedPatch = 413, ReadBeforeRefusing = true };

            var error = await Assert.ThrowsAsync<RegistryException>(() => Push(repository, blob, frontEnd, new RegistryOptions()));

            Assert.Contains("limits request bodies: push with -UploadMode Chunked and a -ChunkSize it accepts", error.Message);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, error.StatusCode);
            Assert.DoesNotContain(frontEnd.Requests, r => r.Method == "PATCH" && r.ContentRange != null);
            Assert.DoesNotContain(frontEnd.Requests, r => r.Method == "PUT");
            Assert.Contains(frontEnd.Requests, r => r.Method == "DELETE");
            Assert.Empty(LiveSessions(repository));
            Assert.False(File.Exists(StoredBlob(TestData.Sha256(blob))), "no blob was stored");
        }

        [Fact]
        public void PushedLayersNameTheBlobInItsRepository()
        {
            var layer = new LayerDigest("sha256:" + new string('a', 64), "sha256:" + new string('b', 64), 10, 20, MediaTypes.DockerLayerGzip, "/tmp/x.tar");
            ImageReference repository = ImageReference.Parse("localhost:5000/team/app");

            PushedLayer own = PushedLayers.Of(layer, repository);
            PushedLayer inManifest = PushedLayers.Of(layer, repository, MediaTypes.OciLayer);

            Assert.Equal(layer.Digest, own.Digest);
            Assert.Equal(layer.DiffId, own.DiffId);
            Assert.Equal(10, own.Size);
            Assert.Equal(20, own.UncompressedSize);
            Assert.Equal(MediaTypes.DockerLayerGzip, own.MediaType);
            Assert.Equal("/tmp/x.tar", own.Path);
            Assert.Equal("localhost:5000", own.Registry);
            Assert.Equal("team/app", own.Repository);
            Assert.Equal("localhost:5000/team/app@" + layer.Digest, own.Reference);
            Assert.Equal(MediaTypes.OciLayer, inManifest.MediaType);
        }

        [Fact]
        public void ARegistryDestinationIsAllOrNothingOnlyForAnImage()
        {
            using var client = new RegistryClient(ImageReference.Parse(_registry.Host + "/dest/app"), new RegistryOptions());

            var layers = new RegistryDestination(client, forImage: false);
            var image = new RegistryDestination(client, forImage: true);

            Assert.False(layers.AllOrNothing);
            Assert.True(image.AllOrNothing);
            Assert.Equal(int.MaxValue, layers.MaxLayers);
            Assert.Equal(_registry.Host + "/dest/app", layers.Target);
            Assert.IsType<RegistrySink>(layers.OpenSink(null));
        }

        private async Task<LayerDigest> Push(string repository, byte[] blob, FrontEnd frontEnd, RegistryOptions options)
        {
            options.RetryInterval = TimeSpan.Zero;
            options.MaximumRetryCount = 0;
            options.Timeout = TimeSpan.FromSeconds(60);
            options.Log = _log.Add;
            using var client = new RegistryClient(ImageReference.Parse(_registry.Host + "/" + repository), options, frontEnd);
            var sink = new RegistrySink(client);
            Task pushing = sink.ConsumeAsync(new SegmentedBlob(blob), CancellationToken.None);
            Assert.True(await Task.WhenAny(pushing, Task.Delay(TimeSpan.FromMinutes(2))) == pushing, "the push did not end within 2 minutes");
            await pushing;
            Assert.Equal(blob.Length, sink.BytesUploaded);
            return sink.Layer;
        }

        private void AssertStored(string repository, byte[] blob)
        {
            string data = StoredBlob(TestData.Sha256(blob));
            Assert.True(File.Exists(data), "the registry stored no blob " + TestData.Sha256(blob));
            Assert.Equal(blob, File.ReadAllBytes(data));
            Assert.True(Directory.Exists(Path.Combine(_registry.Storage, "docker/registry/v2/repositories", repository, "_layers/sha256", TestData.Sha256(blob).Substring(7))), "the blob is linked into " + repository);
            Assert.Empty(LiveSessions(repository));
        }

        private string StoredBlob(string digest)
        {
            string hex = digest.Substring(7);
            return Path.Combine(_registry.Storage, "docker/registry/v2/blobs/sha256", hex.Substring(0, 2), hex, "data");
        }

        /// <summary>Upload sessions the registry still holds (a folder with its startedat file).</summary>
        private IEnumerable<string> LiveSessions(string repository)
        {
            string uploads = Path.Combine(_registry.Storage, "docker/registry/v2/repositories", repository, "_uploads");
            return Directory.Exists(uploads) ? Directory.GetDirectories(uploads).Where(d => File.Exists(Path.Combine(d, "startedat"))) : Enumerable.Empty<string>();
        }

        /// <summary>A finished blob given in 64 KiB segments, as the encoder hands out blocks.</summary>
        private sealed class SegmentedBlob : IBlobSource
        {
            private readonly byte[] _bytes;
            private int _given;

            public SegmentedBlob(byte[] bytes) => _bytes = bytes;

            public LayerDigest Layer => new LayerDigest(TestData.Sha256(_bytes), TestData.Sha256(_bytes), _bytes.Length, _bytes.Length, MediaTypes.OciLayer);

            public long BytesRead => _given;

            public Task<ArraySegment<byte>> ReadAsync(CancellationToken cancellationToken)
            {
                int count = Math.Min(Segment, _bytes.Length - _given);
                var segment = new ArraySegment<byte>(_bytes, _given, count);
                _given += count;
                return Task.FromResult(segment);
            }
        }

        /// <summary>The way to the real registry: records each request, and refuses the first streamed PATCH when told to.</summary>
        private sealed class FrontEnd : DelegatingHandler
        {
            private bool _refused;

            public FrontEnd()
                : base(new HttpClientHandler { AllowAutoRedirect = false })
            {
            }

            /// <summary>The status to refuse the first PATCH without Content-Range with; 0 for none.</summary>
            public int RefuseFirstStreamedPatch { get; set; }

            /// <summary>Whether the refusal comes after the front end read the body (a body cap), or before (a refusal on the headers).</summary>
            public bool ReadBeforeRefusing { get; set; }

            public List<Seen> Requests { get; } = new List<Seen>();

            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                string range = request.Content != null && request.Content.Headers.TryGetValues("Content-Range", out IEnumerable<string> values) ? values.First() : null;
                var seen = new Seen
                {
                    Method = request.Method.Method,
                    ContentRange = range,
                    Chunked = request.Headers.TransferEncodingChunked == true,
                    ExpectContinue = request.Headers.ExpectContinue == true,
                };
                lock (Requests)
                {
                    Requests.Add(seen);
                }

                if (RefuseFirstStreamedPatch != 0 && !_refused && seen.Method == "PATCH" && range == null)
                {
                    _refused = true;
                    if (ReadBeforeRefusing)
                    {
                        await request.Content.ReadAsByteArrayAsync(cancellationToken);
                    }

                    return new HttpResponseMessage((HttpStatusCode)RefuseFirstStreamedPatch) { RequestMessage = request, Content = new StringContent("<html>refused by the proxy</html>") };
                }

                return await base.SendAsync(request, cancellationToken);
            }

            public sealed class Seen
            {
                public string Method;
                public string ContentRange;
                public bool Chunked;
                public bool ExpectContinue;

                /// <summary>The bytes a chunk's Content-Range (first-last, inclusive) names.</summary>
                public long ChunkLength
                {
                    get
                    {
                        string[] ends = ContentRange.Split('-');
                        return long.Parse(ends[1]) - long.Parse(ends[0]) + 1;
                    }
                }
            }
        }
    }
}
