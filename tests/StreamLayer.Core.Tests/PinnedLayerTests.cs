using Xunit;

namespace StreamLayer.Tests
{
    /// <summary>The layer digests that must not depend on the runtime; the Mono checks hold Mono to the same values.</summary>
    public class PinnedLayerTests
    {
        [Fact]
        public void AZstdLayerHasThePinnedDigestAndDiffId()
        {
            var (_, layer) = TestData.Encode(PinnedLayer.Tar(), new LayerOptions { Compression = LayerCompression.Zstd });

            Assert.Equal(PinnedLayer.DiffId, layer.DiffId);
            Assert.Equal(PinnedLayer.ZstdDigest, layer.Digest);
        }

        [Fact]
        public void AGzipLayerHasThePinnedDiffIdWhateverItsDigest()
        {
            var (blob, layer) = TestData.Encode(PinnedLayer.Tar());

            Assert.Equal(PinnedLayer.DiffId, layer.DiffId);
            Assert.Equal(TestData.Sha256(blob), layer.Digest);
        }
    }
}
