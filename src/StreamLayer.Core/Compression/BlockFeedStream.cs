using System;
using System.Collections.Concurrent;
using System.IO;
using System.Threading;

namespace StreamLayer.Compression
{
    /// <summary>
    /// The encoder's input blocks, in order, as a stream that a decompressor reads on its own thread. A block is
    /// handed back (<c>consumed</c>) once the reader has moved past it; the final block is kept until
    /// <see cref="FinalBlock"/> is taken, so the input is only done when the decompressor has checked it to the end.
    /// </summary>
    internal sealed class BlockFeedStream : ReadOnlyForwardStream
    {
        private readonly BlockingCollection<Block> _blocks;
        private readonly Action<Block> _consumed;
        private readonly CancellationToken _abort;
        private Block _current;
        private int _position;

        public BlockFeedStream(BlockingCollection<Block> blocks, Action<Block> consumed, CancellationToken abort)
        {
            _blocks = blocks;
            _consumed = consumed;
            _abort = abort;
        }

        /// <summary>The final block, once the stream has been read to its end; otherwise null.</summary>
        public Block FinalBlock => _current != null && _current.Final && _position == _current.RawCount ? _current : null;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (count == 0)
            {
                return 0;
            }

            while (_current == null || _position == _current.RawCount)
            {
                if (_current != null)
                {
                    if (_current.Final)
                    {
                        return 0;
                    }

                    _consumed(_current);
                }

                _current = _blocks.Take(_abort);
                _position = 0;
            }

            int n = Math.Min(count, _current.RawCount - _position);
            Buffer.BlockCopy(_current.Raw, _position, buffer, offset, n);
            _position += n;
            return n;
        }
    }
}
