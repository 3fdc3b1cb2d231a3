using System.Collections.Concurrent;
using StreamLayer.Compression;

namespace StreamLayer.Pipeline
{
    /// <summary>The buffers of one layer's blocks, reused from block to block so a layer of any size allocates a few.</summary>
    internal sealed class BlockPool
    {
        private readonly ConcurrentBag<byte[]> _raw = new ConcurrentBag<byte[]>();
        private readonly ConcurrentBag<BlockBuffer> _output = new ConcurrentBag<BlockBuffer>();

        public BlockPool(int blockSize) => BlockSize = blockSize;

        /// <summary>Input bytes per block; every raw buffer is exactly this long.</summary>
        public int BlockSize { get; }

        public byte[] RentRaw() => _raw.TryTake(out byte[] raw) ? raw : new byte[BlockSize];

        public void ReturnRaw(byte[] raw) => _raw.Add(raw);

        /// <summary>A compressor's output buffer, a little larger than a block so incompressible input fits.</summary>
        public BlockBuffer RentOutput() =>
            _output.TryTake(out BlockBuffer output) ? output : new BlockBuffer(BlockSize + BlockSize / 16 + 64);

        /// <summary>Takes back both buffers of a block the sink is done with.</summary>
        public void Return(Block block)
        {
            _raw.Add(block.Raw);
            if (block.Output != null)
            {
                _output.Add(block.Output);
            }
        }
    }
}
