using System.Management.Automation;
using StreamLayer.Sinks;

namespace StreamLayer.Commands
{
    /// <summary>
    /// Computes a layer's Digest, DiffId and sizes from a tar in one pass, without pushing it; optionally writes
    /// the compressed blob to a file as it is produced.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "LayerDigest", DefaultParameterSetName = InputObjectSet)]
    [OutputType(typeof(LayerDigest))]
    public sealed class GetLayerDigestCommand : LayerCommand
    {
        /// <summary>Where to write the compressed layer blob; the file is removed again if the layer fails.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string OutFile { get; set; }

        internal override ILayerDestination OpenDestination() =>
            OutFile == null ? new DigestOnly() : (ILayerDestination)new FileDestination(GetUnresolvedProviderPathFromPSPath(OutFile), Messages.Warning);

        internal override void WriteLayer(LayerDigest layer) => WriteObject(layer);
    }
}
