namespace StreamLayer.Compression
{
    /// <summary>Recognises compressed input by its first bytes, the way crane and containerd do.</summary>
    internal static class InputFormat
    {
        /// <summary>gzip's magic and its only compression method, deflate (RFC 1952).</summary>
        private static readonly byte[] s_gzip = { 0x1f, 0x8b, 0x08 };

        /// <summary>A zstd frame's magic number, 0xFD2FB528 little-endian (RFC 8878).</summary>
        private static readonly byte[] s_zstd = { 0x28, 0xb5, 0x2f, 0xfd };

        /// <summary>Gzip or Zstd when the input starts with that format's magic bytes, otherwise None (a plain tar).</summary>
        public static LayerCompression Detect(byte[] bytes, int count)
        {
            if (StartsWith(bytes, count, s_gzip))
            {
                return LayerCompression.Gzip;
            }

            return StartsWith(bytes, count, s_zstd) ? LayerCompression.Zstd : LayerCompression.None;
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
    }
}
