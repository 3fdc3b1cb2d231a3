using System;
using System.IO;
using System.Text;

namespace StreamLayer.Tests
{
    /// <summary>
    /// A tar built the same way on every runtime (no clock, no owner, no runtime random generator) and the layer it
    /// must make. The DiffId is the same everywhere; so is the zstd Digest, because ZstdSharp is managed code. gzip
    /// Digests are not pinned: they follow the runtime's zlib (zlib-ng on .NET, zlib on .NET Framework and Mono).
    /// The unit tests and the Mono checks (tests/StreamLayer.MonoChecks links this file) hold both runtimes to it.
    /// </summary>
    internal static class PinnedLayer
    {
        public const string DiffId = "sha256:f17cad35b3a52f2af0c650a87dea9bf918078352460f0c669e5007b4f77c5214";

        /// <summary>The Digest with -Compression Zstd at the default level (1).</summary>
        public const string ZstdDigest = "sha256:2f4689989c30aeaae0ed64082e12f494eb410245aa413307282858e7f3d3002b";

        /// <summary>A ustar archive of a text file and a 5 MiB file of text and noise: two zstd blocks, six gzip blocks.</summary>
        public static byte[] Tar()
        {
            var text = new StringBuilder();
            for (int line = 0; line < 2000; line++)
            {
                text.Append("line ").Append(line).Append(": the quick brown fox jumps over the lazy dog\n");
            }

            var mixed = new byte[5 << 20];
            uint state = 2463534242;
            for (int i = 0; i < mixed.Length; i++)
            {
                // xorshift32 decides runs of noise and of text, so the file compresses like real content.
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                mixed[i] = (i / 4096) % 3 == 0 ? (byte)state : (byte)"the quick brown fox jumps over the lazy dog\n"[i % 44];
            }

            var tar = new MemoryStream();
            AddFile(tar, "etc/motd", Encoding.ASCII.GetBytes(text.ToString()));
            AddFile(tar, "bin/mixed", mixed);
            tar.Write(new byte[1024], 0, 1024);
            return tar.ToArray();
        }

        private static void AddFile(Stream tar, string name, byte[] content)
        {
            var header = new byte[512];
            Put(header, 0, name);
            Put(header, 100, "0000644");
            Put(header, 108, "0000000");
            Put(header, 116, "0000000");
            Put(header, 124, Convert.ToString(content.Length, 8).PadLeft(11, '0'));
            Put(header, 136, "00000000000");
            header[156] = (byte)'0';
            Put(header, 257, "ustar");
            Put(header, 263, "00");
            for (int i = 148; i < 156; i++)
            {
                header[i] = (byte)' ';
            }

            int sum = 0;
            foreach (byte b in header)
            {
                sum += b;
            }

            Put(header, 148, Convert.ToString(sum, 8).PadLeft(6, '0'));
            header[155] = (byte)' ';
            tar.Write(header, 0, header.Length);
            tar.Write(content, 0, content.Length);
            int padding = (512 - content.Length % 512) % 512;
            tar.Write(new byte[padding], 0, padding);
        }

        private static void Put(byte[] header, int offset, string value) => Encoding.ASCII.GetBytes(value, 0, value.Length, header, offset);
    }
}
