using System;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Registry.Blobs
{
    /// <summary>The source's blob as segments, with the unread rest of the last one kept for the next chunk.</summary>
    internal sealed class BlobCursor
    {
        private readonly IBlobSource _source;
        private ArraySegment<byte> _rest;
        private bool _ended;

        public BlobCursor(IBlobSource source) => _source = source;

        /// <summary>What the source threw: the layer's root failure. Null while the blob is fine.</summary>
        public Exception Failure { get; private set; }

        /// <summary>Whether any of the blob has been taken; after that, a request that carried it cannot be sent again.</summary>
        public bool Started { get; private set; }

        public void ThrowIfFailed()
        {
            if (Failure != null)
            {
                ExceptionDispatchInfo.Capture(Failure).Throw();
            }
        }

        public async Task<ArraySegment<byte>> NextAsync(CancellationToken cancellationToken)
        {
            Started = true;
            if (_rest.Count > 0)
            {
                ArraySegment<byte> rest = _rest;
                _rest = default;
                return rest;
            }

            if (_ended)
            {
                return default;
            }

            ArraySegment<byte> segment;
            try
            {
                segment = await _source.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Failure = e;
                throw;
            }

            _ended = segment.Count == 0;
            return segment;
        }

        /// <summary>Fills <paramref name="buffer"/> as far as the blob goes; returns the count (0 at the end).</summary>
        public async Task<int> FillAsync(byte[] buffer, CancellationToken cancellationToken)
        {
            int filled = 0;
            while (filled < buffer.Length)
            {
                ArraySegment<byte> segment = await NextAsync(cancellationToken).ConfigureAwait(false);
                if (segment.Count == 0)
                {
                    break;
                }

                int n = Math.Min(segment.Count, buffer.Length - filled);
                Buffer.BlockCopy(segment.Array, segment.Offset, buffer, filled, n);
                filled += n;
                if (n < segment.Count)
                {
                    _rest = new ArraySegment<byte>(segment.Array, segment.Offset + n, segment.Count - n);
                }
            }

            return filled;
        }
    }
}
