using System;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Compression;

namespace StreamLayer.Pipeline
{
    /// <summary>
    /// gzip or zstd input compressed again with the layer's own options: a decompression thread checks the input
    /// and writes what it holds into an inner writer, whose compress route makes the blob.
    /// </summary>
    internal sealed class RecompressRoute : LayerRoute
    {
        // The decompressor holds an input block until it reads the next one; one more may wait for it.
        private const int InputBlocksInFlight = 3;

        private readonly SemaphoreSlim _inputSlots = new SemaphoreSlim(InputBlocksInFlight);
        private readonly BlockPool _inputPool;
        private readonly CompressRoute _compress;
        private readonly BlockWriter _inner;
        private readonly InputDecompressor _decompressor;
        private readonly CancellationToken _stopped;

        public RecompressRoute(LayerCompression input, LayerSettings settings, BlockPool inputPool, Action<Exception> fail, CancellationToken stopped)
        {
            InputCompression = input;
            _inputPool = inputPool;
            _stopped = stopped;
            var pool = new BlockPool(BlockCompressor.BlockSizeFor(settings.Compression));
            _compress = new CompressRoute(settings, pool, fail, stopped, input);
            _inner = new BlockWriter(pool, _ => _compress);
            _decompressor = new InputDecompressor(
                input,
                decompressed => _inner.ReadFrom(decompressed),
                ReleaseInput,
                last =>
                {
                    ReleaseInput(last);
                    _inner.Complete();
                },
                fail,
                stopped);
        }

        public override LayerCompression InputCompression { get; }

        public override string MediaType => _compress.MediaType;

        public override string DiffId => _compress.DiffId;

        public override long TarLength => _compress.TarLength;

        public override void Accept(Block block)
        {
            _inputSlots.Wait(_stopped);
            _decompressor.Feed(block);
        }

        public override Task<ArraySegment<byte>> ReadAsync(CancellationToken cancellationToken) => _compress.ReadAsync(cancellationToken);

        public override void Dispose()
        {
            _decompressor.Dispose();
            _compress.Dispose();
        }

        /// <summary>An input block the decompressor is done with goes back to the pool.</summary>
        private void ReleaseInput(Block block)
        {
            _inputPool.ReturnRaw(block.Raw);
            _inputSlots.Release();
        }
    }
}
