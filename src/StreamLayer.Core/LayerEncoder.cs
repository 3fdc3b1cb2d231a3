using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Compression;

namespace StreamLayer
{
    /// <summary>
    /// Turns uncompressed tar bytes into a compressed layer blob in one pass. One producer writes the input
    /// (<see cref="WriteByte"/>, <see cref="Write"/>, <see cref="ReadFrom"/>, then <see cref="Complete"/>);
    /// worker threads compress fixed-size blocks; one consumer reads the blob in order from
    /// <see cref="CompressedStream"/> (or <see cref="ReadSegmentAsync"/>), and its reading hashes the DiffId and
    /// the Digest. A bounded number of blocks is in flight, so memory does not grow with the layer, and a slow
    /// consumer slows the producer down.
    /// </summary>
    public sealed class LayerEncoder : IDisposable
    {
        private readonly BlockCompressor _compressor;
        private readonly string _mediaType;
        private readonly CancellationTokenSource _abort = new CancellationTokenSource();
        private readonly TaskCompletionSource<bool> _aborted = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenRegistration _callerCancellation;
        private readonly SemaphoreSlim _inFlight;
        private readonly BlockingCollection<Block> _work = new BlockingCollection<Block>();
        private readonly Queue<Block> _ordered = new Queue<Block>();
        private readonly SemaphoreSlim _orderedCount = new SemaphoreSlim(0);
        private readonly ConcurrentBag<byte[]> _rawPool = new ConcurrentBag<byte[]>();
        private readonly ConcurrentBag<BlockBuffer> _outputPool = new ConcurrentBag<BlockBuffer>();
        private readonly Thread[] _workers;
        private readonly SHA256 _diffIdHash = SHA256.Create();
        private readonly SHA256 _digestHash = SHA256.Create();

        // Producer state.
        private byte[] _block;
        private int _filled;
        private long _dispatched;
        private bool _completed;

        // Consumer state.
        private ReadStage _stage;
        private Block _current;
        private long _uncompressed;
        private long _size;
        private LayerDigest _result;

        private Exception _failure;
        private int _disposed;

        public LayerEncoder(LayerOptions options, CancellationToken cancellationToken = default)
        {
            if (options == null)
            {
                throw new ArgumentNullException(nameof(options));
            }

            options.Validate();
            _mediaType = options.MediaTypeName;
            int level = options.EffectiveLevel;
            _compressor = GzipBlockCompressor.IsSupported
                ? new GzipBlockCompressor(level)
                : (BlockCompressor)new SequentialGzipCompressor(level);

            int workers = _compressor.IsParallel ? options.MaxParallelism : 1;
            _inFlight = new SemaphoreSlim(2 * workers + 2);
            _block = RentRaw();

            _workers = new Thread[workers];
            for (int i = 0; i < workers; i++)
            {
                _workers[i] = new Thread(CompressBlocks) { IsBackground = true, Name = "StreamLayer compression " + i };
                _workers[i].Start();
            }

            _callerCancellation = cancellationToken.Register(() => Fail(new OperationCanceledException(cancellationToken)));
            CompressedStream = new EncodedStream(this);
        }

        /// <summary>The compressed blob, in order. Reading it to its end completes <see cref="Result"/>.</summary>
        public System.IO.Stream CompressedStream { get; }

        /// <summary>Uncompressed bytes accepted so far.</summary>
        public long BytesIn => Volatile.Read(ref _dispatched) + _filled;

        /// <summary>Compressed bytes handed to the consumer so far.</summary>
        public long BytesOut => Volatile.Read(ref _size);

        /// <summary>The layer's digests and sizes, once the consumer has read the whole blob; otherwise null.</summary>
        public LayerDigest Result => Volatile.Read(ref _result);

        /// <summary>The first failure from either side, or null.</summary>
        public Exception Failure => Volatile.Read(ref _failure);

        /// <summary>Completes when the encoder fails or is cancelled.</summary>
        public Task Aborted => _aborted.Task;

        /// <summary>
        /// Accepts one byte. The hot path for PowerShell's one-object-per-byte pipeline: it checks for failures
        /// only between blocks, so a caller writing byte by byte should look at <see cref="Failure"/> now and then.
        /// </summary>
        public void WriteByte(byte value)
        {
            if (_filled < LayerOptions.BlockSize)
            {
                _block[_filled++] = value;
                return;
            }

            StartNextBlock();
            _block[_filled++] = value;
        }

        public void Write(byte[] buffer, int offset, int count)
        {
            if (buffer == null)
            {
                throw new ArgumentNullException(nameof(buffer));
            }

            if (offset < 0 || count < 0 || count > buffer.Length - offset)
            {
                throw new ArgumentOutOfRangeException(nameof(count));
            }

            ThrowIfFailed();
            while (count > 0)
            {
                if (_filled == LayerOptions.BlockSize)
                {
                    StartNextBlock();
                }

                int n = Math.Min(count, LayerOptions.BlockSize - _filled);
                Buffer.BlockCopy(buffer, offset, _block, _filled, n);
                _filled += n;
                offset += n;
                count -= n;
            }
        }

        /// <summary>Reads a stream to its end straight into the encoder's blocks; returns the bytes read.</summary>
        public long ReadFrom(System.IO.Stream input, Action<long> progress = null)
        {
            if (input == null)
            {
                throw new ArgumentNullException(nameof(input));
            }

            EnsureWritable();
            long total = 0;
            while (true)
            {
                int n;
                if (_filled == LayerOptions.BlockSize)
                {
                    // Only more input makes a full block not the last one, so read ahead into a fresh block first.
                    byte[] next = RentRaw();
                    n = input.Read(next, 0, next.Length);
                    if (n == 0)
                    {
                        _rawPool.Add(next);
                        return total;
                    }

                    Dispatch(final: false);
                    _block = next;
                    _filled = n;
                }
                else
                {
                    n = input.Read(_block, _filled, LayerOptions.BlockSize - _filled);
                    if (n == 0)
                    {
                        return total;
                    }

                    _filled += n;
                }

                total += n;
                progress?.Invoke(total);
            }
        }

        /// <summary>Marks the end of the input. The consumer can then read the blob to its end.</summary>
        public void Complete()
        {
            EnsureWritable();
            Dispatch(final: true);
            _block = null;
            _completed = true;
        }

        /// <summary>Stops the encoder: both sides see <paramref name="error"/> (the first failure wins).</summary>
        public void Fail(Exception error)
        {
            if (error == null)
            {
                throw new ArgumentNullException(nameof(error));
            }

            if (Interlocked.CompareExchange(ref _failure, error, null) == null)
            {
                _aborted.TrySetResult(true);
                _abort.Cancel();
            }
        }

        /// <summary>
        /// The next piece of the blob, valid until the next call; an empty segment at the end. Consumers that
        /// can write an array segment directly (an HTTP body, a file) avoid a copy this way.
        /// </summary>
        public async Task<ArraySegment<byte>> ReadSegmentAsync(CancellationToken cancellationToken = default)
        {
            ReleaseCurrent();
            while (true)
            {
                ThrowIfFailed();
                switch (_stage)
                {
                    case ReadStage.Header:
                        _stage = ReadStage.Blocks;
                        byte[] header = _compressor.Header;
                        if (header.Length > 0)
                        {
                            return Emit(header, 0, header.Length);
                        }

                        break;

                    case ReadStage.Blocks:
                        Block block = await NextCompressedBlockAsync(cancellationToken).ConfigureAwait(false);
                        if (!_compressor.IsIdentity)
                        {
                            _diffIdHash.TransformBlock(block.Raw, 0, block.RawCount, null, 0);
                        }

                        _compressor.Ordered(block);
                        _uncompressed += block.RawCount;
                        _current = block;
                        if (block.Final)
                        {
                            _stage = ReadStage.Trailer;
                        }

                        if (block.DataCount > 0)
                        {
                            return Emit(block.Data, block.DataOffset, block.DataCount);
                        }

                        break;

                    case ReadStage.Trailer:
                        _stage = ReadStage.Done;
                        byte[] trailer = _compressor.Trailer(_uncompressed);
                        ArraySegment<byte> last = Emit(trailer, 0, trailer.Length);
                        Finish();
                        if (trailer.Length > 0)
                        {
                            return last;
                        }

                        break;

                    default:
                        return new ArraySegment<byte>(Array.Empty<byte>());
                }
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            if (_result == null)
            {
                Fail(new ObjectDisposedException(nameof(LayerEncoder)));
            }

            _work.CompleteAdding();
            _abort.Cancel();
            foreach (Thread worker in _workers)
            {
                worker.Join();
            }

            _callerCancellation.Dispose();
            _diffIdHash.Dispose();
            _digestHash.Dispose();
            _work.Dispose();
        }

        private void StartNextBlock()
        {
            EnsureWritable();
            Dispatch(final: false);
            _block = RentRaw();
            _filled = 0;
        }

        private void EnsureWritable()
        {
            ThrowIfFailed();
            if (_completed)
            {
                throw new InvalidOperationException("The layer's input is already complete.");
            }
        }

        private void Dispatch(bool final)
        {
            var block = new Block
            {
                Raw = _block,
                RawCount = _filled,
                Final = final,
                Output = RentOutput(),
                Compressed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously),
            };

            try
            {
                _inFlight.Wait(_abort.Token);
            }
            catch (OperationCanceledException)
            {
                ThrowIfFailed();
                throw;
            }

            lock (_ordered)
            {
                _ordered.Enqueue(block);
            }

            _orderedCount.Release();
            _work.Add(block);
            Volatile.Write(ref _dispatched, _dispatched + _filled);
            _filled = 0;
        }

        private void CompressBlocks()
        {
            try
            {
                foreach (Block block in _work.GetConsumingEnumerable(_abort.Token))
                {
                    try
                    {
                        _compressor.Compress(block);
                        block.Compressed.TrySetResult(true);
                    }
                    catch (Exception e)
                    {
                        block.Compressed.TrySetException(e);
                        Fail(e);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The encoder failed or was disposed; the consumer learns why from Failure.
            }
        }

        private async Task<Block> NextCompressedBlockAsync(CancellationToken cancellationToken)
        {
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token))
            {
                try
                {
                    await _orderedCount.WaitAsync(linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    ThrowIfFailed();
                    throw;
                }
            }

            Block block;
            lock (_ordered)
            {
                block = _ordered.Dequeue();
            }

            Task finished = await Task.WhenAny(block.Compressed.Task, _aborted.Task).ConfigureAwait(false);
            if (finished != block.Compressed.Task)
            {
                ThrowIfFailed();
            }

            await block.Compressed.Task.ConfigureAwait(false);
            return block;
        }

        private ArraySegment<byte> Emit(byte[] data, int offset, int count)
        {
            _digestHash.TransformBlock(data, offset, count, null, 0);
            Volatile.Write(ref _size, _size + count);
            return new ArraySegment<byte>(data, offset, count);
        }

        private void Finish()
        {
            _digestHash.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
            string digest = FormatDigest(_digestHash.Hash);
            string diffId = digest;
            if (!_compressor.IsIdentity)
            {
                _diffIdHash.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
                diffId = FormatDigest(_diffIdHash.Hash);
            }

            Volatile.Write(ref _result, new LayerDigest(digest, diffId, _size, _uncompressed, _mediaType));
        }

        private void ReleaseCurrent()
        {
            Block block = _current;
            if (block == null)
            {
                return;
            }

            _current = null;
            _rawPool.Add(block.Raw);
            _outputPool.Add(block.Output);
            _inFlight.Release();
        }

        private void ThrowIfFailed()
        {
            Exception failure = Volatile.Read(ref _failure);
            if (failure != null)
            {
                ExceptionDispatchInfo.Capture(failure).Throw();
            }
        }

        private byte[] RentRaw() => _rawPool.TryTake(out byte[] block) ? block : new byte[LayerOptions.BlockSize];

        private BlockBuffer RentOutput() =>
            _outputPool.TryTake(out BlockBuffer output) ? output : new BlockBuffer(LayerOptions.BlockSize + LayerOptions.BlockSize / 16 + 64);

        internal static string FormatDigest(byte[] hash)
        {
            var chars = new char[7 + hash.Length * 2];
            "sha256:".CopyTo(0, chars, 0, 7);
            const string hex = "0123456789abcdef";
            for (int i = 0; i < hash.Length; i++)
            {
                chars[7 + 2 * i] = hex[hash[i] >> 4];
                chars[8 + 2 * i] = hex[hash[i] & 15];
            }

            return new string(chars);
        }

        private enum ReadStage
        {
            Header,
            Blocks,
            Trailer,
            Done,
        }
    }
}
