using System;
using System.IO;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;

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

        protected override string ProgressActivity => "Get-LayerDigest";

        protected override void BeginLayers()
        {
            if (OutFile != null)
            {
                _outFilePath = GetUnresolvedProviderPathFromPSPath(OutFile);
            }
        }

        protected override void CheckLayerCount(int count)
        {
            if (_outFilePath != null && count > 1)
            {
                throw CommandFailure.Create(
                    ErrorIds.OutFileMultipleLayers,
                    ErrorCategory.InvalidArgument,
                    OutFile,
                    "-OutFile holds one layer, but the input makes " + count + " or more. Run the command once per layer, each with its own -OutFile.");
            }
        }

        protected override Func<LayerEncoder, CancellationToken, Task> CreateConsumer(string path)
        {
            if (_outFilePath == null)
            {
                return LayerOperation.CopyTo(null);
            }

            FileStream file;
            try
            {
                file = new FileStream(_outFilePath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: false);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is NotSupportedException)
            {
                throw OutFileFailure(e);
            }

            Func<LayerEncoder, CancellationToken, Task> copy = LayerOperation.CopyTo(file);
            return async (encoder, cancellationToken) =>
            {
                using (file)
                {
                    try
                    {
                        await copy(encoder, cancellationToken).ConfigureAwait(false);
                    }
                    catch (IOException e) when (encoder.Failure == null)
                    {
                        throw OutFileFailure(e);
                    }
                }
            };
        }

        protected override void OnLayerFailed()
        {
            if (_outFilePath != null)
            {
                try
                {
                    File.Delete(_outFilePath);
                }
                catch (IOException e)
                {
                    WriteWarning("Could not remove the incomplete file '" + _outFilePath + "': " + e.Message);
                }
            }
        }

        protected override object CreateOutput(LayerDigest layer) => layer;

        private CommandFailure OutFileFailure(Exception e) => CommandFailure.Create(
            ErrorIds.OutFileWriteFailed,
            ErrorCategory.WriteError,
            OutFile,
            "Cannot write the layer to '" + _outFilePath + "': " + e.Message,
            e);
    }
}
