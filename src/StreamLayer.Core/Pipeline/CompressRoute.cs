using System;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Compression;

namespace StreamLayer.Pipeline
{
    /// <summary>
    /// A plain tar, hashed as it arrives (the DiffId) and compressed block by block on worker threads; the blob is
    /// the compressor's header, the blocks' output in input order, and its trailer.
    /// </summary>
    internal sealed class CompressRoute : LayerRoute
    {
        private readonly BlockCompressor _compressor;
        private readonly BlockPool _pool;
        private readonly OrderedBlocks _blocks;
        private readonly CompressionWorkers _workers;
        private readonly TarDigest _tar;
        private readonly TarHeaderCheck _header;

        // The sink's side: where the blob is, and how much tar has gone out.
        private Stage _stage;
        private Block _current;
        private long _tarLength;

        /// <param name="container">How the input was compressed before it became these tar bytes (None: it was the tar).</param>
        public CompressRoute(LayerSettings settings, BlockPool pool, Action<Exception> fail, CancellationToken stopped, LayerCompression container = LayerCompression.None)
        {
            _header = new TarHeaderCheck(container);
            _compressor = BlockCompressor.Create(settings.Compression, settings.Level);
            _pool = pool;
            MediaType = settings.MediaType;

            // An uncompressed blob is the tar itself: no workers, and its Digest is its DiffId.
            int workers = _compressor.IsIdentity ? 0 : _compressor.IsParallel ? settings.MaxParallelism : 1;
            _blocks = new OrderedBlocks(2 * Math.Max(workers, 1) + 2, stopped);
            if (workers > 0)
            {
                _workers = new CompressionWorkers(_compressor, workers, fail, stopped);
                _tar = new TarDigest();
            }
        }

        private enum Stage
        {
            Header,
            Blocks,
            Trailer,
            Done,
        }

        public override LayerCompression InputCompression => LayerCompression.None;

        public override string MediaType { get; }

        public override string DiffId => _tar?.DiffId;

        public override long TarLength => _tarLength;

        public override void Accept(Block block)
        {
            // Before the block goes anywhere: a layer that is not a tar must not reach the end of its blob.
            _header.Append(block.Raw, 0, block.RawCount);
            if (block.Final)
            {
                _header.Finish();
            }

            if (_tar != null)
            {
                _tar.Append(block.Raw, 0, block.RawCount);
                if (block.Final)
                {
                    _tar.Finish();
                }
            }

            if (_workers == null)
            {
                _blocks.Add(block);
                _compressor.Compress(block);
                block.Done.TrySetResult(true);
                return;
            }

            block.Output = _pool.RentOutput();
            _blocks.Add(block);
            _workers.Add(block);
        }

        public override async Task<ArraySegment<byte>> ReadAsync(CancellationToken cancellationToken)
        {
            ReleaseCurrent();
            while (true)
            {
                switch (_stage)
                {
                    case Stage.Header:
                        _stage = Stage.Blocks;
                        if (_compressor.Header.Length > 0)
                        {
                            return new ArraySegment<byte>(_compressor.Header);
                        }

                        break;

                    case Stage.Blocks:
                        Block block = await _blocks.NextAsync(cancellationToken).ConfigureAwait(false);
                        _compressor.Ordered(block);
                        _tarLength += block.RawCount;
                        _current = block;
                        if (block.Final)
                        {
                            _stage = Stage.Trailer;
                        }

                        if (block.DataCount > 0)
                        {
                            return new ArraySegment<byte>(block.Data, block.DataOffset, block.DataCount);
                        }

                        ReleaseCurrent();
                        break;

                    case Stage.Trailer:
                        _stage = Stage.Done;
                        byte[] trailer = _compressor.Trailer(_tarLength);
                        if (trailer.Length > 0)
                        {
                            return new ArraySegment<byte>(trailer);
                        }

                        break;

                    default:
                        return End;
                }
            }
        }

        public override void Dispose()
        {
            _workers?.Dispose();
            _compressor.Dispose();
            _blocks.Dispose();
            _tar?.Dispose();
        }

        private void ReleaseCurrent()
        {
            if (_current != null)
            {
                _pool.Return(_current);
                _current = null;
                _blocks.Release();
            }
        }
    }
}
