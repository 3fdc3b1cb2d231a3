using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Compression;

namespace StreamLayer.Pipeline
{
    /// <summary>
    /// gzip or zstd input that is the blob as it is. A decompression thread checks it and hashes what it holds (the
    /// DiffId); a block goes to the sink only once the decompressor is past it, and the last one only once the
    /// whole input has checked out, so a corrupt input never reaches its end in the sink.
    /// </summary>
    internal sealed class PassThroughRoute : LayerRoute
    {
        private readonly BlockPool _pool;
        private readonly OrderedBlocks _blocks;
        private readonly InputDecompressor _decompressor;
        private readonly TarDigest _tar = new TarDigest();
        private readonly TarHeaderCheck _header;
        private Block _current;
        private bool _ended;

        public PassThroughRoute(LayerCompression input, LayerSettings settings, BlockPool pool, Action<Exception> fail, CancellationToken stopped)
        {
            if (input == LayerCompression.Zstd && settings.MediaTypeFamily == LayerMediaType.Docker)
            {
                throw new LayerOptionsException(
                    "The input is zstd-compressed, and Docker's image format has no media type for zstd layers. Use the OCI media types, or recompress the input to gzip.",
                    nameof(LayerOptions.MediaType));
            }

            InputCompression = input;
            MediaType = MediaTypes.For(input, settings.MediaTypeFamily);
            _header = new TarHeaderCheck(input);
            _pool = pool;

            // The decompressor holds a block until it reads the next one, and the sink holds one it sends.
            _blocks = new OrderedBlocks(4, stopped);
            _decompressor = new InputDecompressor(input, HashTar, MarkDone, MarkDone, fail, stopped);
        }

        public override LayerCompression InputCompression { get; }

        public override string MediaType { get; }

        public override string DiffId => _tar.DiffId;

        public override long TarLength => _tar.Length;

        public override void Accept(Block block)
        {
            block.Data = block.Raw;
            block.DataOffset = 0;
            block.DataCount = block.RawCount;
            _blocks.Add(block);
            _decompressor.Feed(block);
        }

        public override async Task<ArraySegment<byte>> ReadAsync(CancellationToken cancellationToken)
        {
            ReleaseCurrent();
            while (!_ended)
            {
                Block block = await _blocks.NextAsync(cancellationToken).ConfigureAwait(false);
                _current = block;
                _ended = block.Final;
                if (block.DataCount > 0)
                {
                    return new ArraySegment<byte>(block.Data, block.DataOffset, block.DataCount);
                }

                ReleaseCurrent();
            }

            return End;
        }

        public override void Dispose()
        {
            _decompressor.Dispose();
            _blocks.Dispose();
            _tar.Dispose();
        }

        /// <summary>On the decompression thread: the DiffId and length of what the input decompresses to.</summary>
        private void HashTar(Stream decompressed)
        {
            var buffer = new byte[1 << 18];
            int n;
            while ((n = decompressed.Read(buffer, 0, buffer.Length)) > 0)
            {
                _header.Append(buffer, 0, n);
                _tar.Append(buffer, 0, n);
            }

            _header.Finish();
            _tar.Finish();
        }

        private static void MarkDone(Block block) => block.Done.TrySetResult(true);

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
