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

        internal override ILayerSink CreateSink(string path)
        {
            if (_outFilePath == null)
            {
                return new StreamSink(null);
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

            return new OutFileSink(file, OutFileFailure);
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
    
        /// <summary>The blob into the -OutFile; a failure to write names the file.</summary>
        private sealed class OutFileSink : ILayerSink
        {
            private readonly FileStream _file;
            private readonly Func<Exception, Exception> _writeFailure;

            public OutFileSink(FileStream file, Func<Exception, Exception> writeFailure)
            {
                _file = file;
                _writeFailure = writeFailure;
            }

            public async Task ConsumeAsync(IBlobSource source, CancellationToken cancellationToken)
            {
                using (_file)
                {
                    while (true)
                    {
                        ArraySegment<byte> segment = await source.ReadAsync(cancellationToken).ConfigureAwait(false);
                        if (segment.Count == 0)
                        {
                            break;
                        }

                        try
                        {
                            await _file.WriteAsync(segment.Array, segment.Offset, segment.Count, cancellationToken).ConfigureAwait(false);
                        }
                        catch (IOException e)
                        {
                            throw _writeFailure(e);
                        }
                    }

                    try
                    {
                        await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (IOException e)
                    {
                        throw _writeFailure(e);
                    }
                }
            }
        }
    }
}
