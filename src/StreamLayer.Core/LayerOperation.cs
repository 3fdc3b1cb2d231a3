using System;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer
{
    /// <summary>
    /// One layer in progress: the caller's thread writes the input into <see cref="Input"/> while a background
    /// task consumes the compressed blob (writes it to a file, uploads it). <see cref="Completion"/> gives the
    /// layer once the consumer has taken the whole blob, or the first failure of either side.
    /// </summary>
    public sealed class LayerOperation : IDisposable
    {
        private readonly CancellationTokenSource _cancellation;
        private readonly Task _consumer;

        public LayerOperation(LayerOptions options, Func<LayerEncoder, CancellationToken, Task> consumer, CancellationToken cancellationToken = default)
        {
            if (consumer == null)
            {
                throw new ArgumentNullException(nameof(consumer));
            }

            _cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Input = new LayerEncoder(options, _cancellation.Token);
            _consumer = Task.Run(() => consumer(Input, _cancellation.Token));
            Completion = FinishAsync();
        }

        /// <summary>Where the producer writes the layer's uncompressed bytes; call Complete at the end.</summary>
        public LayerEncoder Input { get; }

        /// <summary>The layer, or the root failure: the first error of the producer, the encoder or the consumer.</summary>
        public Task<LayerDigest> Completion { get; }

        /// <summary>Stops the layer because of a problem on the producer's side; the consumer sees it and cleans up.</summary>
        public void Fail(Exception error) => Input.Fail(error);

        /// <summary>A consumer that writes the blob to <paramref name="destination"/>, or only reads it when that is null.</summary>
        public static Func<LayerEncoder, CancellationToken, Task> CopyTo(Stream destination) => async (encoder, cancellationToken) =>
        {
            while (true)
            {
                ArraySegment<byte> segment = await encoder.ReadSegmentAsync(cancellationToken).ConfigureAwait(false);
                if (segment.Count == 0)
                {
                    break;
                }

                if (destination != null)
                {
                    await destination.WriteAsync(segment.Array, segment.Offset, segment.Count, cancellationToken).ConfigureAwait(false);
                }
            }

            if (destination != null)
            {
                await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        };

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
                await _consumer.ConfigureAwait(false);
            }
            catch (Exception error)
            {
                Input.Fail(error);
                ExceptionDispatchInfo.Capture(Input.Failure).Throw();
            }

            LayerDigest result = Input.Result;
            if (result == null)
            {
                var error = new InvalidOperationException("The layer's consumer stopped before the end of the blob.");
                Input.Fail(error);
                ExceptionDispatchInfo.Capture(Input.Failure).Throw();
            }

            return result;
        }
    }
}
