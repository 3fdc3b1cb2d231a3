using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry;
using StreamLayer.Registry.Blobs;
using Xunit;
using StreamLayer.Registry.Client;

namespace StreamLayer.Tests
{
    /// <summary>
    /// The real docker-registry (distribution 2.8), started by the test on a free loopback port, for what only the
    /// registry's own answers show and no cmdlet can reach: a blob of one byte (a layer is a tar, 512 bytes at least).
    /// </summary>
    public sealed class RealRegistryTests : IClassFixture<RealRegistryTests.DockerRegistry>
    {
        private readonly DockerRegistry _registry;

        public RealRegistryTests(DockerRegistry registry) => _registry = registry;

        [Fact]
        public async Task AOneByteBlobInChunkedModeIsOneByteReceived()
        {
            // distribution answers the chunk with Range: 0-0, as for an empty upload; after a chunk it took, that is one byte.
            byte[] blob = { 0x42 };
            using var client = new RegistryClient(
                ImageReference.Parse(_registry.Host + "/one/byte"),
                new RegistryOptions { UploadMode = UploadMode.Chunked, ChunkSize = 1024, RetryInterval = TimeSpan.Zero });
            var sink = new RegistrySink(client);

            await sink.ConsumeAsync(new Blob(blob), CancellationToken.None);

            Assert.Equal(TestData.Sha256(blob), sink.Layer.Digest);
            using var http = new HttpClient();
            byte[] stored = await http.GetByteArrayAsync("http://" + _registry.Host + "/v2/one/byte/blobs/" + TestData.Sha256(blob));
            Assert.Equal(blob, stored);
        }

        /// <summary>A blob of the given bytes, in one segment.</summary>
        private sealed class Blob : IBlobSource
        {
            private readonly byte[] _bytes;
            private bool _given;

            public Blob(byte[] bytes) => _bytes = bytes;

            public LayerDigest Layer => new LayerDigest(TestData.Sha256(_bytes), TestData.Sha256(_bytes), _bytes.Length, _bytes.Length, MediaTypes.OciLayer);

            public long BytesRead => _given ? _bytes.Length : 0;

            public Task<ArraySegment<byte>> ReadAsync(CancellationToken cancellationToken)
            {
                ArraySegment<byte> segment = _given ? new ArraySegment<byte>(Array.Empty<byte>()) : new ArraySegment<byte>(_bytes);
                _given = true;
                return Task.FromResult(segment);
            }
        }

        /// <summary>docker-registry serving a temporary folder; build.ps1 Test installs it (Debian's docker-registry).</summary>
        public sealed class DockerRegistry : IDisposable
        {
            private readonly string _root = Path.Combine(Path.GetTempPath(), "streamlayer-unit-registry-" + Guid.NewGuid().ToString("N"));
            private readonly Process _process;

            public DockerRegistry()
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                int port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                Host = "127.0.0.1:" + port;
                Directory.CreateDirectory(Path.Combine(_root, "storage"));
                string config = Path.Combine(_root, "config.yml");
                File.WriteAllText(config, "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: " + _root + "/storage\n  delete:\n    enabled: true\nhttp:\n  addr: " + Host + "\n");
                var start = new ProcessStartInfo("docker-registry") { RedirectStandardError = true, RedirectStandardOutput = true };
                start.ArgumentList.Add("serve");
                start.ArgumentList.Add(config);
                try
                {
                    _process = Process.Start(start);
                }
                catch (System.ComponentModel.Win32Exception e)
                {
                    throw new InvalidOperationException("These tests need Debian's docker-registry on PATH; build.ps1 Test installs it.", e);
                }

                _process.BeginErrorReadLine();
                _process.BeginOutputReadLine();
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
                for (var clock = Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromSeconds(30); Thread.Sleep(100))
                {
                    try
                    {
                        http.GetAsync("http://" + Host + "/v2/").GetAwaiter().GetResult().Dispose();
                        return;
                    }
                    catch (HttpRequestException)
                    {
                    }
                    catch (TaskCanceledException)
                    {
                    }
                }

                Dispose();
                throw new InvalidOperationException("docker-registry did not start on " + Host + ".");
            }

            public string Host { get; }

            /// <summary>The registry's storage folder, to judge what it holds without asking it.</summary>
            public string Storage => Path.Combine(_root, "storage");

            public void Dispose()
            {
                if (!_process.HasExited)
                {
                    _process.Kill();
                    _process.WaitForExit(5000);
                }

                _process.Dispose();
                try
                {
                    Directory.Delete(_root, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }
}
