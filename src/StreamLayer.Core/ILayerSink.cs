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

    /// <summary>
    /// Where the layers of one command go, and what that place holds: a registry repository (each layer its own
    /// upload), one file, nowhere (the digests alone). A new kind of destination is a new implementation.
    /// </summary>
    internal interface ILayerDestination
    {
        /// <summary>How messages name it: "localhost:5000/app"; null where the command's name says it all (one file, nowhere).</summary>
        string Target { get; }

        /// <summary>What happens to a blob's bytes there, for progress: "uploaded", "written", "compressed".</summary>
        string Verb { get; }

        /// <summary>What making a layer there is, for -WhatIf and -Confirm: "Push layer"; null where nobody is asked (the digests, the file the user named).</summary>
        string Action { get; }

        /// <summary>How many layers it holds: a file one, a repository any number.</summary>
        int MaxLayers { get; }

        /// <summary>Whether its layers stand or fall together (an image's): then one input that cannot make a layer stops them all.</summary>
        bool AllOrNothing { get; }

        /// <summary>Where one layer's blob goes. Called once per layer, before any of its input is read.</summary>
        ILayerSink OpenSink(LayerSource source);
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
