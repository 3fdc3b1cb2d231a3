using System.Collections.Concurrent;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace StreamLayer.Compression
{
    /// <summary>
    /// zstd as concatenated frames, one per block: every block is compressed on its own, with its content size and
    /// a content checksum, so blocks can be compressed on any number of threads and still give the same bytes.
    /// Every zstd decoder reads concatenated frames as one stream (the zstd tool, containerd's Go decoder).
    /// </summary>
    internal sealed class ZstdBlockCompressor : BlockCompressor
    {
        /// <summary>
        /// 4 MiB: on a 646 MB tar of the .NET SDK at level 3, 4.6% smaller than 1 MiB frames (and smaller than one
        /// zstd stream of the whole tar), at the same speed; 8 MiB gains only 0.8% more.
        /// </summary>
        public const int ZstdBlockSize = 4 << 20;

        private readonly int _level;

        // One compression context per worker thread at a time; contexts are reused across blocks.
        private readonly ConcurrentBag<Compressor> _contexts = new ConcurrentBag<Compressor>();

        public ZstdBlockCompressor(int level) => _level = level;

        public override int BlockSize => ZstdBlockSize;

        public override bool IsParallel => true;

        public override void Compress(Block block)
        {
            if (!_contexts.TryTake(out Compressor context))
            {
                context = new Compressor(_level);
                context.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
            }

            try
            {
                BlockBuffer output = block.Output;
                output.EnsureCapacity(Compressor.GetCompressBound(block.RawCount));
                byte[] buffer = output.Buffer;
                int length = context.Wrap(block.Raw, 0, block.RawCount, buffer, 0, buffer.Length);
                output.SetCount(length);
                block.Data = buffer;
                block.DataOffset = 0;
                block.DataCount = length;
            }
            finally
            {
                _contexts.Add(context);
            }
        }

        public override void Dispose()
        {
            while (_contexts.TryTake(out Compressor context))
            {
                context.Dispose();
            }
        }
    }
}
