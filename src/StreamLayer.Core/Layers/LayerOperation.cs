using System;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer
{
    /// <summary>
    /// One layer in progress: the caller's thread writes the input into <see cref="Input"/> while a background
    /// task runs the sink, which reads the compressed blob (writes it to a file, uploads it). <see cref="Completion"/>
    /// gives the layer once the sink has taken the whole blob, or the first failure of either side.
    /// </summary>
    public sealed class LayerOperation : IDisposable
    {
        private readonly CancellationTokenSource _cancellation;
        private readonly Task _sink;
        private readonly EncoderBlobSource _source;

        internal LayerOperation(LayerOptions options, ILayerSink sink, CancellationToken cancellationToken = default)
        {
            if (sink == null)
            {
                throw new ArgumentNullException(nameof(sink));
            }

            _cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Input = new LayerEncoder(options, _cancellation.Token);
            _source = new EncoderBlobSource(Input);
            _sink = Task.Run(() => sink.ConsumeAsync(_source, _cancellation.Token));
            Completion = FinishAsync();
        }

        /// <summary>Where the producer writes the layer's uncompressed bytes; call Complete at the end.</summary>
        public LayerEncoder Input { get; }

        /// <summary>The layer, or the root failure: the first error of the producer, the encoder or the sink.</summary>
        public Task<LayerDigest> Completion { get; }

        /// <summary>Blob bytes the sink has taken so far.</summary>
        public long BytesOut => _source.BytesRead;

        /// <summary>Stops the layer because of a problem on the producer's side; the sink sees it and cleans up.</summary>
        public void Fail(Exception error) => Input.Fail(error);

        public void Dispose()
        {
            if (!Completion.IsCompleted)
            {
                Input.Fail(new OperationCanceledException("The layer was abandoned before it was complete."));
                _cancellation.Cancel();
            }

            Input.Dispose();
            _cancellation.Dispose();
        }

        private async Task<LayerDigest> FinishAsync()
        {
            try
            {
                await _sink.ConfigureAwait(false);
            }
            catch (Exception error)
            {
                Input.Fail(error);
                ExceptionDispatchInfo.Capture(Input.Failure).Throw();
            }

            LayerDigest result = Input.Result;
            if (result == null)
            {
                var error = new InvalidOperationException("The layer's sink stopped before the end of the blob.");
                Input.Fail(error);
                ExceptionDispatchInfo.Capture(Input.Failure).Throw();
            }

            return result;
        }

        /// <summary>The encoder's blob for a sink; every read throws the encoder's root failure once there is one.</summary>
        private sealed class EncoderBlobSource : IBlobSource
        {
            private readonly LayerEncoder _encoder;
            private long _read;

            public EncoderBlobSource(LayerEncoder encoder) => _encoder = encoder;

            public LayerDigest Layer => _encoder.Result ?? throw new InvalidOperationException("The layer is not computed until its whole blob has been read.");

            public long BytesRead => Interlocked.Read(ref _read);

            public async Task<ArraySegment<byte>> ReadAsync(CancellationToken cancellationToken)
            {
                ArraySegment<byte> segment;
                try
                {
                    segment = await _encoder.ReadSegmentAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception) when (_encoder.Failure != null)
                {
                    ExceptionDispatchInfo.Capture(_encoder.Failure).Throw();
                    throw;
                }

                Interlocked.Add(ref _read, segment.Count);
                return segment;
            }
        }
    }

    /// <summary>A sink that writes the blob to a stream, or only reads it when there is none.</summary>
    internal sealed class StreamSink : ILayerSink
    {
        private readonly Stream _destination;

        public StreamSink(Stream destination) => _destination = destination;

        public async Task ConsumeAsync(IBlobSource source, CancellationToken cancellationToken)
        {
            while (true)
            {
                ArraySegment<byte> segment = await source.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (segment.Count == 0)
                {
                    break;
                }

                if (_destination != null)
                {
                    await _destination.WriteAsync(segment.Array, segment.Offset, segment.Count, cancellationToken).ConfigureAwait(false);
                }
            }

            if (_destination != null)
            {
                await _destination.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
