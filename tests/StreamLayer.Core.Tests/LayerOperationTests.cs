using System;
using System.IO;
using System.IO.Compression;
using System.IO.Pipes;
using System.Security.Cryptography;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using StreamLayer.Layers;

namespace StreamLayer.Tests
{
    public class LayerOperationTests
    {
        private const int Block = 1 << 20;

        [Theory]
        [InlineData(512)]
        [InlineData(513)]
        [InlineData(Block - 1)]
        [InlineData(Block)]
        [InlineData(Block + 1)]
        [InlineData(3 * Block + 17)]
        public void BlobIsGzipOfTheInputAndTheDigestsMatchIt(int length)
        {
            byte[] input = TestData.Mixed(length);

            var (blob, layer) = TestData.Encode(input);

            Assert.Equal(input, TestData.Gunzip(blob));
            Assert.Equal(TestData.Sha256(input), layer.DiffId);
            Assert.Equal(TestData.Sha256(blob), layer.Digest);
            Assert.Equal(blob.Length, layer.Size);
            Assert.Equal(input.Length, layer.UncompressedSize);
            Assert.Equal(MediaTypes.DockerLayerGzip, layer.MediaType);
        }

        [Fact]
        public async Task EmptyInputIsNoLayerAndTheSinkNeverSeesAnEnd()
        {
            bool sawEnd = false;
            using var operation = new LayerOperation(new LayerOptions(), new DelegateSink(async (source, token) =>
            {
                while ((await source.ReadAsync(token)).Count > 0)
                {
                }

                sawEnd = true;
            }));

            // Complete refuses at once, on the producer's thread; Completion holds the same failure.
            var error = Assert.IsType<LayerInputException>(Record.Exception(() => { _ = operation.Complete(); }));

            Assert.Equal(LayerInputProblem.Empty, error.Problem);
            Assert.Same(error, await Assert.ThrowsAsync<LayerInputException>(() => operation.Completion));
            Assert.False(sawEnd);
        }

        [Fact]
        public void EveryProducerApiAndThreadCountGivesTheSameBlob()
        {
            byte[] input = TestData.Mixed(2 * Block + 12345);
            var digests = new[]
            {
                TestData.Encode(input, new LayerOptions { MaxParallelism = 1 }).Layer.Digest,
                TestData.Encode(input, new LayerOptions { MaxParallelism = 2 }).Layer.Digest,
                TestData.Encode(input, new LayerOptions { MaxParallelism = 5 }).Layer.Digest,
                TestData.Encode(new LayerOptions(), e => { foreach (byte b in input) e.WriteByte(b); }).Layer.Digest,
                TestData.Encode(new LayerOptions(), e => e.ReadFrom(new MemoryStream(input))).Layer.Digest,
                TestData.Encode(new LayerOptions(), e => e.ReadFrom(new TrickleStream(input, 777))).Layer.Digest,
                TestData.Encode(new LayerOptions(), e =>
                {
                    for (int i = 0; i < input.Length; i += 4099)
                    {
                        e.Write(input, i, Math.Min(4099, input.Length - i));
                    }
                }).Layer.Digest,
            };

            Assert.Single(digests.Distinct());
        }

        [Fact]
        public void HigherLevelsCompressSmallerAndStillRoundTrip()
        {
            byte[] input = TestData.Mixed(Block + 1000);

            var fastest = TestData.Encode(input, new LayerOptions { CompressionLevel = 1 });
            var smallest = TestData.Encode(input, new LayerOptions { CompressionLevel = 9 });
            var stored = TestData.Encode(input, new LayerOptions { CompressionLevel = 0 });

            Assert.True(smallest.Layer.Size < fastest.Layer.Size, $"level 9 {smallest.Layer.Size} vs level 1 {fastest.Layer.Size}");
            Assert.True(stored.Layer.Size > input.Length);
            Assert.Equal(input, TestData.Gunzip(smallest.Blob));
            Assert.Equal(input, TestData.Gunzip(stored.Blob));
            Assert.Equal(fastest.Layer.DiffId, smallest.Layer.DiffId);
        }

        [Fact]
        public void OciMediaTypeOnRequest()
        {
            var (_, layer) = TestData.Encode(TestData.Mixed(512), new LayerOptions { MediaType = LayerMediaType.Oci });
            Assert.Equal(MediaTypes.OciLayerGzip, layer.MediaType);
        }

        [Fact]
        public async Task AConsumerFailureStopsTheProducerWithThatError()
        {
            var failure = new IOException("disk full");
            using var operation = new LayerOperation(new LayerOptions(), new DelegateSink(async (source, token) =>
            {
                await source.ReadAsync(token);
                throw failure;
            }));

            byte[] chunk = TestData.Mixed(Block);
            var thrown = Assert.Throws<IOException>(() =>
            {
                for (int i = 0; i < 1000; i++)
                {
                    operation.Write(chunk, 0, chunk.Length);
                }
            });

            Assert.Same(failure, thrown);
            Assert.Same(failure, await Assert.ThrowsAsync<IOException>(() => operation.Completion));
        }

        [Fact]
        public async Task AProducerFailureReachesTheConsumer()
        {
            var consumerSaw = new TaskCompletionSource<Exception>();
            using var operation = new LayerOperation(new LayerOptions(), new DelegateSink(async (source, token) =>
            {
                try
                {
                    while ((await source.ReadAsync(token)).Count > 0)
                    {
                    }
                }
                catch (Exception e)
                {
                    consumerSaw.SetResult(e);
                    throw;
                }
            }));

            operation.Write(new byte[10], 0, 10);
            var bad = new InvalidDataException("not a tar");
            operation.Fail(bad);

            Assert.Same(bad, await consumerSaw.Task.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Throws<InvalidDataException>(() => operation.Write(new byte[1], 0, 1));
        }

        [Fact]
        public async Task CancellationStopsABlockedProducer()
        {
            using var cancellation = new CancellationTokenSource();
            var neverReads = new TaskCompletionSource<bool>();
            using var operation = new LayerOperation(new LayerOptions(), new DelegateSink((source, token) => neverReads.Task), cancellationToken: cancellation.Token);

            cancellation.CancelAfter(TimeSpan.FromMilliseconds(200));
            byte[] chunk = new byte[Block];
            // Bounded both ways: a Write that never blocks (no bound on the blocks in flight) ends the loop, and a
            // Write that stays blocked after the cancellation ends the wait; either fails the test, neither hangs it.
            const int MaxBlocks = 256;
            Task<int> producer = Task.Run(() =>
            {
                for (int written = 0; written < MaxBlocks; written++)
                {
                    operation.Write(chunk, 0, chunk.Length);
                }

                return MaxBlocks;
            });

            Task finished = await Task.WhenAny(producer, Task.Delay(TimeSpan.FromSeconds(60)));
            Assert.True(finished == producer, "the producer was still blocked in Write 60 s after the cancellation");
            Exception error = await Record.ExceptionAsync(() => producer);
            Assert.True(error != null, "the producer wrote " + MaxBlocks + " MiB to a sink that never reads without blocking or being cancelled");
            Assert.IsAssignableFrom<OperationCanceledException>(error);
        }

        [Fact]
        public async Task LayersOverFourGibibytesCountAndCheckCorrectly()
        {
            // zlib's reader checks the trailer's CRC and the length modulo 2^32, so a wrong ISIZE fails the read.
            long length = (4L << 30) + 3 * Block + 5;
            byte[] zeros = new byte[4 * Block];
            using var inputHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var blobHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var outputHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long blobLength = 0;
            long decompressed = 0;

            using var pipeOut = new AnonymousPipeServerStream(PipeDirection.Out);
            using var pipeIn = new AnonymousPipeClientStream(PipeDirection.In, pipeOut.ClientSafePipeHandle);
            Task reader = Task.Run(() =>
            {
                using var gzip = new GZipStream(pipeIn, CompressionMode.Decompress);
                var buffer = new byte[1 << 16];
                int n;
                while ((n = gzip.Read(buffer, 0, buffer.Length)) > 0)
                {
                    outputHash.AppendData(buffer, 0, n);
                    decompressed += n;
                }
            });

            using (var operation = new LayerOperation(new LayerOptions(), new DelegateSink(async (source, token) =>
            {
                ArraySegment<byte> segment;
                while ((segment = await source.ReadAsync(token)).Count > 0)
                {
                    blobHash.AppendData(segment.Array, segment.Offset, segment.Count);
                    blobLength += segment.Count;
                    pipeOut.Write(segment.Array, segment.Offset, segment.Count);
                }

                pipeOut.Close();
            })))
            {
                for (long left = length; left > 0;)
                {
                    int n = (int)Math.Min(zeros.Length, left);
                    operation.Write(zeros, 0, n);
                    inputHash.AppendData(zeros, 0, n);
                    left -= n;
                }

                LayerDigest layer = await operation.Complete();
                await reader;

                Assert.Equal(length, layer.UncompressedSize);
                Assert.Equal(length, decompressed);
                Assert.Equal(Hex(inputHash), layer.DiffId);
                Assert.Equal(layer.DiffId, Hex(outputHash));
                Assert.Equal(blobLength, layer.Size);
                Assert.Equal(Hex(blobHash), layer.Digest);
            }
        }

        private static string Hex(IncrementalHash hash) => "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());

        /// <summary>A stream that returns at most a few bytes per read, as pipes and sockets do.</summary>
        private sealed class TrickleStream : MemoryStream
        {
            private readonly int _most;
            public TrickleStream(byte[] bytes, int most) : base(bytes) => _most = most;
            public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, _most));
        }
    }
}
