using System.IO.Compression;
using System.Linq;
using StreamLayer.Compression;

namespace StreamLayer.MonoChecks
{
    /// <summary>That this runtime really takes the .NET Framework code paths, unforced.</summary>
    internal sealed class RuntimeChecks
    {
        public void Run(CheckRunner checks)
        {
            checks.Run("the runtime is of the .NET Framework line (mscorlib)", () =>
                Expect.True(FrameworkCodePaths.IsFrameworkLine, "typeof(object) is not in mscorlib"));

            checks.Run("deflate does not flush to a byte boundary here, so gzip goes through SequentialGzipCompressor", () =>
            {
                Expect.True(!FrameworkCodePaths.ForceSequentialGzip, "the switch is set");
                Expect.True(BlockCompressor.Create(LayerCompression.Gzip, 1) is SequentialGzipCompressor, "the parallel gzip compressor was chosen");
            });

            checks.Run("GZipStream reads one gzip member here, so gzip input is checked against its trailer", () =>
                Expect.True(!CheckedGzipStream.ReadsConcatenatedMembers, "GZipStream read two members as one stream"));

            checks.Run("no ZLibCompressionOptions and no SmallestSize here: levels 2-9 map to Optimal", () =>
            {
                Expect.True(!GzipStreams.HasNumericLevels, "numeric levels are honoured");
                Expect.Equal(CompressionLevel.NoCompression, GzipStreams.NearestLevel(0), "level 0");
                Expect.Equal(CompressionLevel.Fastest, GzipStreams.NearestLevel(1), "level 1");
                Expect.True(Enumerable.Range(2, 8).All(level => GzipStreams.NearestLevel(level) == CompressionLevel.Optimal), "levels 2-9 are not all Optimal");
            });
        }
    }
}
