using System;
using System.IO;
using System.IO.Compression;
using System.Text;
using ZstdSharp;

namespace StreamLayer.Compression
{
    /// <summary>
    /// Decompresses gzip or zstd input and checks it to its very end: every failure, including input that stops
    /// early or goes on after the compressed data, surfaces as a <see cref="LayerInputException"/> from Read,
    /// at the latest from the Read that would return the end.
    /// </summary>
    internal static class CheckedDecompression
    {
        public static Stream Open(LayerCompression format, BlockFeedStream source) =>
            format == LayerCompression.Zstd
                ? new CheckedZstdStream(source)
                : (Stream)new CheckedGzipStream(source, CheckedGzipStream.ReadsConcatenatedMembers);
    }

    /// <summary>
    /// gzip through the runtime's GZipStream, which checks each member's CRC and length, but ends quietly when the
    /// input stops early and ignores bytes after the last member. Where the runtime reads concatenated members
    /// (.NET Core 3.0 and later), a small sentinel member goes after the input: its content only comes out if the
    /// real input ended exactly at the end of a member and nothing followed. Elsewhere (.NET Framework and Mono read
    /// only the first member) the first member must end exactly where the input ends: its trailer (the CRC and length
    /// of what was decompressed) is found in the last bytes handed to the runtime's reader, and nothing may follow
    /// it. That accepts single-member gzip only.
    /// </summary>
    internal sealed class CheckedGzipStream : ReadOnlyForwardStream
    {
        private static readonly byte[] s_marker = Encoding.ASCII.GetBytes("StreamLayer:end\n");
        private static readonly Lazy<byte[]> s_sentinel = new Lazy<byte[]>(() => Gzip(s_marker));
        private static readonly Lazy<bool> s_readsMembers = new Lazy<bool>(ProbeConcatenatedMembers);

        private readonly BlockFeedStream _source;
        private readonly bool _sentinel;
        private readonly MemberEndFinder _given;
        private readonly GZipStream _gzip;

        // Sentinel mode: decompressed bytes, of which the last marker-length ones are held back until the end.
        private readonly byte[] _held;
        private int _start;
        private int _end;

        // Trailer mode: what the decompressed bytes add up to.
        private uint _crc;
        private long _length;

        private bool _ended;

        public CheckedGzipStream(BlockFeedStream source, bool sentinel)
        {
            _source = source;
            _sentinel = sentinel;
            _given = sentinel ? null : new MemberEndFinder(source);
            Stream input = sentinel ? new SentinelStream(source, s_sentinel.Value) : (Stream)_given;
            _gzip = new GZipStream(input, CompressionMode.Decompress, leaveOpen: true);
            if (sentinel)
            {
                _held = new byte[1 << 16];
            }
        }

        /// <summary>Whether this runtime's GZipStream reads gzip members one after another as one stream.</summary>
        public static bool ReadsConcatenatedMembers => !FrameworkCodePaths.ForceSingleMemberGzip && s_readsMembers.Value;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_ended || count == 0)
            {
                return 0;
            }

            return _sentinel ? ReadHoldingMarker(buffer, offset, count) : ReadCheckingTrailer(buffer, offset, count);
        }

        private int ReadHoldingMarker(byte[] buffer, int offset, int count)
        {
            int markerLength = s_marker.Length;
            while (_end - _start <= markerLength)
            {
                Buffer.BlockCopy(_held, _start, _held, 0, _end - _start);
                _end -= _start;
                _start = 0;
                int n = Decompress(_held, _end, _held.Length - _end);
                if (n == 0)
                {
                    _ended = true;
                    if (_end != markerLength || !Matches(_held, 0, s_marker))
                    {
                        throw LayerInputException.Corrupt(
                            LayerCompression.Gzip,
                            "it ends before its compressed data is complete, or has bytes after the end of the gzip data.");
                    }

                    return 0;
                }

                _end += n;
            }

            int available = Math.Min(count, _end - _start - markerLength);
            Buffer.BlockCopy(_held, _start, buffer, offset, available);
            _start += available;
            return available;
        }

        private int ReadCheckingTrailer(byte[] buffer, int offset, int count)
        {
            int n = Decompress(buffer, offset, count);
            if (n > 0)
            {
                _crc = Crc32.Update(_crc, buffer, offset, n);
                _length += n;
                return n;
            }

            _ended = true;
            long memberEnd = _given.EndOfTrailer(_crc, unchecked((uint)_length));
            long inputLength = _given.Count;
            var rest = new byte[1 << 16];
            int read;
            while ((read = _source.Read(rest, 0, rest.Length)) > 0)
            {
                inputLength += read;
            }

            if (memberEnd != inputLength)
            {
                throw LayerInputException.Corrupt(
                    LayerCompression.Gzip,
                    "its first gzip member does not end where the input ends: it is truncated, has bytes after the end of the gzip data, or is made of several gzip members, which this runtime cannot read.");
            }

            return 0;
        }

        private int Decompress(byte[] buffer, int offset, int count)
        {
            try
            {
                return _gzip.Read(buffer, offset, count);
            }
            catch (InvalidDataException e)
            {
                throw LayerInputException.Corrupt(LayerCompression.Gzip, "its data fails gzip's checks (header, deflate data, CRC or length).", e);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _gzip.Dispose();
            }

            base.Dispose(disposing);
        }

        private static bool Matches(byte[] bytes, int offset, byte[] expected)
        {
            for (int i = 0; i < expected.Length; i++)
            {
                if (bytes[offset + i] != expected[i])
                {
                    return false;
                }
            }

            return true;
        }

        private static byte[] Gzip(byte[] content)
        {
            var output = new MemoryStream();
            using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(content, 0, content.Length);
            }

            return output.ToArray();
        }

        private static bool ProbeConcatenatedMembers()
        {
            byte[] one = Gzip(new byte[] { 1 });
            byte[] two = Gzip(new byte[] { 2 });
            var joined = new byte[one.Length + two.Length];
            Buffer.BlockCopy(one, 0, joined, 0, one.Length);
            Buffer.BlockCopy(two, 0, joined, one.Length, two.Length);
            using (var gzip = new GZipStream(new MemoryStream(joined), CompressionMode.Decompress))
            {
                var output = new byte[4];
                int total = 0;
                int n;
                while ((n = gzip.Read(output, total, output.Length - total)) > 0)
                {
                    total += n;
                }

                return total == 2 && output[0] == 1 && output[1] == 2;
            }
        }


        /// <summary>
        /// The input as the runtime's reader takes it, keeping the bytes of its latest read (and the 7 before them):
        /// a reader that stops at the end of the first member took that end, trailer included, in its latest read.
        /// </summary>
        private sealed class MemberEndFinder : ReadOnlyForwardStream
        {
            private const int TrailerLength = 8;
            private readonly Stream _input;
            private byte[] _window = new byte[TrailerLength - 1 + (1 << 16)];
            private int _windowLength;

            public MemberEndFinder(Stream input) => _input = input;

            /// <summary>Bytes handed to the reader so far.</summary>
            public long Count { get; private set; }

            public override int Read(byte[] buffer, int offset, int count)
            {
                int n = _input.Read(buffer, offset, count);
                if (n > 0)
                {
                    int kept = Math.Min(_windowLength, TrailerLength - 1);
                    if (_window.Length < kept + n)
                    {
                        Array.Resize(ref _window, kept + n);
                    }

                    Buffer.BlockCopy(_window, _windowLength - kept, _window, 0, kept);
                    Buffer.BlockCopy(buffer, offset, _window, kept, n);
                    _windowLength = kept + n;
                    Count += n;
                }

                return n;
            }

            /// <summary>Where in the input the first trailer for this CRC and length ends; -1 when the latest read holds none.</summary>
            public long EndOfTrailer(uint crc, uint length)
            {
                for (int i = 0; i + TrailerLength <= _windowLength; i++)
                {
                    if (UInt32LittleEndian(_window, i) == crc && UInt32LittleEndian(_window, i + 4) == length)
                    {
                        return Count - _windowLength + i + TrailerLength;
                    }
                }

                return -1;
            }

            private static uint UInt32LittleEndian(byte[] bytes, int offset) =>
                (uint)(bytes[offset] | bytes[offset + 1] << 8 | bytes[offset + 2] << 16 | bytes[offset + 3] << 24);
        }

        /// <summary>The input, then the sentinel member.</summary>
        private sealed class SentinelStream : ReadOnlyForwardStream
        {
            private readonly Stream _input;
            private readonly byte[] _sentinel;
            private int _sentinelPosition = -1;

            public SentinelStream(Stream input, byte[] sentinel)
            {
                _input = input;
                _sentinel = sentinel;
            }

            public override int Read(byte[] buffer, int offset, int count)
            {
                if (_sentinelPosition < 0)
                {
                    int n = _input.Read(buffer, offset, count);
                    if (n > 0 || count == 0)
                    {
                        return n;
                    }

                    _sentinelPosition = 0;
                }

                int m = Math.Min(count, _sentinel.Length - _sentinelPosition);
                Buffer.BlockCopy(_sentinel, _sentinelPosition, buffer, offset, m);
                _sentinelPosition += m;
                return m;
            }

        }
    }

    /// <summary>zstd through ZstdSharp, which checks each frame's checksum (when it has one) and the end of the input.</summary>
    internal sealed class CheckedZstdStream : ReadOnlyForwardStream
    {
        private readonly DecompressionStream _zstd;

        public CheckedZstdStream(Stream source) =>
            _zstd = new DecompressionStream(source, bufferSize: 0, checkEndOfStream: true, leaveOpen: true);

        public override int Read(byte[] buffer, int offset, int count)
        {
            try
            {
                return _zstd.Read(buffer, offset, count);
            }
            catch (EndOfStreamException e)
            {
                throw LayerInputException.Corrupt(LayerCompression.Zstd, "it ends in the middle of a zstd frame.", e);
            }
            catch (ZstdException e)
            {
                throw LayerInputException.Corrupt(
                    LayerCompression.Zstd,
                    "the zstd decoder reports \"" + e.Message + "\" (damaged data, a checksum mismatch, or bytes after the last frame).",
                    e);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _zstd.Dispose();
            }

            base.Dispose(disposing);
        }

    }
}
