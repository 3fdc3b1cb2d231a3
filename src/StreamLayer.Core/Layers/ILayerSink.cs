using System;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer
{
    /// <summary>
    /// Where a layer's blob goes: a registry upload, a file, nowhere. A new destination (an OCI layout on disk,
    /// stdout) is a new sink; nothing else changes.
    /// </summary>
    internal interface ILayerSink
    {
        /// <summary>
        /// Takes the blob from <paramref name="source"/> to its end and keeps it. When anything fails (a read from
        /// the source, which then throws the layer's root failure, or the sink's own work) the sink undoes what it
        /// started (cancels the upload session, removes the partial file) before its task ends with the exception.
        /// </summary>
        /// <param name="cancellationToken">Cancelled when the caller stops (Ctrl+C); the source wakes on its own on any failure.</param>
        Task ConsumeAsync(IBlobSource source, CancellationToken cancellationToken);
    }

    /// <summary>A layer's compressed blob as it is produced, read once, in order, by one sink.</summary>
    internal interface IBlobSource
    {
        /// <summary>
        /// The next piece of the blob, valid until the next call; an empty segment at the end. Throws the layer's
        /// root failure (bad input, Ctrl+C, a failure of the sink itself) as soon as there is one.
        /// </summary>
        Task<ArraySegment<byte>> ReadAsync(CancellationToken cancellationToken);

        /// <summary>The layer's digests and sizes. Throws <see cref="InvalidOperationException"/> until the end of the blob has been read.</summary>
        LayerDigest Layer { get; }

        /// <summary>Blob bytes handed to the sink so far.</summary>
        long BytesRead { get; }
    }
}
