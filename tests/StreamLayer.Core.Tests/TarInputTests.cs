using System;
using System.Linq;
using System.Text;
using Xunit;

namespace StreamLayer.Tests
{
    /// <summary>Only a tar makes a layer: the first tar header is checked on every route, and what is not a tar is named.</summary>
    public class TarInputTests
    {
        private static readonly byte[] s_tar = TestData.Tar(TestData.Noise(300_000, seed: 5));

        public static TheoryData<string, byte[], string> NotTars => new TheoryData<string, byte[], string>
        {
            { "xz", Prefixed(new byte[] { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00 }), "it starts like xz-compressed data" },
            { "bzip2", Prefixed(Encoding.ASCII.GetBytes("BZh91AY&SY")), "it starts like bzip2-compressed data" },
            { "lz4", Prefixed(new byte[] { 0x04, 0x22, 0x4d, 0x18 }), "it starts like lz4-compressed data" },
            { "zip", Prefixed(new byte[] { 0x50, 0x4b, 0x03, 0x04 }), "it starts like a zip archive" },
            { "text", Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("just some words of text\n", 100))), "it starts like text" },
            { "random bytes", Random(4096), "its first 512 bytes are not a tar header" },
            { "a short input", Encoding.ASCII.GetBytes("hello"), "it has only 5 bytes (text)" },
            { "a header with a wrong checksum", WrongChecksum(), "its first 512 bytes are not a tar header" },
        };

        [Theory]
        [MemberData(nameof(NotTars))]
        public void RefusesWhatIsNotATarOnEveryRouteNamingIt(string name, byte[] input, string named)
        {
            foreach (LayerCompression output in new[] { LayerCompression.Gzip, LayerCompression.Zstd, LayerCompression.None })
            {
                AssertNotTar(Record.Exception(() => TestData.Encode(input, new LayerOptions { Compression = output })), null, named, name);
            }

            foreach (bool recompress in new[] { false, true })
            {
                var options = new LayerOptions { Recompress = recompress };
                AssertNotTar(Record.Exception(() => TestData.Encode(TestData.Gzip(input), options)), LayerCompression.Gzip, named, name);
                AssertNotTar(Record.Exception(() => TestData.Encode(TestData.Zstd(input), new LayerOptions { Recompress = recompress, MediaType = LayerMediaType.Oci })), LayerCompression.Zstd, named, name);
            }
        }

        [Fact]
        public void SaysWhatToDoWithACompressedTarOfAnotherFormat()
        {
            var error = Assert.IsType<LayerInputException>(Record.Exception(() => TestData.Encode(Prefixed(new byte[] { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00 }))));
            Assert.Contains("Decompress it first (xz -dc", error.Message);
            Assert.Null(error.Format);
        }

        [Fact]
        public void ATarOfOnlyItsEndBlocksIsAnEmptyLayer()
        {
            var (blob, layer) = TestData.Encode(new byte[1024], new LayerOptions { Compression = LayerCompression.None });

            Assert.Equal(1024, layer.UncompressedSize);
            Assert.Equal(TestData.Sha256(new byte[1024]), layer.DiffId);
            Assert.Equal(new byte[1024], blob);
        }

        [Fact]
        public void ATarPassesOnEveryRoute()
        {
            string diffId = TestData.Sha256(s_tar);
            Assert.Equal(diffId, TestData.Encode(s_tar).Layer.DiffId);
            Assert.Equal(diffId, TestData.Encode(TestData.Gzip(s_tar)).Layer.DiffId);
            Assert.Equal(diffId, TestData.Encode(TestData.Zstd(s_tar), new LayerOptions { MediaType = LayerMediaType.Oci }).Layer.DiffId);
            Assert.Equal(diffId, TestData.Encode(TestData.Zstd(s_tar), new LayerOptions { Recompress = true }).Layer.DiffId);
        }

        [Fact]
        public void ZstdThatStartsWithASkippableFrameIsZstd()
        {
            // What pzstd writes: a skippable frame (magic 0x184D2A50, 4-byte length, then that many bytes) before each frame.
            byte[] skippable = { 0x50, 0x2a, 0x4d, 0x18, 0x04, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04 };
            byte[] input = TestData.Concat(skippable, TestData.Zstd(s_tar));

            var (blob, layer) = TestData.Encode(input, new LayerOptions { MediaType = LayerMediaType.Oci });

            Assert.Equal(input, blob);
            Assert.Equal(TestData.Sha256(s_tar), layer.DiffId);
            Assert.Equal("application/vnd.oci.image.layer.v1.tar+zstd", layer.MediaType);
        }

        private static void AssertNotTar(Exception error, LayerCompression? container, string named, string because)
        {
            var notTar = Assert.IsType<LayerInputException>(error);
            Assert.True(notTar.Problem == LayerInputProblem.NotTar, because + ": " + notTar.Message);
            Assert.Equal(container, notTar.Format);
            Assert.Contains(named, notTar.Message);
            Assert.Contains("A layer is a tar", notTar.Message);
        }

        private static byte[] Random(int length)
        {
            var bytes = new byte[length];
            new Random(9).NextBytes(bytes);
            bytes[0] = 0x80; // not a gzip or zstd magic by chance
            return bytes;
        }

        private static byte[] Prefixed(byte[] magic) => TestData.Concat(magic, TestData.Noise(8192, seed: magic[0]));

        private static byte[] WrongChecksum()
        {
            byte[] header = TestData.TarHeader("file", 10);
            header[0] = (byte)'g';
            return TestData.Concat(header, new byte[1024]);
        }
    }
}
