namespace StreamLayer.Compression
{
    /// <summary>
    /// Recognises input by its first bytes, the way crane and containerd do: gzip and zstd, which a layer may be,
    /// and the formats a layer may not be, so that a refusal can name them.
    /// </summary>
    internal static class InputFormat
    {
        /// <summary>gzip's magic and its only compression method, deflate (RFC 1952).</summary>
        private static readonly byte[] s_gzip = { 0x1f, 0x8b, 0x08 };

        /// <summary>A zstd frame's magic number, 0xFD2FB528 little-endian (RFC 8878).</summary>
        private static readonly byte[] s_zstd = { 0x28, 0xb5, 0x2f, 0xfd };

        /// <summary>Formats that are not a layer, with what to do instead (the decompressor that gives the tar, if any).</summary>
        private static readonly Known[] s_others =
        {
            new Known(new byte[] { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00 }, "xz-compressed data", "xz -dc"),
            new Known(new byte[] { 0x42, 0x5a, 0x68 }, "bzip2-compressed data", "bzip2 -dc"),
            new Known(new byte[] { 0x04, 0x22, 0x4d, 0x18 }, "lz4-compressed data", "lz4 -dc"),
            new Known(new byte[] { 0x4c, 0x5a, 0x49, 0x50 }, "lzip-compressed data", "lzip -dc"),
            new Known(new byte[] { 0x1f, 0x9d }, "compress (.Z) data", "gzip -dc"),
            new Known(new byte[] { 0x50, 0x4b, 0x03, 0x04 }, "a zip archive", null),
            new Known(new byte[] { 0x50, 0x4b, 0x05, 0x06 }, "a zip archive", null),
            new Known(new byte[] { 0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c }, "a 7-Zip archive", null),
            new Known(new byte[] { 0x52, 0x61, 0x72, 0x21, 0x1a, 0x07 }, "a RAR archive", null),
            new Known(new byte[] { 0x7f, 0x45, 0x4c, 0x46 }, "an ELF executable", null),
            new Known(new byte[] { 0x25, 0x50, 0x44, 0x46 }, "a PDF document", null),
        };

        /// <summary>Gzip or Zstd when the input starts with that format's magic bytes, otherwise None (a plain tar).</summary>
        public static LayerCompression Detect(byte[] bytes, int count)
        {
            if (StartsWith(bytes, count, s_gzip))
            {
                return LayerCompression.Gzip;
            }

            return StartsWith(bytes, count, s_zstd) || IsZstdSkippableFrame(bytes, count) ? LayerCompression.Zstd : LayerCompression.None;
        }

        /// <summary>
        /// What input that is not a tar looks like, for the message that refuses it: "xz-compressed data", "text",
        /// and in <paramref name="decompressor"/> the command that would give the tar inside (null for none).
        /// Null when the bytes look like nothing known.
        /// </summary>
        public static string Describe(byte[] bytes, int count, out string decompressor)
        {
            decompressor = null;
            if (Detect(bytes, count) != LayerCompression.None)
            {
                decompressor = Detect(bytes, count) == LayerCompression.Gzip ? "gzip -dc" : "zstd -dc";
                return Detect(bytes, count) == LayerCompression.Gzip ? "gzip-compressed data" : "zstd-compressed data";
            }

            foreach (Known known in s_others)
            {
                if (StartsWith(bytes, count, known.Magic))
                {
                    decompressor = known.Decompressor;
                    return known.Name;
                }
            }

            return LooksLikeText(bytes, count) ? "text" : null;
        }

        /// <summary>A zstd skippable frame (magic 0x184D2A50 to 0x184D2A5F), which pzstd writes before its frames.</summary>
        private static bool IsZstdSkippableFrame(byte[] bytes, int count) =>
            count >= 4 && (bytes[0] & 0xf0) == 0x50 && bytes[1] == 0x2a && bytes[2] == 0x4d && bytes[3] == 0x18;

        /// <summary>Printable ASCII, tabs and line ends (and UTF-8's high bytes) with no NUL: a tar header always has NULs.</summary>
        private static bool LooksLikeText(byte[] bytes, int count)
        {
            if (count == 0)
            {
                return false;
            }

            for (int i = 0; i < count; i++)
            {
                byte b = bytes[i];
                if (b < 0x20 && b != (byte)'\t' && b != (byte)'\n' && b != (byte)'\r' && b != 0x0c)
                {
                    return false;
                }
            }

            return true;
        }

        private static bool StartsWith(byte[] bytes, int count, byte[] magic)
        {
            if (count < magic.Length)
            {
                return false;
            }

            for (int i = 0; i < magic.Length; i++)
            {
                if (bytes[i] != magic[i])
                {
                    return false;
                }
            }

            return true;
        }

        private readonly struct Known
        {
            public Known(byte[] magic, string name, string decompressor)
            {
                Magic = magic;
                Name = name;
                Decompressor = decompressor;
            }

            public byte[] Magic { get; }

            public string Name { get; }

            public string Decompressor { get; }
        }
    }
}
