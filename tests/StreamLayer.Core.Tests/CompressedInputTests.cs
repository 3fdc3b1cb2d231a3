using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Compression;
using Xunit;
using StreamLayer.Layers;
using StreamLayer.Sinks;

namespace StreamLayer.Tests
{
    public class CompressedInputTests
    {
        private const int Block = 1 << 20;

        // A tar-like input of several blocks, and its gzip and zstd forms as other tools would make them.
        private static readonly byte[] s_tar = TestData.Mixed(3 * Block + 4321, seed: 7);
        private static readonly byte[] s_gzip = TestData.Gzip(s_tar);
        private static readonly byte[] s_zstd = TestData.Zstd(s_tar);

        public static IEnumerable<object[]> Formats() => new[]
        {
            new object[] { LayerCompression.Gzip },
            new object[] { LayerCompression.Zstd },
        };

        private static byte[] Compressed(LayerCompression format) => format == LayerCompression.Zstd ? s_zstd : s_gzip;

        [Theory]
        [MemberData(nameof(Formats))]
        public void CompressedInputIsTheBlobAsItIs(LayerCompression format)
        {
            byte[] input = Compressed(format);

            var (blob, layer) = TestData.Encode(input);

            Assert.Equal(input, blob);
            Assert.Equal(TestData.Sha256(input), layer.Digest);
            Assert.Equal(input.Length, layer.Size);
            Assert.Equal(TestData.Sha256(s_tar), layer.DiffId);
            Assert.Equal(s_tar.Length, layer.UncompressedSize);
        }

        [Theory]
        [InlineData(LayerCompression.Gzip, null, MediaTypes.DockerLayerGzip)]
        [InlineData(LayerCompression.Gzip, LayerMediaType.Oci, MediaTypes.OciLayerGzip)]
        [InlineData(LayerCompression.Zstd, null, MediaTypes.OciLayerZstd)]
        [InlineData(LayerCompression.Zstd, LayerMediaType.Oci, MediaTypes.OciLayerZstd)]
        public void PassthroughNamesTheInputsFormat(LayerCompression format, LayerMediaType? family, string expected)
        {
            // Whatever -Compression says: it applies to what is compressed here, and nothing is.
            foreach (LayerCompression compression in new[] { LayerCompression.Gzip, LayerCompression.Zstd, LayerCompression.None })
            {
                var options = new LayerOptions { Compression = compression, MediaType = family };
                if (compression == LayerCompression.Zstd && family == LayerMediaType.Docker)
                {
                    continue;
                }

                Assert.Equal(expected, TestData.Encode(Compressed(format), options).Layer.MediaType);
            }
        }

        [Fact]
        public void ZstdInputWithDockerMediaTypesFailsWithoutAResult()
        {
            var options = new LayerOptions { MediaType = LayerMediaType.Docker };
            var (error, sawEnd) = EncodeExpectingFailure(s_zstd, options);

            Assert.IsType<LayerOptionsException>(error);
            Assert.False(sawEnd);
        }

        [Theory]
        [MemberData(nameof(Formats))]
        public void EveryProducerApiPassesTheSameBlobThrough(LayerCompression format)
        {
            byte[] input = Compressed(format);
            var layers = new[]
            {
                TestData.Encode(new LayerOptions(), e => e.ReadFrom(new MemoryStream(input))),
                TestData.Encode(new LayerOptions(), e => { foreach (byte b in input) e.WriteByte(b); }),
                TestData.Encode(new LayerOptions { MaxParallelism = 1 }, e =>
                {
                    for (int i = 0; i < input.Length; i += 5000)
                    {
                        e.Write(input, i, Math.Min(5000, input.Length - i));
                    }
                }),
            };

            foreach (var (blob, layer) in layers)
            {
                Assert.Equal(input, blob);
                Assert.Equal(TestData.Sha256(s_tar), layer.DiffId);
            }
        }

        [Fact]
        public void SeveralGzipMembersPassThroughAsOneLayer()
        {
            // Concatenated members are one gzip stream to every reader (eStargz layers are made this way).
            byte[] input = TestData.Concat(TestData.Gzip(s_tar.Take(Block + 10).ToArray()), TestData.Gzip(s_tar.Skip(Block + 10).ToArray()));

            var (blob, layer) = TestData.Encode(input);

            Assert.Equal(input, blob);
            Assert.Equal(TestData.Sha256(s_tar), layer.DiffId);
            Assert.Equal(s_tar.Length, layer.UncompressedSize);
        }

        [Theory]
        [InlineData(LayerCompression.Gzip, LayerCompression.Gzip)]
        [InlineData(LayerCompression.Gzip, LayerCompression.Zstd)]
        [InlineData(LayerCompression.Zstd, LayerCompression.Gzip)]
        [InlineData(LayerCompression.Zstd, LayerCompression.Zstd)]
        [InlineData(LayerCompression.Gzip, LayerCompression.None)]
        [InlineData(LayerCompression.Zstd, LayerCompression.None)]
        public void RecompressGivesTheLayerOfThePlainTar(LayerCompression input, LayerCompression output)
        {
            foreach (int parallelism in new[] { 1, 3 })
            {
                var options = new LayerOptions { Compression = output, Recompress = true, MaxParallelism = parallelism };
                var plain = TestData.Encode(s_tar, new LayerOptions { Compression = output });

                var (blob, layer) = TestData.Encode(Compressed(input), options);

                Assert.Equal(plain.Blob, blob);
                Assert.Equal(plain.Layer.Digest, layer.Digest);
                Assert.Equal(TestData.Sha256(s_tar), layer.DiffId);
                Assert.Equal(s_tar.Length, layer.UncompressedSize);
                Assert.Equal(plain.Layer.MediaType, layer.MediaType);
            }
        }

        [Fact]
        public void GzipInsideGzipIsNotATarAndIsRefusedNamingWhatItHolds()
        {
            // Only one level is decompressed: a .gz that holds a .tar.gz holds no tar, so it is not a layer.
            byte[] input = TestData.Gzip(s_gzip);

            foreach (bool recompress in new[] { false, true })
            {
                Exception error = Record.Exception(() => TestData.Encode(input, new LayerOptions { Compression = LayerCompression.None, Recompress = recompress }));

                var notTar = Assert.IsType<LayerInputException>(error);
                Assert.Equal(LayerInputProblem.NotTar, notTar.Problem);
                Assert.Equal(LayerCompression.Gzip, notTar.Format);
                Assert.Contains("gzip-compressed, but what it holds is not a tar: it starts like gzip-compressed data", notTar.Message);
            }
        }

        [Fact]
        public void PlainInputIsUnaffectedByRecompress()
        {
            var plain = TestData.Encode(s_tar);
            var recompressed = TestData.Encode(s_tar, new LayerOptions { Recompress = true });

            Assert.Equal(plain.Layer.Digest, recompressed.Layer.Digest);
        }

        [Fact]
        public async Task InputCompressionSaysWhatTheFirstBlockWas()
        {
            foreach (var (input, expected) in new[] { (s_tar, LayerCompression.None), (s_gzip, LayerCompression.Gzip), (s_zstd, LayerCompression.Zstd) })
            {
                using var operation = new LayerOperation(new LayerOptions(), new StreamSink(null));
                Assert.Null(operation.InputCompression);
                operation.Write(input, 0, input.Length);
                await operation.Complete();
                Assert.Equal(expected, operation.InputCompression);
            }
        }

        // Theory data holds names, not megabytes: xunit serializes every row when it discovers the tests.
        public static IEnumerable<object[]> CorruptInputs() =>
            from format in new[] { LayerCompression.Gzip, LayerCompression.Zstd }
            from recompress in new[] { false, true }
            from damage in new[] { "cut by 1 byte", "cut by 8 bytes", "cut in half", "cut after the header", "a flipped checksum byte", "a flipped data byte", "zeros after the end", "text after the end" }
            select new object[] { format, recompress, damage };

        private static byte[] Damage(byte[] good, string damage)
        {
            switch (damage)
            {
                case "cut by 1 byte": return good.Take(good.Length - 1).ToArray();
                case "cut by 8 bytes": return good.Take(good.Length - 8).ToArray();
                case "cut in half": return good.Take(good.Length / 2).ToArray();
                case "cut after the header": return good.Take(12).ToArray();
                case "a flipped checksum byte": return Flip(good, good.Length - 6);
                case "a flipped data byte": return Flip(good, good.Length / 2);
                case "zeros after the end": return TestData.Concat(good, new byte[512]);
                case "zeros after the end (9)": return TestData.Concat(good, new byte[9]);
                case "text after the end": return TestData.Concat(good, System.Text.Encoding.ASCII.GetBytes("trailing garbage"));
                default: throw new ArgumentOutOfRangeException(nameof(damage), damage, null);
            }
        }

        [Theory]
        [MemberData(nameof(CorruptInputs))]
        public void CorruptInputFailsAndTheBlobNeverEnds(LayerCompression format, bool recompress, string damage)
        {
            byte[] input = Damage(Compressed(format), damage);

            var (error, sawEnd) = EncodeExpectingFailure(input, new LayerOptions { Recompress = recompress });

            var corrupt = Assert.IsType<LayerInputException>(error);
            Assert.Equal(LayerInputProblem.Corrupt, corrupt.Problem);
            Assert.Equal(format, corrupt.Format);
            Assert.False(sawEnd, "the consumer must not see the end of the blob (" + damage + ")");
        }

        [Fact]
        public void AFailedCheckAtTheVeryEndStillWithholdsTheEndOfTheBlob()
        {
            // The damage is in the last bytes, so every block but the last can already have gone out.
            byte[] input = Flip(s_gzip, s_gzip.Length - 2);
            var (error, sawEnd) = EncodeExpectingFailure(input, new LayerOptions(), out long bytesSent);

            Assert.Equal(LayerInputProblem.Corrupt, Assert.IsType<LayerInputException>(error).Problem);
            Assert.False(sawEnd);
            Assert.True(bytesSent < input.Length, $"{bytesSent} of {input.Length} bytes went out");
        }

        [Fact]
        public void ThisRuntimeReadsConcatenatedGzipMembers()
        {
            // PowerShell 7's runtime: the sentinel member check applies. (.NET Framework would use the trailer check.)
            Assert.True(CheckedGzipStream.ReadsConcatenatedMembers);
        }

        public static IEnumerable<object[]> TrailerCheckCases() => new[]
        {
            new object[] { "one member", true },
            new object[] { "one member, its last 16 bytes in 1-byte blocks", true },
            new object[] { "two members", false },
            new object[] { "the same member twice", false },
            new object[] { "the same small member twice, in one block", false },
            new object[] { "cut by 1 byte", false },
            new object[] { "cut in half", false },
            new object[] { "zeros after the end (9)", false },
            new object[] { "a flipped checksum byte", false },
        };

        [Theory]
        [MemberData(nameof(TrailerCheckCases))]
        public void TheTrailerCheckForRuntimesWithoutMemberSupportAcceptsOnlyWholeSingleMembers(string name, bool valid)
        {
            byte[] input = name.StartsWith("one member")
                ? s_gzip
                : name == "two members"
                    ? TestData.Concat(TestData.Gzip(s_tar.Take(1000).ToArray()), TestData.Gzip(s_tar.Skip(1000).ToArray()))
                    : name == "the same member twice"
                        ? TestData.Concat(s_gzip, s_gzip)
                        : name.StartsWith("the same small member")
                            ? TestData.Concat(TestData.Gzip(s_tar.Take(1000).ToArray()), TestData.Gzip(s_tar.Take(1000).ToArray()))
                            : Damage(s_gzip, name);

            // Blocks of 64 KiB; in one case the last 16 bytes come one per block, so the trailer spans blocks.
            var blocks = new BlockingCollection<Compression.Block>();
            bool tinyEnd = name.Contains("1-byte");
            for (int i = 0; i < input.Length;)
            {
                int count = tinyEnd && input.Length - i <= 16 ? 1 : Math.Min(65536, input.Length - i - (tinyEnd ? 16 : 0));
                var raw = new byte[count];
                Buffer.BlockCopy(input, i, raw, 0, count);
                i += count;
                blocks.Add(new Compression.Block { Raw = raw, RawCount = count, Final = i == input.Length });
            }

            var source = new BlockFeedStream(blocks, _ => { }, CancellationToken.None);
            using var checkedGzip = new CheckedGzipStream(source, sentinel: false);
            var output = new MemoryStream();
            Exception error = Record.Exception(() => checkedGzip.CopyTo(output));

            if (valid)
            {
                Assert.Null(error);
                Assert.Equal(TestData.Sha256(s_tar), TestData.Sha256(output.ToArray()));
            }
            else
            {
                Assert.Equal(LayerInputProblem.Corrupt, Assert.IsType<LayerInputException>(error).Problem);
            }
        }

        private static byte[] Flip(byte[] bytes, int at)
        {
            byte[] copy = (byte[])bytes.Clone();
            copy[at] ^= 0x55;
            return copy;
        }

        private static (Exception Error, bool SawEnd) EncodeExpectingFailure(byte[] input, LayerOptions options) =>
            EncodeExpectingFailure(input, options, out _);

        /// <summary>Encodes input that must fail; reports the failure and whether the consumer ever saw the blob's end.</summary>
        private static (Exception Error, bool SawEnd) EncodeExpectingFailure(byte[] input, LayerOptions options, out long bytesSent)
        {
            bool sawEnd = false;
            long sent = 0;
            using var operation = new LayerOperation(options, new DelegateSink(async (source, token) =>
            {
                ArraySegment<byte> segment;
                while ((segment = await source.ReadAsync(token)).Count > 0)
                {
                    Interlocked.Add(ref sent, segment.Count);
                }

                sawEnd = true;
            }));

            try
            {
                for (int i = 0; i < input.Length; i += 100_000)
                {
                    operation.Write(input, i, Math.Min(100_000, input.Length - i));
                }

                operation.Complete();
            }
            catch (Exception)
            {
                // The producer may learn of the failure first; Completion holds the root cause either way.
            }

            Exception error = Record.Exception(() => operation.Completion.GetAwaiter().GetResult());
            Assert.NotNull(error);
            Assert.True(operation.Completion.IsFaulted);
            bytesSent = Interlocked.Read(ref sent);
            return (error, sawEnd);
        }
    }
}
