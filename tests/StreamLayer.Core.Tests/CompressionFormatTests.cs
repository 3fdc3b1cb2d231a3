using System;
using System.IO;
using System.Linq;
using Xunit;
using StreamLayer.Layers;
using StreamLayer.Sinks;

namespace StreamLayer.Tests
{
    public class CompressionFormatTests
    {
        private const int ZstdBlock = 4 << 20;

        [Theory]
        [InlineData(LayerCompression.Gzip, null)]
        [InlineData(LayerCompression.Gzip, 1)]
        [InlineData(LayerCompression.Gzip, 9)]
        [InlineData(LayerCompression.Zstd, null)]
        [InlineData(LayerCompression.Zstd, 3)]
        public void OneTwoAndEightThreadsGiveTheSameBlob(LayerCompression format, int? level)
        {
            // More blocks than threads in both formats (gzip blocks are 1 MiB, zstd's 4 MiB), and a short last one.
            byte[] input = TestData.Mixed(2 * ZstdBlock + 3 * (1 << 20) + 4321, seed: 19);
            byte[] Encode(int threads) =>
                TestData.Encode(input, new LayerOptions { Compression = format, CompressionLevel = level, MaxParallelism = threads }).Blob;

            byte[] one = Encode(1);
            Assert.Equal(one, Encode(2));
            Assert.Equal(one, Encode(8));
            Assert.Equal(input, format == LayerCompression.Zstd ? TestData.Unzstd(one) : TestData.Gunzip(one));
        }

        [Fact]
        public void TheDefaultGzipLayerIsLevel1AndLevel4IsSmaller()
        {
            byte[] input = TestData.Mixed(3 * (1 << 20) + 999, seed: 4);

            var byDefault = TestData.Encode(input, new LayerOptions());
            var four = TestData.Encode(input, new LayerOptions { CompressionLevel = 4 });
            var one = TestData.Encode(input, new LayerOptions { CompressionLevel = 1 });

            Assert.Equal(one.Layer.Digest, byDefault.Layer.Digest);
            Assert.True(four.Layer.Size < byDefault.Layer.Size, $"level 4 {four.Layer.Size} vs the default {byDefault.Layer.Size}");
        }

        [Theory]
        [InlineData(512)]
        [InlineData(100_000)]
        [InlineData(ZstdBlock - 1)]
        [InlineData(ZstdBlock)]
        [InlineData(ZstdBlock + 1)]
        [InlineData(2 * ZstdBlock + 17)]
        public void ZstdBlobDecompressesToTheInputAndTheDigestsMatchIt(int length)
        {
            byte[] input = TestData.Mixed(length, seed: length);

            var (blob, layer) = TestData.Encode(input, new LayerOptions { Compression = LayerCompression.Zstd });

            Assert.Equal(input, TestData.Unzstd(blob));
            Assert.Equal(TestData.Sha256(input), layer.DiffId);
            Assert.Equal(TestData.Sha256(blob), layer.Digest);
            Assert.Equal(blob.Length, layer.Size);
            Assert.Equal(input.Length, layer.UncompressedSize);
            Assert.Equal(MediaTypes.OciLayerZstd, layer.MediaType);
        }

        [Fact]
        public void ZstdFramesHoldFourMebibytesEachWithAContentChecksum()
        {
            byte[] input = TestData.Mixed(ZstdBlock + 1000);

            var (blob, _) = TestData.Encode(input, new LayerOptions { Compression = LayerCompression.Zstd });

            Assert.Equal(new byte[] { 0x28, 0xb5, 0x2f, 0xfd }, blob.Take(4).ToArray());
            Assert.True((blob[4] & 0x04) != 0, "the first frame's header sets Content_Checksum_flag");
            Assert.Equal(ZstdBlock, FirstFrameContentSize(blob));
            Assert.Equal((ulong)input.Length, ZstdSharp.Decompressor.GetDecompressedSize(blob));
        }

        /// <summary>Frame_Content_Size from the first frame header (RFC 8878, 3.1.1.1).</summary>
        private static long FirstFrameContentSize(byte[] blob)
        {
            byte descriptor = blob[4];
            int sizeFlag = descriptor >> 6;
            bool singleSegment = (descriptor & 0x20) != 0;
            int dictionaryIdLength = new[] { 0, 1, 2, 4 }[descriptor & 3];
            int at = 5 + (singleSegment ? 0 : 1) + dictionaryIdLength;
            int length = sizeFlag == 0 ? (singleSegment ? 1 : 0) : 1 << sizeFlag;
            Assert.NotEqual(0, length);
            long size = 0;
            for (int i = length - 1; i >= 0; i--)
            {
                size = size << 8 | blob[at + i];
            }

            return length == 2 ? size + 256 : size;
        }

        [Fact]
        public void ZstdGivesTheSameBlobForEveryThreadCountAndProducerApi()
        {
            byte[] input = TestData.Mixed(2 * ZstdBlock + 12345);
            LayerOptions Zstd(int parallelism) => new LayerOptions { Compression = LayerCompression.Zstd, MaxParallelism = parallelism };

            var digests = new[]
            {
                TestData.Encode(input, Zstd(1)).Layer.Digest,
                TestData.Encode(input, Zstd(2)).Layer.Digest,
                TestData.Encode(input, Zstd(5)).Layer.Digest,
                TestData.Encode(Zstd(3), e => e.ReadFrom(new MemoryStream(input))).Layer.Digest,
                TestData.Encode(Zstd(2), e => { foreach (byte b in input) e.WriteByte(b); }).Layer.Digest,
            };

            Assert.Single(digests.Distinct());
        }

        [Fact]
        public void ZstdLevelsChangeTheSizeAndZeroIsZstdsOwnDefault()
        {
            byte[] input = TestData.Mixed(ZstdBlock + 1000, seed: 2);
            LayerDigest Level(int? level) => TestData.Encode(input, new LayerOptions { Compression = LayerCompression.Zstd, CompressionLevel = level }).Layer;

            LayerDigest byDefault = Level(null);
            Assert.Equal(byDefault.Digest, Level(LayerOptions.DefaultZstdLevel).Digest);
            Assert.Equal(Level(3).Digest, Level(0).Digest); // 0 is zstd's own default
            Assert.True(Level(19).Size < byDefault.Size);
            Assert.True(Level(-5).Size > byDefault.Size);
        }

        [Fact]
        public void ZstdIsSmallerThanGzipAtTheirDefaultLevels()
        {
            byte[] input = TestData.Mixed(3 * (1 << 20));

            long gzip = TestData.Encode(input).Layer.Size;
            long zstd = TestData.Encode(input, new LayerOptions { Compression = LayerCompression.Zstd }).Layer.Size;

            Assert.True(zstd < gzip, $"zstd {zstd} vs gzip {gzip}");
        }

        [Theory]
        [InlineData(512)]
        [InlineData((1 << 20) + 1)]
        [InlineData(3 * (1 << 20))]
        public void NoneIsTheTarItselfAndTheDigestIsTheDiffId(int length)
        {
            byte[] input = TestData.Mixed(length);

            var (blob, layer) = TestData.Encode(input, new LayerOptions { Compression = LayerCompression.None, MaxParallelism = 3 });

            Assert.Equal(input, blob);
            Assert.Equal(TestData.Sha256(input), layer.Digest);
            Assert.Equal(layer.Digest, layer.DiffId);
            Assert.Equal(input.Length, layer.Size);
            Assert.Equal(input.Length, layer.UncompressedSize);
            Assert.Equal(MediaTypes.OciLayer, layer.MediaType);
        }

        [Theory]
        [InlineData(LayerCompression.Gzip, null, MediaTypes.DockerLayerGzip)]
        [InlineData(LayerCompression.Gzip, LayerMediaType.Docker, MediaTypes.DockerLayerGzip)]
        [InlineData(LayerCompression.Gzip, LayerMediaType.Oci, MediaTypes.OciLayerGzip)]
        [InlineData(LayerCompression.Zstd, null, MediaTypes.OciLayerZstd)]
        [InlineData(LayerCompression.Zstd, LayerMediaType.Oci, MediaTypes.OciLayerZstd)]
        [InlineData(LayerCompression.None, null, MediaTypes.OciLayer)]
        [InlineData(LayerCompression.None, LayerMediaType.Oci, MediaTypes.OciLayer)]
        [InlineData(LayerCompression.None, LayerMediaType.Docker, MediaTypes.DockerLayer)]
        public void MediaTypeFollowsTheFormatAndTheFamily(LayerCompression compression, LayerMediaType? family, string expected)
        {
            var (_, layer) = TestData.Encode(TestData.Mixed(512), new LayerOptions { Compression = compression, MediaType = family });
            Assert.Equal(expected, layer.MediaType);
        }

        [Fact]
        public void GzipStillCutsTheInputIntoOneMebibyteBlocks()
        {
            // The gzip block size is part of every gzip Digest: two blocks and a bit end in two sync flushes.
            byte[] input = TestData.Mixed(2 * (1 << 20) + 5);
            var (blob, _) = TestData.Encode(input);
            int syncFlushes = 0;
            for (int i = 0; i + 4 <= blob.Length; i++)
            {
                if (blob[i] == 0 && blob[i + 1] == 0 && blob[i + 2] == 0xff && blob[i + 3] == 0xff)
                {
                    syncFlushes++;
                }
            }

            Assert.Equal(2, syncFlushes);
            Assert.Equal(input, TestData.Gunzip(blob));
        }

        [Theory]
        [InlineData(LayerCompression.Gzip, 10)]
        [InlineData(LayerCompression.Gzip, -1)]
        [InlineData(LayerCompression.Zstd, 23)]
        [InlineData(LayerCompression.Zstd, -131073)]
        public void LevelsOutsideTheFormatsRangeAreRefused(LayerCompression compression, int level)
        {
            var options = new LayerOptions { Compression = compression, CompressionLevel = level };
            var error = Assert.Throws<LayerOptionsException>(() => options.Check());
            Assert.Equal(nameof(LayerOptions.CompressionLevel), error.ParamName);
            Assert.Contains(level.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
            Assert.DoesNotContain("(Parameter", error.Message);
        }

        [Theory]
        [InlineData(LayerCompression.Zstd, 22)]
        [InlineData(LayerCompression.Zstd, -131072)]
        [InlineData(LayerCompression.Zstd, 0)]
        [InlineData(LayerCompression.Gzip, 0)]
        [InlineData(LayerCompression.Gzip, 9)]
        public void LevelsInsideTheFormatsRangeAreAccepted(LayerCompression compression, int level)
        {
            LayerSettings settings = new LayerOptions { Compression = compression, CompressionLevel = level }.Check();

            Assert.Equal(compression, settings.Compression);
            Assert.Equal(level, settings.Level);
        }

        [Fact]
        public void NoneTakesNoLevel()
        {
            var options = new LayerOptions { Compression = LayerCompression.None, CompressionLevel = 1 };
            Assert.Equal(nameof(LayerOptions.CompressionLevel), Assert.Throws<LayerOptionsException>(() => options.Check()).ParamName);
        }

        [Fact]
        public void DockerMediaTypesAndZstdAreRefusedBeforeAnyInput()
        {
            var options = new LayerOptions { Compression = LayerCompression.Zstd, MediaType = LayerMediaType.Docker };
            var error = Assert.Throws<LayerOptionsException>(() => new LayerOperation(options, new StreamSink(null)));
            Assert.Equal(nameof(LayerOptions.MediaType), error.ParamName);
            Assert.Contains("zstd", error.Message);
        }
    }
}
