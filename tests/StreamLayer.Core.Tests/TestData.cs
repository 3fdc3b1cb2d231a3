using System;
using System.IO;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Layers;
using StreamLayer.Sinks;

namespace StreamLayer.Tests
{
    internal static class TestData
    {
        /// <summary>
        /// Bytes that compress like a real tar: runs of text mixed with noise, after a tar header (when there is room
        /// for one) so that the layer's check that its input is a tar passes.
        /// </summary>
        public static byte[] Mixed(int length, int seed = 1)
        {
            byte[] bytes = Noise(length, seed);
            if (length >= 512)
            {
                TarHeader("mixed.bin", length - 512).CopyTo(bytes, 0);
            }

            return bytes;
        }

        /// <summary>A ustar header for a regular file, with its checksum, as GNU tar writes one.</summary>
        public static byte[] TarHeader(string name, long size)
        {
            var header = new byte[512];
            void Put(int offset, string text) => System.Text.Encoding.ASCII.GetBytes(text).CopyTo(header, offset);
            Put(0, name);
            Put(100, "0000644\0");
            Put(108, "0000000\0");
            Put(116, "0000000\0");
            Put(124, Convert.ToString(size, 8).PadLeft(11, '0') + "\0");
            Put(136, "00000000000\0");
            Put(148, "        ");
            header[156] = (byte)'0';
            Put(257, "ustar\0" + "00");
            int sum = 0;
            foreach (byte b in header)
            {
                sum += b;
            }

            Put(148, Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ");
            return header;
        }

        /// <summary>A tar of one file holding <paramref name="content"/>, padded and ended as tar does.</summary>
        public static byte[] Tar(byte[] content, string name = "file.bin")
        {
            int padded = (content.Length + 511) / 512 * 512;
            var tar = new byte[512 + padded + 1024];
            TarHeader(name, content.Length).CopyTo(tar, 0);
            content.CopyTo(tar, 512);
            return tar;
        }

        /// <summary>Runs of text mixed with noise, with no header.</summary>
        public static byte[] Noise(int length, int seed = 1)
        {
            var random = new Random(seed);
            var bytes = new byte[length];
            int i = 0;
            while (i < length)
            {
                int run = Math.Min(length - i, random.Next(1, 4096));
                if (random.Next(3) == 0)
                {
                    random.NextBytes(new Span<byte>(bytes, i, run));
                }
                else
                {
                    for (int j = 0; j < run; j++)
                    {
                        bytes[i + j] = (byte)("the quick brown fox jumps over the lazy dog\n"[(i + j) % 44]);
                    }
                }

                i += run;
            }

            return bytes;
        }

        public static string Sha256(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

        public static byte[] Gunzip(byte[] blob)
        {
            using var gzip = new GZipStream(new MemoryStream(blob), CompressionMode.Decompress);
            var output = new MemoryStream();
            gzip.CopyTo(output);
            return output.ToArray();
        }

        /// <summary>One gzip member of <paramref name="bytes"/>, made by the runtime's own writer.</summary>
        public static byte[] Gzip(byte[] bytes)
        {
            var output = new MemoryStream();
            using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
            {
                gzip.Write(bytes, 0, bytes.Length);
            }

            return output.ToArray();
        }

        /// <summary>One zstd frame of <paramref name="bytes"/> (level 3, with a checksum), as the zstd tool writes.</summary>
        public static byte[] Zstd(byte[] bytes)
        {
            using var compressor = new ZstdSharp.Compressor(3);
            compressor.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
            return compressor.Wrap(bytes).ToArray();
        }

        /// <summary>Decompresses every frame of a zstd blob with ZstdSharp's streaming decoder.</summary>
        public static byte[] Unzstd(byte[] blob)
        {
            using var zstd = new ZstdSharp.DecompressionStream(new MemoryStream(blob));
            var output = new MemoryStream();
            zstd.CopyTo(output);
            return output.ToArray();
        }

        public static byte[] Concat(params byte[][] parts)
        {
            var output = new MemoryStream();
            foreach (byte[] part in parts)
            {
                output.Write(part, 0, part.Length);
            }

            return output.ToArray();
        }

        /// <summary>Encodes with the encoder's own producer API chosen by <paramref name="write"/>; returns the blob and the layer.</summary>
        public static (byte[] Blob, LayerDigest Layer) Encode(LayerOptions options, Action<LayerOperation> write)
        {
            var blob = new MemoryStream();
            using var operation = new LayerOperation(options, new StreamSink(blob));
            write(operation);
            operation.Complete();
            LayerDigest layer = operation.Completion.GetAwaiter().GetResult();
            return (blob.ToArray(), layer);
        }

        public static (byte[] Blob, LayerDigest Layer) Encode(byte[] input, LayerOptions options = null) =>
            Encode(options ?? new LayerOptions(), encoder => encoder.Write(input, 0, input.Length));
    }

    /// <summary>A sink made of a delegate, for tests that read the blob their own way.</summary>
    internal sealed class DelegateSink : ILayerSink
    {
        private readonly Func<IBlobSource, CancellationToken, Task> _consume;

        public DelegateSink(Func<IBlobSource, CancellationToken, Task> consume) => _consume = consume;

        public Task ConsumeAsync(IBlobSource source, CancellationToken cancellationToken) => _consume(source, cancellationToken);
    }
}
