using System.Management.Automation;

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
        private string _outFilePath;

        /// <summary>Where to write the compressed layer blob; the file is removed again if the layer fails.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string OutFile { get; set; }

        internal override string ProgressActivity => "Get-LayerDigest";

        internal override string ProgressVerb => "compressed";

        internal override int MaxLayers => OutFile == null ? int.MaxValue : 1;

        protected override void BeginProcessing()
        {
            if (OutFile != null)
            {
                _outFilePath = GetUnresolvedProviderPathFromPSPath(OutFile);
            }

            base.BeginProcessing();
        }

        internal override ILayerSink OpenSink(LayerSource source) =>
            _outFilePath == null ? new StreamSink(null) : (ILayerSink)new FileSink(_outFilePath, Messages.Warning);

        internal override void WriteLayer(LayerDigest layer) => WriteObject(layer);
    }
}
