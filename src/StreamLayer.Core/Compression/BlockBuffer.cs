using System;
using System.IO;

namespace StreamLayer.Compression
{
    /// <summary>A reusable, growable write-only stream that a compressor fills with one block's output.</summary>
    internal sealed class BlockBuffer : WriteOnlyForwardStream
    {
        private byte[] _buffer;
        private int _length;

        public BlockBuffer(int capacity) => _buffer = new byte[capacity];

        public byte[] Buffer => _buffer;

        public override long Length => _length;

        public int Count => _length;

        public void Reset() => _length = 0;

        /// <summary>Makes room for <paramref name="capacity"/> bytes, for writers that fill <see cref="Buffer"/> directly.</summary>
        public void EnsureCapacity(int capacity)
        {
            if (capacity > _buffer.Length)
            {
                _buffer = new byte[capacity];
                _length = 0;
            }
        }

        /// <summary>Sets how many bytes of <see cref="Buffer"/> a direct writer filled.</summary>
        public void SetCount(int count) => _length = count;

        public override void Write(byte[] buffer, int offset, int count)
        {
            int needed = _length + count;
            if (needed > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(needed, _buffer.Length * 2));
            }

            System.Buffer.BlockCopy(buffer, offset, _buffer, _length, count);
            _length = needed;
        }

        public override void WriteByte(byte value) => Write(new[] { value }, 0, 1);

        public override long Position { get => _length; set => throw new NotSupportedException(); }
    }
}
