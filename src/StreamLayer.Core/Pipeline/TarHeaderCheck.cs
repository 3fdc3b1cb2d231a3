using System;
using StreamLayer.Compression;

namespace StreamLayer.Pipeline
{
    /// <summary>
    /// Checks that the layer's uncompressed bytes start like a tar: a 512-byte header whose checksum matches (as
    /// GNU tar and Go's archive/tar check it), or the zero block that ends an archive (an empty layer). Every route
    /// passes it the tar's first bytes, so anything else fails the layer before its blob can complete anywhere.
    /// </summary>
    internal sealed class TarHeaderCheck
    {
        private const int BlockSize = 512;
        private const int ChecksumOffset = 148;
        private const int ChecksumLength = 8;

        private readonly LayerCompression _container;
        private readonly byte[] _header = new byte[BlockSize];
        private int _count;
        private bool _done;

        /// <param name="container">How the input was compressed around the tar: None for a plain tar; for messages.</param>
        public TarHeaderCheck(LayerCompression container) => _container = container;

        /// <summary>Takes the next bytes of the tar; throws once the first 512 are not a tar header.</summary>
        public void Append(byte[] bytes, int offset, int count)
        {
            if (_done)
            {
                return;
            }

            int n = Math.Min(count, BlockSize - _count);
            Buffer.BlockCopy(bytes, offset, _header, _count, n);
            _count += n;
            if (_count == BlockSize)
            {
                _done = true;
                if (!IsHeader(_header))
                {
                    throw LayerInputException.NotTar(_container, InputFormat.Describe(_header, _count, out string decompressor), decompressor, BlockSize);
                }
            }
        }

        /// <summary>At the end of the tar: throws when it was shorter than one header.</summary>
        public void Finish()
        {
            if (!_done)
            {
                _done = true;
                throw LayerInputException.NotTar(_container, InputFormat.Describe(_header, _count, out string decompressor), decompressor, _count);
            }
        }

        /// <summary>A header whose stored checksum is the sum of its bytes with the checksum field read as spaces, or a zero block.</summary>
        internal static bool IsHeader(byte[] block)
        {
            long unsignedSum = 0;
            long signedSum = 0;
            bool zero = true;
            for (int i = 0; i < BlockSize; i++)
            {
                byte b = i >= ChecksumOffset && i < ChecksumOffset + ChecksumLength ? (byte)' ' : block[i];
                unsignedSum += b;
                signedSum += (sbyte)b;
                zero &= block[i] == 0;
            }

            if (zero)
            {
                return true;
            }

            long? stored = StoredChecksum(block);
            return stored.HasValue && (stored.Value == unsignedSum || stored.Value == signedSum);
        }

        /// <summary>The checksum field: octal digits after optional spaces, ended by NUL or space (or the field's end).</summary>
        private static long? StoredChecksum(byte[] block)
        {
            int i = ChecksumOffset;
            int end = ChecksumOffset + ChecksumLength;
            while (i < end && block[i] == (byte)' ')
            {
                i++;
            }

            long value = 0;
            int digits = 0;
            for (; i < end && block[i] >= (byte)'0' && block[i] <= (byte)'7'; i++, digits++)
            {
                value = value * 8 + (block[i] - '0');
            }

            if (digits == 0 || (i < end && block[i] != 0 && block[i] != (byte)' '))
            {
                return null;
            }

            return value;
        }
    }
}
