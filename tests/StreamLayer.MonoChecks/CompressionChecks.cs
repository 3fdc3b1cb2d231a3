using System;
using StreamLayer.Tests;

namespace StreamLayer.MonoChecks
{
    /// <summary>Layers of the pinned tar in every format, judged by gzip, zstd and sha256sum.</summary>
    internal sealed class CompressionChecks
    {
        private readonly string _work;
        private readonly byte[] _tar = PinnedLayer.Tar();

        public CompressionChecks(string work) => _work = work;

        public void Run(CheckRunner checks)
        {
            checks.Run("the pinned tar is what sha256sum says it is", () =>
                Expect.Equal(PinnedLayer.DiffId, Tools.Sha256Sum(Tools.Write(_work, "pinned.tar", _tar)), "sha256sum of the tar"));

            foreach (int level in new[] { 0, 1, 6, 9 })
            {
                checks.Run("gzip level " + level + ": gzip -dc gives back the tar; sha256sum gives the Digest", () => CheckGzip(level));
            }

            checks.Run("gzip levels 2-9 all compress as Optimal (9 differs only in the header's XFL byte)", () =>
            {
                Layers.Encode(_tar, new LayerOptions { CompressionLevel = 6 }, out byte[] six);
                for (int level = 2; level <= 9; level++)
                {
                    Layers.Encode(_tar, new LayerOptions { CompressionLevel = level }, out byte[] blob);
                    blob[8] = six[8];
                    Expect.True(Convert.ToBase64String(blob) == Convert.ToBase64String(six), "level " + level + " differs from level 6");
                }
            });

            checks.Run("gzip gives the same Digest on 1 thread and on 4", () =>
                Expect.Equal(
                    Layers.Encode(_tar, new LayerOptions { MaxParallelism = 1 }, out _).Digest,
                    Layers.Encode(_tar, new LayerOptions { MaxParallelism = 4 }, out _).Digest,
                    "Digest on 4 threads"));

            checks.Run("zstd: zstd -dc gives back the tar, and the Digest is the one pinned on .NET", () =>
            {
                LayerDigest layer = Layers.Encode(_tar, new LayerOptions { Compression = LayerCompression.Zstd }, out byte[] blob);
                string file = Tools.Write(_work, "pinned.tar.zst", blob);
                Expect.Equal(PinnedLayer.DiffId, Tools.Sha256SumOf("zstd -dc '" + file + "'"), "zstd -dc | sha256sum");
                Expect.Equal(Tools.Sha256Sum(file), layer.Digest, "Digest");
                Expect.Equal(PinnedLayer.ZstdDigest, layer.Digest, "the pinned zstd Digest");
            });

            checks.Run("no compression: the blob is the tar, and the Digest is the DiffId", () =>
            {
                LayerDigest layer = Layers.Encode(_tar, new LayerOptions { Compression = LayerCompression.None }, out byte[] blob);
                Expect.Equal(PinnedLayer.DiffId, Tools.Sha256Sum(Tools.Write(_work, "stored.tar", blob)), "sha256sum of the blob");
                Expect.Equal(PinnedLayer.DiffId, layer.Digest, "Digest");
            });
        }

        private void CheckGzip(int level)
        {
            LayerDigest layer = Layers.Encode(_tar, new LayerOptions { CompressionLevel = level }, out byte[] blob);
            string file = Tools.Write(_work, "level" + level + ".tar.gz", blob);
            Tools.Bash("gzip -t '" + file + "'");
            Expect.Equal(PinnedLayer.DiffId, Tools.Sha256SumOf("gzip -dc '" + file + "'"), "gzip -dc | sha256sum");
            Expect.Equal(PinnedLayer.DiffId, layer.DiffId, "DiffId");
            Expect.Equal(Tools.Sha256Sum(file), layer.Digest, "Digest");
            Expect.Equal((long)blob.Length, layer.Size, "Size");
            if (level == 1)
            {
                Console.WriteLine("      (gzip level 1 Digest here: " + layer.Digest + "; .NET's zlib-ng gives another)");
            }
        }
    }
}
