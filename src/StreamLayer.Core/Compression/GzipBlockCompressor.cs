using System;
using System.IO;

namespace StreamLayer.Compression
{
    /// <summary>
    /// One gzip stream made of independently compressed blocks, the way pigz --independent does it: every block
    /// is deflated on its own and ends on a byte boundary with a sync flush (the last one with the final block),
    /// so the blocks can be compressed on any number of threads and still join into the same bytes. The block
    /// CRCs come from the runtime's own gzip trailer and are combined in order.
    /// </summary>
    internal sealed class GzipBlockCompressor : BlockCompressor
    {
        /// <summary>1 MiB. Changing it changes every gzip Digest.</summary>
        public const int GzipBlockSize = 1 << 20;

        private const int HeaderLength = 10;
        private const int TrailerLength = 8;

        // A final, empty fixed-Huffman block: what deflate writes to end a stream that has no more data.
        private static readonly byte[] s_emptyFinalBlock = { 0x03, 0x00 };

        private static readonly Lazy<bool> s_syncFlushWorks = new Lazy<bool>(ProbeSyncFlush);

        private readonly int _level;
        private readonly byte[] _header;
        private uint _crc;

        public GzipBlockCompressor(int level)
        {
            _level = level;

            // No name or time, so the bytes depend on the input alone. XFL as zlib sets it; OS 255 (unknown) as Go does.
            byte extraFlags = level == 9 ? (byte)2 : level == 1 ? (byte)4 : (byte)0;
            _header = new byte[] { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, extraFlags, 0xff };
        }

        /// <summary>Whether this runtime's deflate flushes to a byte boundary (.NET Core does; .NET Framework's Flush does not).</summary>
        public static bool IsSupported => !FrameworkCodePaths.ForceSequentialGzip && s_syncFlushWorks.Value;

        public override int BlockSize => GzipBlockSize;

        public override bool IsParallel => true;

        public override byte[] Header => _header;

        public override void Compress(Block block)
        {
            BlockBuffer output = block.Output;
            output.Reset();
            if (block.RawCount == 0)
            {
                block.Data = s_emptyFinalBlock;
                block.DataOffset = 0;
                block.DataCount = block.Final ? s_emptyFinalBlock.Length : 0;
                block.Crc = 0;
                return;
            }

            int flushedLength = -1;
            using (Stream gzip = GzipStreams.Create(output, _level))
            {
                gzip.Write(block.Raw, 0, block.RawCount);
                if (!block.Final)
                {
                    gzip.Flush();
                    flushedLength = output.Count;
                }
            }

            byte[] bytes = output.Buffer;
            int length = output.Count;
            if (length < HeaderLength + TrailerLength || bytes[0] != 0x1f || bytes[1] != 0x8b || bytes[2] != 8 || bytes[3] != 0)
            {
                throw new InvalidDataException("The runtime's gzip writer produced an unexpected header.");
            }

            int end = block.Final ? length - TrailerLength : flushedLength;
            if (!block.Final && !EndsWithSyncFlush(bytes, end))
            {
                throw new NotSupportedException("The runtime's deflate does not flush to a byte boundary.");
            }

            block.Crc = (uint)(bytes[length - 8] | bytes[length - 7] << 8 | bytes[length - 6] << 16 | bytes[length - 5] << 24);
            block.Data = bytes;
            block.DataOffset = HeaderLength;
            block.DataCount = end - HeaderLength;
        }

        public override void Ordered(Block block) => _crc = Crc32.Combine(_crc, block.Crc, block.RawCount);

        public override byte[] Trailer(long uncompressedLength)
        {
            uint size = unchecked((uint)uncompressedLength); // ISIZE is the length modulo 2^32
            return new[]
            {
                (byte)_crc, (byte)(_crc >> 8), (byte)(_crc >> 16), (byte)(_crc >> 24),
                (byte)size, (byte)(size >> 8), (byte)(size >> 16), (byte)(size >> 24),
            };
        }

        private static bool EndsWithSyncFlush(byte[] bytes, int end) =>
            end >= 4 && bytes[end - 4] == 0 && bytes[end - 3] == 0 && bytes[end - 2] == 0xff && bytes[end - 1] == 0xff;

        private static bool ProbeSyncFlush()
        {
            try
            {
                var block = new Block { Raw = new byte[] { 1, 2, 3 }, RawCount = 3, Output = new BlockBuffer(64) };
                new GzipBlockCompressor(1).Compress(block);
                return true;
            }
            catch (NotSupportedException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// The fallback for runtimes whose deflate cannot flush to a byte boundary: one gzip stream written block
    /// after block on a single thread. Deterministic, but not parallel.
    /// </summary>
    internal sealed class SequentialGzipCompressor : BlockCompressor
    {
        private readonly RedirectingStream _sink = new RedirectingStream();
        private readonly Stream _gzip;

        public SequentialGzipCompressor(int level) => _gzip = GzipStreams.Create(_sink, level);

        public override int BlockSize => GzipBlockCompressor.GzipBlockSize;

        public override bool IsParallel => false;

        public override void Compress(Block block)
        {
            block.Output.Reset();
            _sink.Target = block.Output;
            _gzip.Write(block.Raw, 0, block.RawCount);
            if (block.Final)
            {
                _gzip.Dispose();
            }

            block.Data = block.Output.Buffer;
            block.DataOffset = 0;
            block.DataCount = block.Output.Count;
        }

        /// <summary>Sends writes to whichever block is being compressed.</summary>
        private sealed class RedirectingStream : WriteOnlyForwardStream
        {
            public Stream Target;

            public override void Write(byte[] buffer, int offset, int count) => Target.Write(buffer, offset, count);
        }
    }
}
