using System.IO;
using StreamLayer.Tests;

namespace StreamLayer.MonoChecks
{
    /// <summary>Compressed input made by gzip and zstd themselves, taken as the blob or refused, on the trailer-checked path.</summary>
    internal sealed class InputChecks
    {
        private readonly string _work;
        private readonly string _tar;
        private readonly string _gz;

        public InputChecks(string work)
        {
            _work = work;
            _tar = Tools.Write(work, "input.tar", PinnedLayer.Tar());
            _gz = Path.Combine(work, "input.tar.gz");
            Tools.Bash("gzip -1 -n -c '" + _tar + "' > '" + _gz + "'");
        }

        public void Run(CheckRunner checks)
        {
            checks.Run("a .tar.gz made by gzip is the blob as it is: the Digest is its sha256sum, the DiffId the tar's", () =>
            {
                LayerDigest layer = Layers.Encode(File.ReadAllBytes(_gz), new LayerOptions(), out byte[] blob);
                Expect.Equal(Tools.Sha256Sum(_gz), layer.Digest, "Digest");
                Expect.Equal(Tools.Sha256Sum(_tar), layer.DiffId, "DiffId");
                Expect.Equal(Tools.Sha256Sum(_gz), Tools.Sha256Sum(Tools.Write(_work, "passed.gz", blob)), "the blob");
            });

            checks.Run("two gzip members (cat a.gz b.gz) fail with InputCorrupt rather than give a wrong DiffId", () =>
            {
                string two = Path.Combine(_work, "two.gz");
                Tools.Bash("cat '" + _gz + "' '" + _gz + "' > '" + two + "'");
                ExpectCorrupt(two);
            });

            checks.Run("a .tar.gz cut short fails with InputCorrupt", () =>
            {
                string cut = Path.Combine(_work, "cut.gz");
                Tools.Bash("head -c $(( $(stat -c %s '" + _gz + "') - 5 )) '" + _gz + "' > '" + cut + "'");
                ExpectCorrupt(cut);
            });

            checks.Run("bytes after the gzip data fail with InputCorrupt", () =>
            {
                string padded = Path.Combine(_work, "padded.gz");
                Tools.Bash("cat '" + _gz + "' > '" + padded + "' && head -c 9 /dev/zero >> '" + padded + "'");
                ExpectCorrupt(padded);
            });

            checks.Run("a .tar.zst made by zstd is the blob as it is, its DiffId the tar's", () =>
            {
                string zst = Path.Combine(_work, "input.tar.zst");
                Tools.Bash("zstd -q -3 -c '" + _tar + "' > '" + zst + "'");
                LayerDigest layer = Layers.Encode(File.ReadAllBytes(zst), new LayerOptions(), out _);
                Expect.Equal(Tools.Sha256Sum(zst), layer.Digest, "Digest");
                Expect.Equal(Tools.Sha256Sum(_tar), layer.DiffId, "DiffId");
            });

            checks.Run("-Recompress turns a .tar.gz into zstd that zstd -dc reads back as the tar", () =>
            {
                LayerDigest layer = Layers.Encode(File.ReadAllBytes(_gz), new LayerOptions { Recompress = true, Compression = LayerCompression.Zstd }, out byte[] blob);
                string file = Tools.Write(_work, "recompressed.tar.zst", blob);
                Expect.Equal(Tools.Sha256Sum(_tar), Tools.Sha256SumOf("zstd -dc '" + file + "'"), "zstd -dc | sha256sum");
                Expect.Equal(PinnedLayer.ZstdDigest, layer.Digest, "the pinned zstd Digest");
            });
        }

        private static void ExpectCorrupt(string file)
        {
            var error = Expect.Throws<LayerInputException>(() => Layers.Encode(File.ReadAllBytes(file), new LayerOptions(), out _), file);
            Expect.Equal(LayerInputProblem.Corrupt, error.Problem, "the problem");
        }
    }
}
