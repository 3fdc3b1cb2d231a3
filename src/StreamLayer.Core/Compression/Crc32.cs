namespace StreamLayer.Compression
{
    /// <summary>CRC-32 (IEEE, as gzip uses it) arithmetic that joins the CRCs of consecutive blocks.</summary>
    internal static class Crc32
    {
        private const uint Polynomial = 0xEDB88320u;

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
