namespace StreamLayer.Compression
{
    /// <summary>CRC-32 (IEEE, as gzip uses it): computing it, and joining the CRCs of consecutive blocks.</summary>
    internal static class Crc32
    {
        private const uint Polynomial = 0xEDB88320u;

        // Slicing-by-8 tables: s_tables[k][b] is the CRC of byte b followed by k zero bytes.
        private static readonly uint[][] s_tables = BuildTables();

        /// <summary>The CRC of the bytes so far followed by <paramref name="count"/> more (zlib's crc32(crc, buf, len); start from 0).</summary>
        public static uint Update(uint crc, byte[] data, int offset, int count)
        {
            uint[] t0 = s_tables[0], t1 = s_tables[1], t2 = s_tables[2], t3 = s_tables[3];
            uint[] t4 = s_tables[4], t5 = s_tables[5], t6 = s_tables[6], t7 = s_tables[7];
            crc = ~crc;
            int i = offset;
            int end = offset + count;
            for (; end - i >= 8; i += 8)
            {
                uint low = crc ^ (uint)(data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24);
                crc = t7[low & 0xFF] ^ t6[(low >> 8) & 0xFF] ^ t5[(low >> 16) & 0xFF] ^ t4[low >> 24]
                    ^ t3[data[i + 4]] ^ t2[data[i + 5]] ^ t1[data[i + 6]] ^ t0[data[i + 7]];
            }

            for (; i < end; i++)
            {
                crc = t0[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
            }

            return ~crc;
        }

        private static uint[][] BuildTables()
        {
            var tables = new uint[8][];
            for (int k = 0; k < 8; k++)
            {
                tables[k] = new uint[256];
            }

            for (uint b = 0; b < 256; b++)
            {
                uint c = b;
                for (int bit = 0; bit < 8; bit++)
                {
                    c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
                }

                tables[0][b] = c;
            }

            for (int k = 1; k < 8; k++)
            {
                for (int b = 0; b < 256; b++)
                {
                    uint previous = tables[k - 1][b];
                    tables[k][b] = tables[0][previous & 0xFF] ^ (previous >> 8);
                }
            }

            return tables;
        }

        /// <summary>The CRC of A followed by B, from crc(A), crc(B) and B's length (zlib's crc32_combine).</summary>
        public static uint Combine(uint crcA, uint crcB, long lengthB)
        {
            if (lengthB <= 0)
            {
                return crcA;
            }

            var even = new uint[32];
            var odd = new uint[32];

            // odd: the operator for one zero bit.
            odd[0] = Polynomial;
            uint row = 1;
            for (int n = 1; n < 32; n++)
            {
                odd[n] = row;
                row <<= 1;
            }

            Square(even, odd); // two zero bits
            Square(odd, even); // four zero bits

            // Apply lengthB zero bytes to crcA, one bit of the length at a time.
            do
            {
                Square(even, odd);
                if ((lengthB & 1) != 0)
                {
                    crcA = Times(even, crcA);
                }

                lengthB >>= 1;
                if (lengthB == 0)
                {
                    break;
                }

                Square(odd, even);
                if ((lengthB & 1) != 0)
                {
                    crcA = Times(odd, crcA);
                }

                lengthB >>= 1;
            }
            while (lengthB != 0);

            return crcA ^ crcB;
        }

        private static uint Times(uint[] matrix, uint vector)
        {
            uint sum = 0;
            for (int i = 0; vector != 0; i++, vector >>= 1)
            {
                if ((vector & 1) != 0)
                {
                    sum ^= matrix[i];
                }
            }

            return sum;
        }

        private static void Square(uint[] square, uint[] matrix)
        {
            for (int n = 0; n < 32; n++)
            {
                square[n] = Times(matrix, matrix[n]);
            }
        }
    }
}
