using System;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Layouts
{
    /// <summary>
    /// An OCI image layout as the place of a command's layers: each layer its own blob, as many as the input makes.
    /// Layers alone leave index.json as it is (a blob no manifest lists); an image's manifest lists them (<see cref="LayoutImageTarget"/>).
    /// </summary>
    internal sealed class LayoutDestination : ILayerDestination
    {
        /// <param name="forImage">Whether the layers make one image (-Tag): then they stand or fall together.</param>
        public LayoutDestination(ImageLayout layout, bool forImage)
        {
            Layout = layout;
            AllOrNothing = forImage;
        }

        public ImageLayout Layout { get; }

        public string Target => Layout.Name;

        public string Verb => "written";

        public string Action => "Write layer";

        public int MaxLayers => int.MaxValue;

        public bool AllOrNothing { get; }

        public ILayerSink OpenSink(LayerSource source) => new LayoutSink(Layout);

        /// <summary>The layer object of a blob written to the layout: no registry, the layout as its repository.</summary>
        public PushedLayer PushedLayerOf(LayerDigest layer) => new PushedLayer(
            layer.Digest,
            layer.DiffId,
            layer.Size,
            layer.UncompressedSize,
            layer.MediaType,
            layer.Path,
            null,
            Layout.Name,
            Layout.Name + "@" + layer.Digest);
    }

    /// <summary>One layer's blob into the layout: a temporary file while it is produced, renamed to its digest at the end, removed on any failure.</summary>
    internal sealed class LayoutSink : ILayerSink
    {
        private readonly LayoutBlob _blob;

        /// <summary>The temporary file is created here, so a layout that cannot be written fails before any input is read.</summary>
        public LayoutSink(ImageLayout layout) => _blob = layout.CreateBlob();

        public async Task ConsumeAsync(IBlobSource source, CancellationToken cancellationToken)
        {
            using (_blob)
            {
                ArraySegment<byte> segment;
                while ((segment = await source.ReadAsync(cancellationToken).ConfigureAwait(false)).Count > 0)
                {
                    await _blob.WriteAsync(segment.Array, segment.Offset, segment.Count, cancellationToken).ConfigureAwait(false);
                }

                LayerDigest layer = source.Layer;
                _blob.Commit(layer.Digest, layer.Size);
            }
        }
    }
}
