using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Folders;
using StreamLayer.Layers;

namespace StreamLayer.Commands
{
    /// <summary>
    /// The parameters and the Begin/Process/End of every cmdlet that makes layers. The input forms (-Path,
    /// -LiteralPath, -InputStream, the pipeline's bytes, arrays, streams and files) become layers of one
    /// <see cref="LayerRun"/>; a derived cmdlet says where they go (its <see cref="ILayerDestination"/>) and what it
    /// writes out for each.
    /// </summary>
    public abstract class LayerCommand : StreamLayerCommand
    {
        protected const string PathSet = "Path";
        protected const string LiteralPathSet = "LiteralPath";
        protected const string InputObjectSet = "InputObject";
        protected const string InputStreamSet = "InputStream";
        protected const string DirectorySet = "Directory";

        private const long ByteByByteHintThreshold = 1L << 20;

        private LayerRun _run;
        private LayerProgress _progress;
        private FolderLayer _folders;

        // ParameterSetName is costly to read (an engine protection scope per call), so the hot path reads this.
        private bool _fromPipeline;

        // The hot path of one-object-per-byte input: the open layer of loose bytes, and how many bytes came so.
        private LayerOperation _looseBytes;

        // The layer of a whole file or stream being made, for the SIGTERM handler (another thread) to wait on.
        private volatile LayerOperation _wholeLayer;
        private long _byteRecords;
        private bool _byteHintShown;

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; }

        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
        [Alias("PSPath", "LP")]
        [ValidateNotNullOrEmpty]
        public string[] LiteralPath { get; set; }

        [Parameter(ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
        [AllowNull]
        [AllowEmptyString]
        [AllowEmptyCollection]
        public object InputObject { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = InputStreamSet)]
        [ValidateNotNull]
        public Stream InputStream { get; set; }

        /// <summary>Folders, each made into a layer of its own: the core writes their tar, reproducibly.</summary>
        [Parameter(Mandatory = true, ParameterSetName = DirectorySet)]
        [ValidateNotNullOrEmpty]
        public string[] Directory { get; set; }

        /// <summary>Folder layers: where the folder's tree goes in the layer (/app); the root when not given.</summary>
        [Parameter(ParameterSetName = DirectorySet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [ValidateNotNullOrEmpty]
        public string Prefix { get; set; }

        /// <summary>Folder layers: wildcard patterns of paths in the folder to leave out, as .dockerignore reads them.</summary>
        [Parameter(ParameterSetName = DirectorySet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Exclude { get; set; }

        /// <summary>Folder layers: wildcard patterns of files to store as executable (0755), beyond those with an execute bit.</summary>
        [Parameter(ParameterSetName = DirectorySet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Executable { get; set; }

        /// <summary>Folder layers: paths in the image the layer deletes from the layers below it (OCI whiteouts).</summary>
        [Parameter(ParameterSetName = DirectorySet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [ValidateNotNullOrEmpty]
        public string[] Delete { get; set; }

        /// <summary>Folder layers: the time of every entry, in seconds since 1970; else SOURCE_DATE_EPOCH; else 0.</summary>
        [Parameter(ParameterSetName = DirectorySet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [ValidateRange(0L, 253402300799L)]
        public long SourceDateEpoch { get; set; }

        [Parameter]
        public LayerCompression Compression { get; set; } = LayerCompression.Gzip;

        [Parameter]
        [CompressionLevelTransformation]
        [ArgumentCompleter(typeof(CompressionLevelCompleter))]
        public int CompressionLevel { get; set; }

        [Parameter]
        public LayerMediaType MediaType { get; set; }

        /// <summary>Decompresses gzip or zstd input and compresses it again, instead of taking it as the blob as it is.</summary>
        [Parameter]
        public SwitchParameter Recompress { get; set; }

        [Parameter]
        [ValidateRange(1, 1024)]
        public int ThrottleLimit { get; set; } = Environment.ProcessorCount;

        internal override Task PendingWork => (_wholeLayer ?? _run?.LooseBytes)?.Completion ?? base.PendingWork;

        /// <summary>The media type family when -MediaType is not given; null: the format's (Docker's for gzip). Read before <see cref="OpenDestination"/>.</summary>
        internal virtual LayerMediaType? DefaultMediaType => null;

        /// <summary>Where this command's layers go. Called once, in BeginProcessing, after the derived command's own checks.</summary>
        internal abstract ILayerDestination OpenDestination();

        /// <summary>Writes out (or keeps) a finished layer.</summary>
        internal abstract void WriteLayer(LayerDigest layer);

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            _fromPipeline = ParameterSetName == InputObjectSet;
            Run(() =>
            {
                var options = new LayerOptions { Compression = Compression, Recompress = Recompress.IsPresent, MaxParallelism = ThrottleLimit };

                // Unset, the media type follows the format: Docker's for gzip, OCI's for zstd and uncompressed layers.
                if (MyInvocation.BoundParameters.ContainsKey(nameof(MediaType)))
                {
                    options.MediaType = MediaType;
                }
                else if (DefaultMediaType is LayerMediaType family)
                {
                    options.MediaType = family;
                }

                if (MyInvocation.BoundParameters.ContainsKey(nameof(CompressionLevel)))
                {
                    options.CompressionLevel = CompressionLevelTransformationAttribute.Resolve(CompressionLevel, Compression);
                }

                // The options are checked first, so a bad option fails before anything else is looked at.
                options.Check();
                _folders = NewFolderLayer();
                if (_fromPipeline && !MyInvocation.ExpectingInput && !MyInvocation.BoundParameters.ContainsKey(nameof(InputObject)))
                {
                    throw LayerInputs.Missing(MyInvocation.MyCommand.Name);
                }

                ILayerDestination destination = OpenDestination();
                _run = new LayerRun(options, destination, StopToken);
                ErrorTarget = destination.Target;
                _progress = new LayerProgress(this, MyInvocation.MyCommand.Name + (destination.Target != null ? " to " + destination.Target : string.Empty), destination.Verb);
            });
        }

        protected override void ProcessRecord()
        {
            if (!_fromPipeline)
            {
                Run(() =>
                {
                    switch (ParameterSetName)
                    {
                        case InputStreamSet:
                            RunEach(new List<object> { LayerSource.FromStream(InputStream, "the input stream") });
                            break;
                        case LiteralPathSet:
                            RunEach(LayerInputs.FromLiteralPaths(this, LiteralPath));
                            break;
                        case DirectorySet:
                            RunEach(LayerInputs.FromDirectories(this, Directory, _folders));
                            break;
                        default:
                            RunEach(LayerInputs.FromPaths(this, Path));
                            break;
                    }
                });
                return;
            }

            object input = InputObject is PSObject wrapped ? wrapped.BaseObject : InputObject;

            // The hot path: Get-Content -AsByteStream (5.1: -Encoding Byte) sends one object per byte.
            if (input is byte value && _looseBytes != null)
            {
                try
                {
                    _looseBytes.WriteByte(value);
                }
                catch (Exception e)
                {
                    Fail(e);
                }

                if ((++_byteRecords & 0xFFFF) == 0)
                {
                    Run(AfterManyByteRecords);
                }

                return;
            }

            Run(() => TakeObject(input));
        }

        protected override void EndProcessing()
        {
            Run(() =>
            {
                LayerOperation layer = _run.TakeLooseBytes();
                _looseBytes = null;
                if (layer != null)
                {
                    using (layer)
                    {
                        Finish(layer, null);
                    }
                }
                else if (_fromPipeline && !_run.SawInput)
                {
                    throw LayerInputs.NothingArrived();
                }
            });
        }

        /// <summary>A layer still open here was stopped (Ctrl+C, a failure downstream): its sink cleans up.</summary>
        protected override void Abandon()
        {
            _looseBytes = null;
            _run?.Dispose();
            _progress?.Complete();
        }

        protected override void Release() => _run?.Dispose();

        /// <summary>How folders become layers, from the folder parameters (which only the Directory and InputObject sets have).</summary>
        private FolderLayer NewFolderLayer() => new FolderLayer(
            Prefix,
            Exclude,
            Executable,
            Delete,
            MyInvocation.BoundParameters.ContainsKey(nameof(SourceDateEpoch)) ? SourceDateEpoch : (long?)null,
            Messages.Warning);

        /// <summary>Whether to make a layer of <paramref name="source"/> at all (-WhatIf, -Confirm); nothing of it is read when not.</summary>
        private bool ShouldStart(LayerSource source) =>
            _run.Destination.Action == null
            || ShouldProcess(source.Description + (_run.Destination.Target != null ? " to " + _run.Destination.Target : string.Empty), _run.Destination.Action);

        private void TakeObject(object input)
        {
            LayerSource whole;
            try
            {
                whole = LayerInputs.WholeSourceOf(input, InputObject, this, _folders);
            }
            catch (LayerInputException failure) when (_run.EndsOnlyItsInput(failure))
            {
                WriteError(ErrorRecords.For(failure, ErrorTarget));
                return;
            }

            if (whole != null)
            {
                RunEach(new List<object> { whole });
                return;
            }

            _looseBytes = _run.StartLooseBytes(ShouldStart);
            if (_looseBytes == null)
            {
                return;
            }

            LayerInputs.Write(_looseBytes, input);
            if (input is byte)
            {
                _byteRecords++;
            }

            Tick(_looseBytes, null);
        }

        private void AfterManyByteRecords()
        {
            _looseBytes.ThrowIfFailed();
            if (!_byteHintShown && _byteRecords >= ByteByByteHintThreshold)
            {
                _byteHintShown = true;
                WriteWarning(
                    "The input is arriving one pipeline object per byte, which PowerShell delivers slowly (well under 1 MB/s). " +
                    "For large layers use -Path, or Get-Content " + ByteReading.Parameter + " -ReadCount 1MB, or Get-Content " + ByteReading.Parameter + " -Raw.");
            }

            Tick(_looseBytes, null);
        }

        /// <summary>
        /// Makes a layer of each source in turn. An item that is a failure (a path that names no file), or a source
        /// that cannot make a layer, is reported on its own, unless the destination's layers stand or fall together.
        /// </summary>
        private void RunEach(List<object> items)
        {
            LayerInputException unresolved = items.OfType<LayerInputException>().FirstOrDefault();
            if (unresolved != null && !_run.EndsOnlyItsInput(unresolved))
            {
                throw unresolved;
            }

            _run.Admit(items.OfType<LayerSource>().ToList());
            foreach (object item in items)
            {
                if (item is LayerInputException failure)
                {
                    WriteError(ErrorRecords.For(failure, ErrorTarget));
                    continue;
                }

                var source = (LayerSource)item;
                try
                {
                    RunWholeLayer(source);
                }
                catch (Exception e) when (_run.EndsOnlyItsInput(e))
                {
                    Messages.WriteTo(this);
                    _progress.Complete();
                    WriteError(ErrorRecords.For(e, ErrorTarget));
                }
            }
        }

        private void RunWholeLayer(LayerSource source)
        {
            if (!ShouldStart(source))
            {
                _run.Decline(source);
                return;
            }

            // Opening and reading run off the pipeline thread: a FIFO with no writer blocks in open, a stalled stream in
            // read, and neither may keep Ctrl+C from stopping the command.
            Stream input;
            try
            {
                input = Await(source.OpenAsync(StopToken));
            }
            catch
            {
                _run.Decline(source);
                throw;
            }

            try
            {
                using (LayerOperation layer = _run.StartWhole(source))
                {
                    _wholeLayer = layer;
                    long? length = LayerSource.LengthOf(input);
                    Await(Task.Factory.StartNew(() => layer.ReadFrom(input), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default), () => Tick(layer, length));
                    Finish(layer, length);
                }
            }
            finally
            {
                _wholeLayer = null;
                if (source.Path != null)
                {
                    input.Dispose();
                }
            }
        }

        private void Finish(LayerOperation layer, long? length)
        {
            LayerDigest result = Await(layer.Complete(), () => _progress.Update(layer, length));
            _progress.Complete();
            if (layer.InputCompression is LayerCompression compressed && compressed != LayerCompression.None)
            {
                string name = compressed == LayerCompression.Zstd ? "zstd" : "gzip";
                WriteVerbose(Recompress.IsPresent
                    ? "The input is " + name + "-compressed: it was decompressed and compressed again (-Recompress)."
                    : "The input is " + name + "-compressed: it is the layer blob as it is, and its decompression gives the DiffId. -Recompress compresses it again.");
            }

            WriteLayer(layer.Source.Path == null ? result : result.WithPath(layer.Source.Path));
        }

        /// <summary>Now and then while a layer is read: the progress bar, and the messages of the core's threads.</summary>
        private void Tick(LayerOperation layer, long? length)
        {
            _progress.Update(layer, length);
            Messages.WriteTo(this);
        }
    }
}
