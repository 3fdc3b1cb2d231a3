using System;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Pipeline
{
    /// <summary>
    /// The last stage before the sink: the route's blob, in order, hashed and counted on its way out (the Digest
    /// and Size), and the layer once its end has gone out.
    /// </summary>
    internal sealed class BlobReader : IDisposable
    {
        private readonly BlockWriter _writer;
        private readonly CancellationToken _stopped;
        private readonly SHA256 _sha = SHA256.Create();
        private LayerRoute _route;
        private long _size;
        private bool _ended;

        public BlobReader(BlockWriter writer, CancellationToken stopped)
        {
            _writer = writer;
            _stopped = stopped;
        }

        /// <summary>Blob bytes handed out so far.</summary>
        public long BytesRead => Volatile.Read(ref _size);

        /// <summary>The layer, once the end of the blob has been read; null before.</summary>
        public LayerDigest Layer { get; private set; }

        public async Task<ArraySegment<byte>> ReadAsync(CancellationToken cancellationToken)
        {
            if (_ended)
            {
                return new ArraySegment<byte>(Array.Empty<byte>());
            }

            LayerRoute route = _route ?? (_route = await WhenRoutedAsync(cancellationToken).ConfigureAwait(false));
            ArraySegment<byte> segment = await route.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (segment.Count > 0)
            {
                _sha.TransformBlock(segment.Array, segment.Offset, segment.Count, null, 0);
                Volatile.Write(ref _size, _size + segment.Count);
                return segment;
            }

            _ended = true;
            _sha.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
            string digest = Sha256Digest.Format(_sha.Hash);
            Layer = new LayerDigest(digest, route.DiffId ?? digest, _size, route.TarLength, route.MediaType);
            return segment;
        }

        public void Dispose() => _sha.Dispose();

        private async Task<LayerRoute> WhenRoutedAsync(CancellationToken cancellationToken)
        {
            Task<LayerRoute> routed = _writer.Routed;
            if (!routed.IsCompleted)
            {
                var stopped = new TaskCompletionSource<bool>();
                using (CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopped))
                using (linked.Token.Register(() => stopped.TrySetResult(true)))
                {
                    await Task.WhenAny(routed, stopped.Task).ConfigureAwait(false);
                }

                _stopped.ThrowIfCancellationRequested();
                cancellationToken.ThrowIfCancellationRequested();
            }

            return await routed.ConfigureAwait(false);
        }
    }
}
