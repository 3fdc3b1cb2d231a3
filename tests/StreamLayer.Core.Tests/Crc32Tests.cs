using System;
using StreamLayer.Compression;
using Xunit;

namespace StreamLayer.Tests
{
    public class Crc32Tests
    {
        // Bit-at-a-time CRC-32, independent of the code under test.
        private static uint Reference(byte[] data, int offset, int count)
        {
            uint crc = 0xFFFFFFFF;
            for (int i = offset; i < offset + count; i++)
            {
                crc ^= data[i];
                for (int k = 0; k < 8; k++)
                {
                    crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
                }
            }

            return ~crc;
        }

        [Theory]
        [InlineData(0, 10)]
        [InlineData(10, 0)]
        [InlineData(1, 1)]
        [InlineData(1000, 3)]
        [InlineData(7, 65537)]
        [InlineData(4096, 100000)]
        public void CombineEqualsTheCrcOfTheJoinedBytes(int lengthA, int lengthB)
        {
            byte[] data = TestData.Mixed(lengthA + lengthB, seed: lengthA + lengthB);
            uint crcA = Reference(data, 0, lengthA);
            uint crcB = Reference(data, lengthA, lengthB);

            Assert.Equal(Reference(data, 0, data.Length), Crc32.Combine(crcA, crcB, lengthB));
        }

        [Theory]
        [InlineData(0, 0)]
        [InlineData(0, 1)]
        [InlineData(3, 7)]
        [InlineData(1, 8)]
        [InlineData(5, 9)]
        [InlineData(11, 100003)]
        public void UpdateEqualsTheBitwiseCrcAtAnyOffsetAndLength(int offset, int count)
        {
            byte[] data = TestData.Mixed(offset + count + 5, seed: count);

            Assert.Equal(Reference(data, offset, count), Crc32.Update(0, data, offset, count));
        }

        [Fact]
        public void UpdateContinuesAcrossPieces()
        {
            byte[] data = TestData.Mixed(70000, seed: 3);
            uint crc = 0;
            for (int i = 0; i < data.Length; i += 6997)
            {
                crc = Crc32.Update(crc, data, i, System.Math.Min(6997, data.Length - i));
            }

            Assert.Equal(Reference(data, 0, data.Length), crc);
            Assert.Equal(0xCBF43926u, Crc32.Update(0, System.Text.Encoding.ASCII.GetBytes("123456789"), 0, 9));
        }

        [Fact]
        public void ReferenceMatchesTheStandardCheckValue()
        {
            byte[] check = System.Text.Encoding.ASCII.GetBytes("123456789");
            Assert.Equal(0xCBF43926u, Reference(check, 0, check.Length));
        }
    }
}
