using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Sinks
{
    /// <summary>The blob into a stream the caller owns (stdout, memory), or nowhere when there is none: the layer's digests alone.</summary>
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
