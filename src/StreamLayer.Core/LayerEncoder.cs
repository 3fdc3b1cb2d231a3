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
    /// Turns tar bytes into a layer blob in one pass. One producer writes the input (<see cref="WriteByte"/>,
    /// <see cref="Write"/>, <see cref="ReadFrom"/>, then <see cref="Complete"/>); worker threads compress
    /// fixed-size blocks; one consumer reads the blob in order from <see cref="CompressedStream"/> (or
    /// <see cref="ReadSegmentAsync"/>), and its reading hashes the DiffId and the Digest. A bounded number of
    /// blocks is in flight, so memory does not grow with the layer, and a slow consumer slows the producer down.
    /// <para>
    /// Input that is already gzip or zstd (recognised by its first bytes) is, by default, the blob as it is: a
    /// decompression thread checks it and hashes the DiffId, and the blob's end reaches the consumer only once the
    /// whole input has checked out. With <see cref="LayerOptions.Recompress"/> the decompressed input is compressed
    /// again by an inner encoder instead.
    /// </para>
    /// </summary>
    public sealed class LayerEncoder : IDisposable
    {
        private readonly LayerOptions _options;
        private readonly bool _detectCompressedInput;
        private readonly BlockCompressor _compressor;
        private readonly int _blockSize;
        private readonly CancellationTokenSource _abort = new CancellationTokenSource();
        private readonly TaskCompletionSource<bool> _aborted = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<bool> _routed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenRegistration _callerCancellation;
        private readonly BlockingCollection<Block> _work = new BlockingCollection<Block>();
        private readonly Queue<Block> _ordered = new Queue<Block>();
        private readonly SemaphoreSlim _orderedCount = new SemaphoreSlim(0);
        private readonly ConcurrentBag<byte[]> _rawPool = new ConcurrentBag<byte[]>();
        private readonly ConcurrentBag<BlockBuffer> _outputPool = new ConcurrentBag<BlockBuffer>();
        private readonly SHA256 _diffIdHash = SHA256.Create();
        private readonly SHA256 _digestHash = SHA256.Create();

        // Decided by the first block: what the input is and so where its blocks go.
        private Route _route;
        private LayerCompression? _inputCompression;
        private string _mediaType;
        private SemaphoreSlim _inFlight;
        private Thread[] _workers = Array.Empty<Thread>();
        private InputDecompressor _decompressor;
        private LayerEncoder _reencoder;

        // Passthrough: what the decompression thread found.
        private string _decompressedDiffId;
        private long _decompressedLength;

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
            : this(options, cancellationToken, detectCompressedInput: true)
        {
        }

        private LayerEncoder(LayerOptions options, CancellationToken cancellationToken, bool detectCompressedInput)
        {
            if (options == null)
            {
                throw new ArgumentNullException(nameof(options));
            }

            options.Validate();
            _options = options.Clone();
            _detectCompressedInput = detectCompressedInput;
            _compressor = BlockCompressor.Create(options.Compression, options.EffectiveLevel);
            _blockSize = _compressor.BlockSize;
            _block = RentRaw();

            _callerCancellation = cancellationToken.Register(() => Fail(new OperationCanceledException(cancellationToken)));
            CompressedStream = new EncodedStream(this);
        }

        /// <summary>The compressed blob, in order. Reading it to its end completes <see cref="Result"/>.</summary>
        public System.IO.Stream CompressedStream { get; }

        /// <summary>Uncompressed bytes accepted so far.</summary>
        public long BytesIn => Volatile.Read(ref _dispatched) + _filled;

        /// <summary>Compressed bytes handed to the consumer so far.</summary>
        public long BytesOut => Volatile.Read(ref _reencoder)?.BytesOut ?? Volatile.Read(ref _size);

        /// <summary>
        /// How the input itself was compressed, as its first bytes tell (None for a plain tar); null until the
        /// first block is complete.
        /// </summary>
        public LayerCompression? InputCompression => _routed.Task.IsCompleted ? _inputCompression : null;

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
            if (_filled < _blockSize)
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
                if (_filled == _blockSize)
                {
                    StartNextBlock();
                }

                int n = Math.Min(count, _blockSize - _filled);
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
                if (_filled == _blockSize)
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
                    n = input.Read(_block, _filled, _blockSize - _filled);
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
                _abort.Cancel(); // also stops the inner encoder of a recompressed input
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
                    case ReadStage.Route:
                        await WhenRoutedAsync(cancellationToken).ConfigureAwait(false);
                        ThrowIfFailed();
                        _stage = _route == Route.Recompress ? ReadStage.Reencoded : ReadStage.Header;
                        break;

                    case ReadStage.Reencoded:
                        ArraySegment<byte> reencoded = await _reencoder.ReadSegmentAsync(cancellationToken).ConfigureAwait(false);
                        if (reencoded.Count == 0)
                        {
                            _stage = ReadStage.Done;
                            Volatile.Write(ref _result, _reencoder.Result);
                        }

                        return reencoded;

                    case ReadStage.Header:
                        _stage = ReadStage.Blocks;
                        byte[] header = _route == Route.Compress ? _compressor.Header : Array.Empty<byte>();
                        if (header.Length > 0)
                        {
                            return Emit(header, 0, header.Length);
                        }

                        break;

                    case ReadStage.Blocks:
                        Block block = await NextCompressedBlockAsync(cancellationToken).ConfigureAwait(false);
                        if (_route == Route.Compress)
                        {
                            if (!_compressor.IsIdentity)
                            {
                                _diffIdHash.TransformBlock(block.Raw, 0, block.RawCount, null, 0);
                            }

                            _compressor.Ordered(block);
                            _uncompressed += block.RawCount;
                        }

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
                        byte[] trailer = _route == Route.Compress ? _compressor.Trailer(_uncompressed) : Array.Empty<byte>();
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

            _decompressor?.Dispose();
            _reencoder?.Dispose();
            _compressor.Dispose();
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
            if (_route == Route.Undecided)
            {
                try
                {
                    ChooseRoute();
                }
                catch (Exception e)
                {
                    Fail(e);
                    throw;
                }
            }

            var block = new Block { Raw = _block, RawCount = _filled, Final = final };
            try
            {
                _inFlight.Wait(_abort.Token);
            }
            catch (OperationCanceledException)
            {
                ThrowIfFailed();
                throw;
            }

            switch (_route)
            {
                case Route.Compress when _compressor.IsIdentity:
                    // Nothing to compute: the block is its own output, without a copy or a worker.
                    block.Compressed = NewCompletion();
                    _compressor.Compress(block);
                    block.Compressed.TrySetResult(true);
                    EnqueueOrdered(block);
                    break;

                case Route.Compress:
                    block.Output = RentOutput();
                    block.Compressed = NewCompletion();
                    EnqueueOrdered(block);
                    _work.Add(block);
                    break;

                case Route.PassThrough:
                    // The input is the blob; the block may go out once the decompressor is past it.
                    block.Data = block.Raw;
                    block.DataCount = block.RawCount;
                    block.Compressed = NewCompletion();
                    EnqueueOrdered(block);
                    _decompressor.Feed(block);
                    break;

                default:
                    _decompressor.Feed(block);
                    break;
            }

            Volatile.Write(ref _dispatched, _dispatched + _filled);
            _filled = 0;
        }

        /// <summary>Looks at the first block (so at no cost per byte) and sets the encoder up for what the input is.</summary>
        private void ChooseRoute()
        {
            LayerCompression input = _detectCompressedInput ? InputFormat.Detect(_block, _filled) : LayerCompression.None;
            if (input == LayerCompression.None)
            {
                _mediaType = MediaTypes.For(_options.Compression, _options.MediaType);
                int workers = _compressor.IsIdentity ? 0 : _compressor.IsParallel ? _options.MaxParallelism : 1;
                _inFlight = new SemaphoreSlim(2 * Math.Max(workers, 1) + 2);
                _workers = new Thread[workers];
                for (int i = 0; i < workers; i++)
                {
                    _workers[i] = new Thread(CompressBlocks) { IsBackground = true, Name = "StreamLayer compression " + i };
                    _workers[i].Start();
                }

                _route = Route.Compress;
            }
            else if (!_options.Recompress)
            {
                if (input == LayerCompression.Zstd && _options.MediaType == LayerMediaType.Docker)
                {
                    throw new LayerOptionsException(
                        "The input is zstd-compressed, and Docker's image format has no media type for zstd layers. Use the OCI media types, or recompress the input to gzip.",
                        nameof(LayerOptions.MediaType));
                }

                _mediaType = MediaTypes.For(input, _options.MediaType);

                // The decompressor holds a block until it reads the next one, and the consumer holds one it sends.
                _inFlight = new SemaphoreSlim(4);
                _decompressor = new InputDecompressor(input, HashDecompressed, MarkDecompressed, MarkDecompressed, Fail, _abort.Token);
                _route = Route.PassThrough;
            }
            else
            {
                // The inner encoder stops with this one: it watches this encoder's abort token.
                var inner = new LayerEncoder(_options, _abort.Token, detectCompressedInput: false);
                Volatile.Write(ref _reencoder, inner);
                _inFlight = new SemaphoreSlim(3);
                _decompressor = new InputDecompressor(
                    input,
                    decompressed => inner.ReadFrom(decompressed),
                    ReleaseInputBlock,
                    last =>
                    {
                        ReleaseInputBlock(last);
                        inner.Complete();
                    },
                    Fail,
                    _abort.Token);
                _route = Route.Recompress;
            }

            _inputCompression = input;
            _routed.TrySetResult(true);
        }

        /// <summary>Passthrough: the DiffId and uncompressed size come from decompressing the input, on the decompression thread.</summary>
        private void HashDecompressed(System.IO.Stream decompressed)
        {
            var buffer = new byte[1 << 18];
            long length = 0;
            int n;
            while ((n = decompressed.Read(buffer, 0, buffer.Length)) > 0)
            {
                _diffIdHash.TransformBlock(buffer, 0, n, null, 0);
                length += n;
            }

            _diffIdHash.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
            _decompressedDiffId = Sha256Digest.Format(_diffIdHash.Hash);
            _decompressedLength = length;
        }

        private static void MarkDecompressed(Block block) => block.Compressed.TrySetResult(true);

        /// <summary>Recompress: an input block the decompressor is done with goes back to the pool.</summary>
        private void ReleaseInputBlock(Block block)
        {
            _rawPool.Add(block.Raw);
            _inFlight.Release();
        }

        private void EnqueueOrdered(Block block)
        {
            lock (_ordered)
            {
                _ordered.Enqueue(block);
            }

            _orderedCount.Release();
        }

        private static TaskCompletionSource<bool> NewCompletion() =>
            new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        private async Task WhenRoutedAsync(CancellationToken cancellationToken)
        {
            if (_routed.Task.IsCompleted)
            {
                return;
            }

            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token))
            {
                var cancelled = new TaskCompletionSource<bool>();
                using (linked.Token.Register(() => cancelled.TrySetResult(true)))
                {
                    await Task.WhenAny(_routed.Task, cancelled.Task).ConfigureAwait(false);
                }
            }

            ThrowIfFailed();
            cancellationToken.ThrowIfCancellationRequested();
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
            string digest = Sha256Digest.Format(_digestHash.Hash);
            string diffId = digest;
            long uncompressed = _uncompressed;
            if (_route == Route.PassThrough)
            {
                diffId = _decompressedDiffId;
                uncompressed = _decompressedLength;
            }
            else if (!_compressor.IsIdentity)
            {
                _diffIdHash.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
                diffId = Sha256Digest.Format(_diffIdHash.Hash);
            }

            Volatile.Write(ref _result, new LayerDigest(digest, diffId, _size, uncompressed, _mediaType));
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
            if (block.Output != null)
            {
                _outputPool.Add(block.Output);
            }

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

        private byte[] RentRaw() => _rawPool.TryTake(out byte[] block) ? block : new byte[_blockSize];

        private BlockBuffer RentOutput() =>
            _outputPool.TryTake(out BlockBuffer output) ? output : new BlockBuffer(_blockSize + _blockSize / 16 + 64);

        private enum Route
        {
            /// <summary>Before the first block: the input's format is not known yet.</summary>
            Undecided,

            /// <summary>A plain tar, compressed here.</summary>
            Compress,

            /// <summary>Compressed input that is the blob as it is.</summary>
            PassThrough,

            /// <summary>Compressed input, decompressed and compressed again by an inner encoder.</summary>
            Recompress,
        }

        private enum ReadStage
        {
            Route,
            Reencoded,
            Header,
            Blocks,
            Trailer,
            Done,
        }
    }
}
