using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Compression;
using StreamLayer.Registry;
using StreamLayer.Registry.Blobs;
using StreamLayer.Registry.Http;
using Xunit;
using StreamLayer.Layers;
using StreamLayer.Registry.Client;

namespace StreamLayer.Tests
{
    /// <summary>The switches flip process-wide paths, so these tests run alone, never beside another test.</summary>
    [CollectionDefinition(nameof(FrameworkCodePathTests), DisableParallelization = true)]
    public sealed class FrameworkCodePathCollection
    {
    }

    /// <summary>
    /// The code paths that .NET Framework (Windows PowerShell 5.1) takes, forced on this runtime through
    /// <see cref="FrameworkCodePaths"/>. build.ps1 Test also runs them on Mono, where nothing has to be forced.
    /// </summary>
    [Collection(nameof(FrameworkCodePathTests))]
    public sealed class FrameworkCodePathTests : IDisposable
    {
        private const int Block = 1 << 20;

        public void Dispose()
        {
            FrameworkCodePaths.ForceSequentialGzip = false;
            FrameworkCodePaths.ForceSingleMemberGzip = false;
            FrameworkCodePaths.ForceEnumLevels = false;
            FrameworkCodePaths.ForceNoPemKeys = false;
            FrameworkCodePaths.ForceExplicitTls = false;
            FrameworkCodePaths.ForceManagedZstd = false;
        }

        [Fact]
        public void ManagedZstdWhereLibzstdCannotBeUsedGivesTheSameLayerAsLibzstd()
        {
            // libzstd ships for this platform, so it must be in use here: a broken package must fail this test.
            Assert.True(NativeZstd.IsAvailable, NativeZstd.Unavailable);
            byte[] input = TestData.Mixed(2 * (4 << 20) + 777, seed: 7);
            foreach (int level in new[] { 1, 3 })
            {
                var options = new LayerOptions { Compression = LayerCompression.Zstd, CompressionLevel = level };
                var native = TestData.Encode(input, options);

                FrameworkCodePaths.ForceManagedZstd = true;
                var managed = TestData.Encode(input, options);
                FrameworkCodePaths.ForceManagedZstd = false;

                Assert.Equal(native.Blob, managed.Blob);
                Assert.Equal(input, TestData.Unzstd(managed.Blob));
            }
        }

        [Theory]
        [InlineData(-5)]
        [InlineData(0)]
        [InlineData(1)]
        [InlineData(3)]
        [InlineData(9)]
        [InlineData(19)]
        [InlineData(22)]
        public void LibzstdAndZstdSharpWriteTheSameFrameAtLevel(int level)
        {
            Assert.True(NativeZstd.IsAvailable, NativeZstd.Unavailable);
            byte[] input = TestData.Mixed(level >= 19 ? 300_000 : (1 << 20) + 4099, seed: 100 + level);
            var a = new byte[ZstdSharp.Compressor.GetCompressBound(input.Length)];
            var b = new byte[a.Length];
            using var managed = ZstdContext.Managed(level);
            using var native = ZstdContext.Native(level);

            int n = managed.Compress(input, 0, input.Length, a);
            Assert.Equal(n, native.Compress(input, 0, input.Length, b));
            Assert.Equal(a.AsSpan(0, n).ToArray(), b.AsSpan(0, n).ToArray());
        }

        [Fact]
        public void WithoutByteAlignedFlushesGzipIsOneSequentialStreamThatGunzipsToTheInput()
        {
            byte[] input = TestData.Mixed(3 * Block + 12345);
            string parallel = TestData.Encode(input).Layer.Digest;

            FrameworkCodePaths.ForceSequentialGzip = true;
            Assert.IsType<SequentialGzipCompressor>(BlockCompressor.Create(LayerCompression.Gzip, 1));
            var (blob, layer) = TestData.Encode(input, new LayerOptions { MaxParallelism = 4 });

            Assert.Equal(input, TestData.Gunzip(blob));
            Assert.Equal(TestData.Sha256(input), layer.DiffId);
            Assert.Equal(TestData.Sha256(blob), layer.Digest);
            Assert.Equal(blob.Length, layer.Size);
            Assert.Equal(layer.Digest, TestData.Encode(input, new LayerOptions { MaxParallelism = 1 }).Layer.Digest);
            Assert.NotEqual(parallel, layer.Digest);
        }

        [Fact]
        public void WithoutNumericLevelsZeroIsStoredOneIsFastestAndTwoToNineAreOptimal()
        {
            FrameworkCodePaths.ForceEnumLevels = true;

            Assert.False(GzipStreams.HasNumericLevels);
            Assert.Equal(CompressionLevel.NoCompression, GzipStreams.NearestLevel(0));
            Assert.Equal(CompressionLevel.Fastest, GzipStreams.NearestLevel(1));
            Assert.All(Enumerable.Range(2, 8), level => Assert.Equal(CompressionLevel.Optimal, GzipStreams.NearestLevel(level)));

            byte[] input = TestData.Mixed(2 * Block + 7);
            byte[] Level(int level) => TestData.Encode(input, new LayerOptions { CompressionLevel = level }).Blob;
            Assert.Single(Enumerable.Range(2, 7).Select(level => TestData.Sha256(Level(level))).Distinct());
            Assert.NotEqual(Level(1), Level(6));
            Assert.True(Level(0).Length > input.Length, "level 0 stores the input");

            // 9 compresses as Optimal too; only the header's XFL byte still says "slowest".
            byte[] nine = Level(9);
            byte[] six = Level(6);
            Assert.Equal(2, nine[8]);
            nine[8] = six[8];
            Assert.Equal(six, nine);
        }

        [Fact]
        public void ThisRuntimeHonoursEveryLevelAndNamesSmallestSize()
        {
            // The other side of the switch: .NET 10 (PowerShell 7.6) takes levels as numbers.
            Assert.True(GzipStreams.HasNumericLevels);
            Assert.Equal((CompressionLevel)3, GzipStreams.NearestLevel(9));
        }

        [Fact]
        public void WithoutMemberSupportGzipInputIsCheckedAgainstItsTrailer()
        {
            FrameworkCodePaths.ForceSingleMemberGzip = true;
            Assert.False(CheckedGzipStream.ReadsConcatenatedMembers);
            byte[] tar = TestData.Mixed(Block + 999);

            var (blob, layer) = TestData.Encode(TestData.Gzip(tar));
            Assert.Equal(TestData.Sha256(tar), layer.DiffId);
            Assert.Equal(TestData.Sha256(blob), layer.Digest);

            byte[] twoMembers = TestData.Concat(TestData.Gzip(tar.Take(1000).ToArray()), TestData.Gzip(tar.Skip(1000).ToArray()));
            var error = Assert.Throws<LayerInputException>(() => TestData.Encode(twoMembers));
            Assert.Equal(LayerInputProblem.Corrupt, error.Problem);
            Assert.Contains("several gzip members", error.Message);
        }

        [Fact]
        public void WithoutPemKeySupportAClientKeyIsRefusedWithTheWayToAPfx()
        {
            string folder = ClientCertificateFolder();
            try
            {
                var clients = new X509Certificate2Collection();
                CertificateFiles.ReadFolder(folder, new X509Certificate2Collection(), clients);
                Assert.Single(clients);

                FrameworkCodePaths.ForceNoPemKeys = true;
                var error = Assert.Throws<RegistryException>(() => CertificateFiles.ReadFolder(folder, new X509Certificate2Collection(), new X509Certificate2Collection()));
                Assert.Equal(RegistryFailure.CertificateInvalid, error.Failure);
                Assert.Contains("openssl pkcs12 -export", error.Message);
                Assert.Contains("Get-PfxCertificate", error.Message);
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        [Fact]
        public void OnTheFrameworkLineTheModulesHandlerOffersTls12And13()
        {
            RegistryCertificates certificates = RegistryCertificates.Find("registry.example.com", null, null);
            using (HttpClientHandler handler = Connections.CreateHandler(new SendSettings(), certificates))
            {
                Assert.Equal(SslProtocols.None, handler.SslProtocols); // .NET: the system's choice
            }

            FrameworkCodePaths.ForceExplicitTls = true;
            using (HttpClientHandler handler = Connections.CreateHandler(new SendSettings(), certificates))
            {
                Assert.Equal(SslProtocols.Tls12 | Connections.Tls13, handler.SslProtocols);
            }
        }

        [Fact]
        public async Task AServerThatRefusesTheTlsVersionIsAProtocolFailureNotAnUntrustedCertificate()
        {
            FrameworkCodePaths.ForceExplicitTls = true;
            using (var server = new ProtocolVersionRefusingServer())
            using (RegistryClient client = new RegistryClient(ImageReference.Parse("localhost:" + server.Port + "/app"), new RegistryOptions { CertificateDirectory = EmptyFolder(), MaximumRetryCount = 0 }))
            {
                Assert.Equal("https", client.BaseUri.Scheme);
                var error = await Assert.ThrowsAsync<RegistryException>(() => client.SendAsync(client.Request("Test", HttpMethod.Get, "tags/list"), CancellationToken.None));

                Assert.Equal(RegistryFailure.ConnectionFailed, error.Failure);
                Assert.Contains("no TLS version in common", error.Message);
                Assert.Contains("TLS 1.2 and 1.3", error.Message);
                Assert.DoesNotContain("CA certificate", error.Message);
            }
        }

        [Fact]
        public async Task TheStreamedPatchIsChunkedSoAFrameworkHandlerSendsItWithoutBufferingTheBlob()
        {
            byte[] input = TestData.Mixed(6 * Block);
            var registry = new FrameworkLikeRegistry();
            var options = new RegistryOptions { RetryInterval = TimeSpan.Zero, MaximumRetryCount = 0, Timeout = TimeSpan.FromMinutes(5) };
            using (var client = new RegistryClient(ImageReference.Parse("registry.example.com/app"), options, registry))
            using (var operation = new LayerOperation(new LayerOptions(), new RegistrySink(client)))
            {
                operation.Write(input, 0, 4 * Block);

                // A handler that buffers sends nothing before the whole blob exists, which needs the rest of the input.
                bool streamed = SpinWait.SpinUntil(() => registry.BytesOnTheWire > 0 || operation.Completion.IsCompleted, TimeSpan.FromSeconds(60));
                Assert.True(streamed && registry.BytesOnTheWire > 0, "the registry saw none of the blob before the input was complete");

                operation.Write(input, 4 * Block, input.Length - 4 * Block);
                LayerDigest layer = await operation.Complete();

                Assert.False(registry.Buffered);
                Assert.Equal(layer.Digest, TestData.Sha256(registry.Blob));
                Assert.Equal(input, TestData.Gunzip(registry.Blob));
            }
        }

        private static string EmptyFolder()
        {
            string folder = Path.Combine(Path.GetTempPath(), "streamlayer-tls-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            return folder;
        }

        /// <summary>A certs.d folder with a client.cert and its PEM client.key.</summary>
        private static string ClientCertificateFolder()
        {
            string folder = EmptyFolder();
            using (RSA key = RSA.Create(2048))
            {
                var request = new CertificateRequest("CN=StreamLayer test client", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                using (X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)))
                {
                    File.WriteAllText(Path.Combine(folder, "client.cert"), certificate.ExportCertificatePem());
                    File.WriteAllText(Path.Combine(folder, "client.key"), key.ExportPkcs8PrivateKeyPem());
                }
            }

            return folder;
        }

        /// <summary>
        /// A registry behind a handler that treats request bodies as .NET Framework's HttpClientHandler does: a body of
        /// unknown length is loaded whole into memory before any of it is sent, unless the request asks for chunked transfer.
        /// </summary>
        private sealed class FrameworkLikeRegistry : HttpMessageHandler
        {
            private readonly MemoryStream _received = new MemoryStream();
            private long _onTheWire;

            public bool Buffered { get; private set; }

            public long BytesOnTheWire => Interlocked.Read(ref _onTheWire);

            public byte[] Blob => _received.ToArray();

            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                if (request.Content != null && request.Content.Headers.ContentLength == null && request.Headers.TransferEncodingChunked != true)
                {
                    Buffered = true;
                    await request.Content.LoadIntoBufferAsync(int.MaxValue);
                }

                var upload = new Uri("https://registry.example.com/v2/app/blobs/uploads/1?_state=x");
                switch (request.Method.Method)
                {
                    case "POST":
                        return new HttpResponseMessage(HttpStatusCode.Accepted) { Headers = { Location = upload } };
                    case "PATCH":
                        await request.Content.CopyToAsync(new CountingStream(_received, n => Interlocked.Add(ref _onTheWire, n)));
                        var accepted = new HttpResponseMessage(HttpStatusCode.Accepted) { Headers = { Location = upload } };
                        accepted.Headers.TryAddWithoutValidation("Range", "0-" + (_received.Length - 1));
                        return accepted;
                    case "PUT":
                        var created = new HttpResponseMessage(HttpStatusCode.Created);
                        created.Headers.TryAddWithoutValidation("Docker-Content-Digest", TestData.Sha256(Blob));
                        return created;
                    case "HEAD":
                        return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Array.Empty<byte>()) { Headers = { ContentLength = _received.Length } } };
                    default:
                        return new HttpResponseMessage(HttpStatusCode.NoContent);
                }
            }

            private sealed class CountingStream : Stream
            {
                private readonly Stream _inner;
                private readonly Action<int> _counted;

                public CountingStream(Stream inner, Action<int> counted)
                {
                    _inner = inner;
                    _counted = counted;
                }

                public override bool CanRead => false;

                public override bool CanSeek => false;

                public override bool CanWrite => true;

                public override long Length => throw new NotSupportedException();

                public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

                public override void Write(byte[] buffer, int offset, int count)
                {
                    _inner.Write(buffer, offset, count);
                    _counted(count);
                }

                public override void Flush()
                {
                }

                public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

                public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

                public override void SetLength(long value) => throw new NotSupportedException();
            }
        }

        /// <summary>A TLS server that answers every ClientHello with a protocol_version alert, as a server that speaks none of the offered versions does.</summary>
        private sealed class ProtocolVersionRefusingServer : IDisposable
        {
            // TLS record: alert (21), version 3.1, length 2, level fatal (2), description protocol_version (70).
            private static readonly byte[] s_alert = { 21, 3, 1, 0, 2, 2, 70 };
            private readonly TcpListener _listener = new TcpListener(IPAddress.Loopback, 0);
            private readonly Task _serving;

            public ProtocolVersionRefusingServer()
            {
                _listener.Start();
                _serving = Task.Run(ServeAsync);
            }

            public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

            public void Dispose()
            {
                _listener.Stop();
                Assert.True(_serving.Wait(TimeSpan.FromSeconds(30)), "the refusing server did not stop within 30 s of its listener");
            }

            private async Task ServeAsync()
            {
                // One request with no retries makes one connection, a few at most; past the cap the listener stops,
                // so a client that keeps reconnecting is refused and its test fails instead of looping.
                const int MaxConnections = 16;
                for (int served = 0; served < MaxConnections; served++)
                {
                    TcpClient connection;
                    try
                    {
                        connection = await _listener.AcceptTcpClientAsync();
                    }
                    catch (Exception e) when (e is SocketException || e is ObjectDisposedException)
                    {
                        return;
                    }

                    using (connection)
                    {
                        NetworkStream stream = connection.GetStream();
                        stream.ReadTimeout = 10_000;
                        var hello = new byte[16384];
                        try
                        {
                            if (stream.Read(hello, 0, hello.Length) > 0)
                            {
                                stream.Write(s_alert, 0, s_alert.Length);
                            }
                        }
                        catch (IOException)
                        {
                        }
                    }
                }

                _listener.Stop();
            }
        }
    }
}
