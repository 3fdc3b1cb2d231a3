using System;
using System.Collections.Generic;
using System.Threading;

namespace StreamLayer.Layers
{
    /// <summary>
    /// The layers one command makes, in order, and the rules between them: loose bytes (one by one, or in arrays)
    /// make one layer together; each whole stream or file makes a layer of its own; the two are never mixed; a
    /// destination holds at most so many layers (a single file holds one); and an input that cannot make a layer
    /// ends only itself, unless the destination's layers stand or fall together.
    /// </summary>
    internal sealed class LayerRun : IDisposable
    {
        private readonly LayerSettings _settings;
        private readonly ILayerDestination _destination;
        private readonly CancellationToken _cancellationToken;
        private int _admitted;
        private bool _sawWholeLayer;

        /// <param name="options">Checked here, before any input: a <see cref="LayerOptionsException"/> names what cannot be used.</param>
        public LayerRun(LayerOptions options, ILayerDestination destination, CancellationToken cancellationToken)
        {
            _settings = options.Check();
            _destination = destination ?? throw new ArgumentNullException(nameof(destination));
            _cancellationToken = cancellationToken;
        }

        public ILayerDestination Destination => _destination;

        /// <summary>Layers started so far.</summary>
        public int Count { get; private set; }

        /// <summary>Whether any input arrived at all, including input whose layer was declined (-WhatIf).</summary>
        public bool SawInput => Count > 0 || LooseBytesDeclined || _sawWholeLayer;

        /// <summary>The layer of loose bytes, open from its first byte until <see cref="TakeLooseBytes"/>; null when there is none.</summary>
        public LayerOperation LooseBytes { get; private set; }

        /// <summary>Whether the layer of loose bytes was declined (-WhatIf, -Confirm): later bytes are dropped.</summary>
        public bool LooseBytesDeclined { get; private set; }

        /// <summary>
        /// The layer of loose bytes, started at the first of them when <paramref name="shouldStart"/> agrees; null
        /// when it did not (then and for every later byte).
        /// </summary>
        public LayerOperation StartLooseBytes(Func<LayerSource, bool> shouldStart)
        {
            if (LooseBytes != null || LooseBytesDeclined)
            {
                return LooseBytes;
            }

            if (_sawWholeLayer)
            {
                throw LayerInputException.Mixed();
            }

            EnsureRoom(1);
            if (!shouldStart(LayerSource.LooseBytes))
            {
                LooseBytesDeclined = true;
                return null;
            }

            LooseBytes = Start(LayerSource.LooseBytes);
            return LooseBytes;
        }

        /// <summary>
        /// Admits whole streams or files as the next layers, all of them before any is read: they may not follow
        /// loose bytes, and must fit the destination. Each is then started with <see cref="StartWhole"/> or declined.
        /// </summary>
        public void Admit(IReadOnlyCollection<LayerSource> sources)
        {
            if (sources.Count == 0)
            {
                return;
            }

            if (LooseBytes != null)
            {
                throw LayerInputException.Mixed();
            }

            _sawWholeLayer = true;
            EnsureRoom(_admitted + sources.Count);
            _admitted += sources.Count;
        }

        /// <summary>A layer of its own for an admitted stream or file; the caller reads it and completes it.</summary>
        public LayerOperation StartWhole(LayerSource source)
        {
            TakeAdmitted();
            return Start(source);
        }

        /// <summary>An admitted stream or file that makes no layer (-WhatIf, or it failed before it was read).</summary>
        public void Decline(LayerSource source) => TakeAdmitted();

        /// <summary>Whether <paramref name="error"/> ends only the input it came from, so that the next one may still make a layer.</summary>
        public bool EndsOnlyItsInput(Exception error)
        {
            if (_destination.AllOrNothing || !(error is LayerInputException input))
            {
                return false;
            }

            switch (input.Problem)
            {
                // One file or stream among several that cannot make a layer; the next one may.
                case LayerInputProblem.Empty:
                case LayerInputProblem.ReadFailed:
                case LayerInputProblem.Corrupt:
                case LayerInputProblem.NotTar:
                case LayerInputProblem.NotReadable:
                case LayerInputProblem.Closed:
                case LayerInputProblem.PathNotFound:
                case LayerInputProblem.PathNotFileSystem:
                case LayerInputProblem.PathIsDirectory:
                case LayerInputProblem.NotDirectory:
                case LayerInputProblem.EntryUnreadable:
                case LayerInputProblem.EntryNameInvalid:
                case LayerInputProblem.EntryChanged:
                case LayerInputProblem.EntryVanished:
                    return true;
                default:
                    return false;
            }
        }

        /// <summary>Hands the open layer of loose bytes to the caller to finish (or abandon); null when there is none.</summary>
        public LayerOperation TakeLooseBytes()
        {
            LayerOperation layer = LooseBytes;
            LooseBytes = null;
            return layer;
        }

        /// <summary>Abandons a layer of loose bytes still open: its sink cleans up.</summary>
        public void Dispose() => TakeLooseBytes()?.Dispose();

        /// <summary>The layer limit, checked here only: <paramref name="more"/> layers beyond those started must fit.</summary>
        private void EnsureRoom(int more)
        {
            if (Count + more > _destination.MaxLayers)
            {
                throw LayerInputException.TooMany(_destination.MaxLayers, Count + more);
            }
        }

        private void TakeAdmitted()
        {
            if (_admitted == 0)
            {
                throw new InvalidOperationException("A whole stream or file makes a layer only once it was admitted.");
            }

            _admitted--;
        }

        private LayerOperation Start(LayerSource source)
        {
            Count++;
            return new LayerOperation(_settings, _destination.OpenSink(source), source, _cancellationToken);
        }
    }
}
