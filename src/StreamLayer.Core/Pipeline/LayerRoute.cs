using System;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Compression;

namespace StreamLayer.Pipeline
{
    /// <summary>
    /// What happens to a layer's input blocks between the producer and the sink, decided by the first block: a
    /// plain tar is compressed here (<see cref="CompressRoute"/>); gzip or zstd input is the blob as it is
    /// (<see cref="PassThroughRoute"/>), or is decompressed and compressed again (<see cref="RecompressRoute"/>).
    /// A new way to make a blob from input is a new route.
    /// </summary>
    internal abstract class LayerRoute : IDisposable
    {
        /// <summary>How the input itself was compressed: None for a plain tar.</summary>
        public abstract LayerCompression InputCompression { get; }

        public abstract string MediaType { get; }

        /// <summary>The tar's DiffId once the blob has been read to its end; null when the blob is the tar itself.</summary>
        public abstract string DiffId { get; }

        /// <summary>The tar's length once the blob has been read to its end.</summary>
        public abstract long TarLength { get; }

        /// <summary>
        /// Takes the next input block, in order, the final one last; waits while too many blocks are in flight.
        /// Throws <see cref="OperationCanceledException"/> once the layer stops.
        /// </summary>
        public abstract void Accept(Block block);

        /// <summary>The next piece of the blob, valid until the next call; an empty segment at the end.</summary>
        public abstract Task<ArraySegment<byte>> ReadAsync(CancellationToken cancellationToken);

        /// <summary>Stops the route's threads; called once the layer is over, whatever its outcome.</summary>
        public abstract void Dispose();

        /// <summary>The route for a layer whose first input block is <paramref name="first"/>.</summary>
        public static LayerRoute Choose(Block first, LayerSettings settings, BlockPool pool, Action<Exception> fail, CancellationToken stopped)
        {
            LayerCompression input = InputFormat.Detect(first.Raw, first.RawCount);
            if (input == LayerCompression.None)
            {
                return new CompressRoute(settings, pool, fail, stopped);
            }

            return settings.Recompress
                ? new RecompressRoute(input, settings, pool, fail, stopped)
                : (LayerRoute)new PassThroughRoute(input, settings, pool, fail, stopped);
        }

        protected static ArraySegment<byte> End => new ArraySegment<byte>(Array.Empty<byte>());
    }
}
