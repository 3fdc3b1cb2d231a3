using System;
using System.Threading;

namespace StreamLayer
{
    /// <summary>
    /// The layers one command makes, in order, and the rules between them: loose bytes (one by one, or in arrays)
    /// make one layer together; each whole stream or file makes a layer of its own; the two are never mixed; and a
    /// destination may hold at most so many layers (a single file holds one).
    /// </summary>
    internal sealed class LayerRun : IDisposable
    {
        private readonly LayerOptions _options;
        private readonly Func<LayerSource, ILayerSink> _openSink;
        private readonly CancellationToken _cancellationToken;
        private bool _sawWholeLayer;

        /// <param name="openSink">Where each layer's blob goes; called once per layer, before any of its input is read.</param>
        public LayerRun(LayerOptions options, Func<LayerSource, ILayerSink> openSink, int maxLayers, CancellationToken cancellationToken)
        {
            options.Validate();
            _options = options.Clone();
            _openSink = openSink;
            MaxLayers = maxLayers;
            _cancellationToken = cancellationToken;
        }

        public int MaxLayers { get; }

        /// <summary>Layers started so far.</summary>
        public int Count { get; private set; }

        /// <summary>Whether any input arrived at all, including input whose layer was declined (-WhatIf).</summary>
        public bool SawInput => Count > 0 || LooseBytesDeclined || _sawWholeLayer;

        /// <summary>The layer of loose bytes, open from its first byte until <see cref="TakeLooseBytes"/>; null when there is none.</summary>
        public LayerOperation LooseBytes { get; private set; }

        /// <summary>Checks, before anything is read, that <paramref name="layers"/> more layers fit the destination.</summary>
        public void Expect(int layers)
        {
            if (Count + layers > MaxLayers)
            {
                throw LayerInputException.TooMany(MaxLayers, Count + layers);
            }
        }

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

            Expect(1);
            if (!shouldStart(LayerSource.LooseBytes))
            {
                LooseBytesDeclined = true;
                return null;
            }

            LooseBytes = Start(LayerSource.LooseBytes);
            return LooseBytes;
        }

        /// <summary>Checks that a whole stream or file may make the next layer, before anything of it is read.</summary>
        public void Admit(LayerSource source)
        {
            if (LooseBytes != null)
            {
                throw LayerInputException.Mixed();
            }

            _sawWholeLayer = true;
            Expect(1);
        }

        /// <summary>A layer of its own for a whole stream or file; the caller reads it and completes it.</summary>
        public LayerOperation StartWhole(LayerSource source)
        {
            Admit(source);
            return Start(source);
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

        private LayerOperation Start(LayerSource source)
        {
            Count++;
            return new LayerOperation(_options, _openSink(source), source, _cancellationToken);
        }
    }
}
