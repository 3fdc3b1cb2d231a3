using System;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Compression;
using StreamLayer.Pipeline;

namespace StreamLayer.Layers
{
    /// <summary>
    /// One layer, from its first input byte to the end of its sink, and the one owner of its outcome.
    /// <para>
    /// The caller's thread writes the input (<see cref="WriteByte"/>, <see cref="Write"/>, <see cref="ReadFrom"/>,
    /// then <see cref="Complete"/>); the stages run on their own threads: read → hash (DiffId) → compress → hash and
    /// count (Digest, Size) → sink. Every stage reports a failure here. The first one is the root: every stage
    /// stops, the producer's next call and the sink's next read throw it, the sink undoes what it started, and
    /// <see cref="Completion"/> ends with it.
    /// </para>
    /// </summary>
    internal sealed class LayerOperation : IDisposable
    {
        /// <summary>How long a failed layer's sink is given to undo what it started (delete the upload, the file).</summary>
        public static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(10);

        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly CancellationTokenRegistration _callerStop;
        private readonly BlockWriter _writer;
        private readonly BlobReader _reader;
        private Exception _failure;
        private int _disposed;

        /// <param name="options">How to compress; checked here (a <see cref="LayerOptionsException"/> names what cannot be used).</param>
        /// <param name="sink">Where the blob goes; it starts reading at once, on a task of its own.</param>
        /// <param name="source">Where the input comes from, for messages.</param>
        /// <param name="cancellationToken">Stops the layer (Ctrl+C): it fails with an <see cref="OperationCanceledException"/>.</param>
        public LayerOperation(LayerOptions options, ILayerSink sink, LayerSource source = null, CancellationToken cancellationToken = default)
            : this((options ?? throw new ArgumentNullException(nameof(options))).Check(), sink, source, cancellationToken)
        {
        }

        /// <param name="settings">Options already checked, as a <see cref="LayerRun"/> has them.</param>
        public LayerOperation(LayerSettings settings, ILayerSink sink, LayerSource source = null, CancellationToken cancellationToken = default)
        {
            if (settings == null)
            {
                throw new ArgumentNullException(nameof(settings));
            }

            if (sink == null)
            {
                throw new ArgumentNullException(nameof(sink));
            }

            Source = source ?? LayerSource.LooseBytes;
            CancellationToken stopped = _stop.Token;
            var pool = new BlockPool(BlockCompressor.BlockSizeFor(settings.Compression));
            _writer = new BlockWriter(pool, first => LayerRoute.Choose(first, settings, pool, Fail, stopped));
            _reader = new BlobReader(_writer, stopped);
            _callerStop = cancellationToken.Register(() => Fail(new OperationCanceledException(cancellationToken)));
            Completion = RunSinkAsync(sink, cancellationToken);
        }

        public LayerSource Source { get; }

        /// <summary>The layer once its sink has kept the whole blob; otherwise the root failure.</summary>
        public Task<LayerDigest> Completion { get; }

        /// <summary>Input bytes accepted so far.</summary>
        public long BytesIn => _writer.BytesIn;

        /// <summary>Blob bytes the sink has taken so far.</summary>
        public long BytesOut => _reader.BytesRead;

        /// <summary>How the input itself was compressed (None for a plain tar); null until the first block is known.</summary>
        public LayerCompression? InputCompression =>
            _writer.Routed.Status == TaskStatus.RanToCompletion ? _writer.Routed.Result.InputCompression : (LayerCompression?)null;

        /// <summary>
        /// Accepts one byte: the hot path of PowerShell's one-object-per-byte pipeline. It learns of a failure only
        /// between blocks, so a caller writing byte by byte calls <see cref="ThrowIfFailed"/> now and then.
        /// </summary>
        public void WriteByte(byte value)
        {
            try
            {
                _writer.WriteByte(value);
            }
            catch (Exception e)
            {
                ThrowRoot(e);
                throw;
            }
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
            try
            {
                _writer.Write(buffer, offset, count);
            }
            catch (Exception e)
            {
                ThrowRoot(e);
                throw;
            }
        }

        /// <summary>Reads <paramref name="input"/> to its end into the layer; returns the bytes read. A failing read is the layer's root failure.</summary>
        public long ReadFrom(Stream input, Action<long> progress = null)
        {
            if (input == null)
            {
                throw new ArgumentNullException(nameof(input));
            }

            ThrowIfFailed();
            try
            {
                return _writer.ReadFrom(new FailingReads(input, Source), progress);
            }
            catch (Exception e)
            {
                ThrowRoot(e);
                throw;
            }
        }

        /// <summary>Marks the end of the input and returns <see cref="Completion"/>. An input of no bytes fails the layer.</summary>
        public Task<LayerDigest> Complete()
        {
            ThrowIfFailed();
            try
            {
                if (_writer.BytesIn == 0)
                {
                    throw LayerInputException.Empty(Source);
                }

                _writer.Complete();
            }
            catch (Exception e)
            {
                ThrowRoot(e);
                throw;
            }

            return Completion;
        }

        /// <summary>Stops the layer with <paramref name="error"/> unless it already failed; the first failure is the root.</summary>
        public void Fail(Exception error)
        {
            if (error == null)
            {
                throw new ArgumentNullException(nameof(error));
            }

            if (Interlocked.CompareExchange(ref _failure, error, null) == null)
            {
                _stop.Cancel();
            }
        }

        /// <summary>Throws the root failure, if there is one.</summary>
        public void ThrowIfFailed()
        {
            Exception failure = Volatile.Read(ref _failure);
            if (failure != null)
            {
                ExceptionDispatchInfo.Capture(failure).Throw();
            }
        }

        /// <summary>
        /// Ends the layer. One that did not complete is failed, and its sink is given <see cref="CleanupTimeout"/> to
        /// undo what it started before the stages' threads are stopped.
        /// </summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            if (!Completion.IsCompleted)
            {
                Fail(new OperationCanceledException("The layer was abandoned before it was complete."));
                ((IAsyncResult)Completion).AsyncWaitHandle.WaitOne(CleanupTimeout);
            }

            _callerStop.Dispose();
            if (_writer.Routed.Status == TaskStatus.RanToCompletion)
            {
                _writer.Routed.Result.Dispose();
            }

            _reader.Dispose();
        }

        /// <summary>Records <paramref name="error"/>; throws the root failure when that is another exception (the caller rethrows its own).</summary>
        private void ThrowRoot(Exception error)
        {
            Fail(error);
            Exception root = Volatile.Read(ref _failure);
            if (root != error)
            {
                ExceptionDispatchInfo.Capture(root).Throw();
            }
        }

        private async Task<LayerDigest> RunSinkAsync(ILayerSink sink, CancellationToken cancellationToken)
        {
            try
            {
                await Task.Run(() => sink.ConsumeAsync(new BlobSource(this), cancellationToken)).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Fail(e);
            }

            if (_reader.Layer == null)
            {
                Fail(new InvalidOperationException("The layer's sink stopped before the end of its blob."));
            }

            ThrowIfFailed();
            return _reader.Layer;
        }

        /// <summary>The blob as the sink sees it: every failure it meets is the layer's root failure.</summary>
        private sealed class BlobSource : IBlobSource
        {
            private readonly LayerOperation _layer;

            public BlobSource(LayerOperation layer) => _layer = layer;

            public LayerDigest Layer => _layer._reader.Layer
                ?? throw new InvalidOperationException("The layer is not computed until the end of its blob has been read.");

            public long BytesRead => _layer._reader.BytesRead;

            public async Task<ArraySegment<byte>> ReadAsync(CancellationToken cancellationToken)
            {
                _layer.ThrowIfFailed();
                try
                {
                    return await _layer._reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    _layer.ThrowRoot(e);
                    throw;
                }
            }
        }

        /// <summary>The input as the writer reads it: a failing read becomes a <see cref="LayerInputException"/> that names the input.</summary>
        private sealed class FailingReads : ReadOnlyForwardStream
        {
            private readonly Stream _input;
            private readonly LayerSource _source;

            public FailingReads(Stream input, LayerSource source)
            {
                _input = input;
                _source = source;
            }

            public override int Read(byte[] buffer, int offset, int count)
            {
                try
                {
                    return _input.Read(buffer, offset, count);
                }
                catch (ObjectDisposedException e)
                {
                    throw LayerInputException.ClosedWhileRead(_source, e);
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is NotSupportedException)
                {
                    throw LayerInputException.ReadFailed(_source, e);
                }
            }
        }
    }
}
