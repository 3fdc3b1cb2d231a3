using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer
{
    /// <summary>The encoder's output as a read-only stream, for consumers that want one.</summary>
    internal sealed class EncodedStream : ReadOnlyForwardStream
    {
        private readonly LayerEncoder _encoder;
        private ArraySegment<byte> _segment;
        private int _position;
        private bool _ended;

        public EncodedStream(LayerEncoder encoder) => _encoder = encoder;

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            while (_position == _segment.Count)
            {
                if (_ended)
                {
                    return 0;
                }

                _segment = await _encoder.ReadSegmentAsync(cancellationToken).ConfigureAwait(false);
                _position = 0;
                _ended = _segment.Count == 0;
            }

            int n = Math.Min(count, _segment.Count - _position);
            Buffer.BlockCopy(_segment.Array, _segment.Offset + _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) =>
            ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    }
}
