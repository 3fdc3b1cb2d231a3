using System;

namespace StreamLayer.Compression
{
    /// <summary>
    /// Turns a sequence of blocks into one compressed blob. Compress may run for several blocks at once
    /// (when <see cref="IsParallel"/>); <see cref="Ordered"/> and the header/trailer are used in block order.
    /// </summary>
    internal abstract class BlockCompressor : IDisposable
    {
        /// <summary>Uncompressed bytes per block. Blocks are compressed independently, so this is part of what decides the Digest.</summary>
        public abstract int BlockSize { get; }

        /// <summary>Whether blocks can be compressed concurrently and out of order.</summary>
        public abstract bool IsParallel { get; }

        /// <summary>True when the output is the input itself, so the Digest is the DiffId.</summary>
        public virtual bool IsIdentity => false;

        /// <summary>Bytes before the first block's data.</summary>
        public virtual byte[] Header => Array.Empty<byte>();

        public abstract void Compress(Block block);

        /// <summary>Called once per block, in order, after it is compressed.</summary>
        public virtual void Ordered(Block block) { }

        /// <summary>Bytes after the last block's data.</summary>
        public virtual byte[] Trailer(long uncompressedLength) => Array.Empty<byte>();

        /// <summary>Frees what the compressor holds; called once no block is being compressed.</summary>
        public virtual void Dispose()
        {
        }

        /// <summary>Uncompressed bytes per block for <paramref name="format"/>, known before any compressor is made.</summary>
        public static int BlockSizeFor(LayerCompression format) =>
            format == LayerCompression.Zstd ? ZstdBlockCompressor.ZstdBlockSize : GzipBlockCompressor.GzipBlockSize;

        /// <summary>The compressor for plain tar input in <paramref name="format"/>.</summary>
        public static BlockCompressor Create(LayerCompression format, int level)
        {
            switch (format)
            {
                case LayerCompression.Gzip:
                    return GzipBlockCompressor.IsSupported ? new GzipBlockCompressor(level) : (BlockCompressor)new SequentialGzipCompressor(level);
                case LayerCompression.Zstd:
                    return new ZstdBlockCompressor(level);
                case LayerCompression.None:
                    return new StoredBlockCompressor();
                default:
                    throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown compression.");
            }
        }
    }

    /// <summary>No compression: every block is its own output, so the blob is the tar and the Digest is the DiffId.</summary>
    internal sealed class StoredBlockCompressor : BlockCompressor
    {
        public override int BlockSize => GzipBlockCompressor.GzipBlockSize;

        public override bool IsParallel => false;

        public override bool IsIdentity => true;

        public override void Compress(Block block)
        {
            block.Data = block.Raw;
            block.DataOffset = 0;
            block.DataCount = block.RawCount;
        }
    }
}
