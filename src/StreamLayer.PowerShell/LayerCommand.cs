using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Commands
{
    /// <summary>
    /// The parameters and the Begin/Process/End of every cmdlet that makes layers. The input forms (-Path,
    /// -LiteralPath, -InputStream, the pipeline's bytes, arrays, streams and files) become layers of one
    /// <see cref="LayerRun"/>; a derived cmdlet says where each layer's blob goes and what it writes out.
    /// </summary>
    public abstract class LayerCommand : PSCmdlet, IDisposable
    {
        protected const string PathSet = "Path";
        protected const string LiteralPathSet = "LiteralPath";
        protected const string InputObjectSet = "InputObject";
        protected const string InputStreamSet = "InputStream";

        private const long ByteByByteHintThreshold = 1L << 20;

        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private LayerRun _run;
        private LayerProgress _progress;
        private bool _recompress;

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

        /// <summary>Cancelled when the user presses Ctrl+C or the pipeline stops.</summary>
        protected CancellationToken StopToken => _stop.Token;

        /// <summary>Messages from the core's threads, written on the pipeline thread during every wait.</summary>
        internal HostMessages Messages { get; } = new HostMessages();

        /// <summary>The progress bar's title.</summary>
        internal abstract string ProgressActivity { get; }

        /// <summary>What happens to the blob's bytes, for the progress bar: "compressed", "uploaded".</summary>
        internal abstract string ProgressVerb { get; }

        /// <summary>How many layers the destination holds.</summary>
        internal virtual int MaxLayers => int.MaxValue;

        /// <summary>The target of error records that name no input of their own.</summary>
        internal virtual object ErrorTarget => null;

        /// <summary>Where a layer's blob goes. Called once per layer, before any of its input is read.</summary>
        internal abstract ILayerSink OpenSink(LayerSource source);

        /// <summary>Writes out (or keeps) a finished layer.</summary>
        internal abstract void WriteLayer(LayerDigest layer);

        /// <summary>Whether to make a layer of <paramref name="source"/> at all (ShouldProcess); nothing of it is read when not.</summary>
        internal virtual bool ShouldStart(LayerSource source) => true;

        /// <summary>
        /// Whether one failed input stops the command (an image of several layers is all or nothing). Otherwise a
        /// file or stream that cannot make a layer is a non-terminating error and the next one is read, as
        /// Get-FileHash does.
        /// </summary>
        internal virtual bool AllOrNothing => false;

        protected override void BeginProcessing()
        {
            var options = new LayerOptions { Compression = Compression, Recompress = Recompress.IsPresent, MaxParallelism = ThrottleLimit };
            _recompress = Recompress.IsPresent;

            // Unset, the media type follows the format: Docker's for gzip, OCI's for zstd and uncompressed layers.
            if (MyInvocation.BoundParameters.ContainsKey(nameof(MediaType)))
            {
                options.MediaType = MediaType;
            }

            try
            {
                if (MyInvocation.BoundParameters.ContainsKey(nameof(CompressionLevel)))
                {
                    options.CompressionLevel = CompressionLevelTransformationAttribute.Resolve(CompressionLevel, Compression);
                }

                _run = new LayerRun(options, OpenSink, MaxLayers, StopToken);
            }
            catch (ArgumentException e)
            {
                ThrowTerminatingError(new ErrorRecord(e, ErrorIds.InvalidOption, ErrorCategory.InvalidArgument, null));
            }

            _progress = new LayerProgress(this, ProgressActivity, ProgressVerb);
            _fromPipeline = ParameterSetName == InputObjectSet;
            TerminationSignal.Add(this);
            if (_fromPipeline && !MyInvocation.ExpectingInput && !MyInvocation.BoundParameters.ContainsKey(nameof(InputObject)))
            {
                string name = MyInvocation.MyCommand.Name;
                ThrowTerminatingError(CommandFailure.Create(
                    ErrorIds.InputMissing,
                    ErrorCategory.InvalidArgument,
                    null,
                    name + " has no input. Give the tar with -Path or -LiteralPath, or a stream with -InputStream; or pipe the tar's bytes into it: "
                    + "Get-Content " + ByteReading.Parameter + " -ReadCount 1MB app.tar | " + name + " ...").Record);
            }
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
                    throw CommandFailure.Create(
                        ErrorIds.InputEmpty,
                        ErrorCategory.InvalidData,
                        null,
                        "No input arrived, so there is no layer. Pipe bytes (Get-Content " + ByteReading.Parameter + "), a stream or files into the command, or use -Path.");
                }
            });
        }

        protected override void StopProcessing() => _stop.Cancel();

        public void Dispose()
        {
            TerminationSignal.Remove(this);

            // A layer still open here was stopped (Ctrl+C, a failure downstream): its sink cleans up.
            _run?.Dispose();
            Dispose(true);
            _stop.Dispose();
        }

        /// <summary>
        /// On SIGTERM, from the signal's thread: stops the command as Ctrl+C does. The task ends once the open
        /// layer's sink has undone what it started (its upload session deleted, its partial file removed).
        /// </summary>
        internal Task Terminate()
        {
            try
            {
                _stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
                return Task.CompletedTask;
            }

            LayerOperation open = _wholeLayer ?? _run?.LooseBytes;
            return open?.Completion ?? Task.CompletedTask;
        }

        /// <summary>Releases what a derived cmdlet holds for all its layers.</summary>
        protected virtual void Dispose(bool disposing)
        {
        }

        /// <summary>Runs a step on the pipeline thread; its failure becomes a terminating error with a stable id.</summary>
        internal void Run(Action step)
        {
            try
            {
                step();
            }
            catch (Exception e) when (!(e is PipelineStoppedException) && !(e is ParameterBindingException) && !(e is ActionPreferenceStopException))
            {
                Fail(e);
            }
        }

        /// <summary>
        /// Waits on the pipeline thread for work of the core, writing its messages meanwhile; rethrows its failure.
        /// Ctrl+C ends the wait even when the work cannot end (a read that blocks): after a short grace it is left behind.
        /// </summary>
        internal T Await<T>(Task<T> work, Action tick = null) => Messages.Await(this, work, tick, StopToken);

        internal void Await(Task work, Action tick = null) => Messages.Await(this, work, tick, StopToken);

        private void TakeObject(object input)
        {
            LayerSource whole;
            try
            {
                whole = LayerInputs.WholeSourceOf(input, InputObject, this);
            }
            catch (CommandFailure failure) when (IsInputFailure(failure))
            {
                WriteError(failure.Record);
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
        /// Makes a layer of each source in turn; an item that is a failure (a path that names no file), or a source
        /// that cannot make a layer, is reported on its own unless the command is all or nothing.
        /// </summary>
        private void RunEach(List<object> items)
        {
            var sources = items.OfType<LayerSource>().ToList();
            CommandFailure unresolved = items.OfType<CommandFailure>().FirstOrDefault();
            if (unresolved != null && AllOrNothing)
            {
                throw unresolved;
            }

            _run.Expect(sources.Count);
            foreach (object item in items)
            {
                if (item is CommandFailure failure)
                {
                    WriteError(failure.Record);
                    continue;
                }

                try
                {
                    RunWholeLayer((LayerSource)item);
                }
                catch (Exception e) when (!AllOrNothing && IsInputFailure(e))
                {
                    Messages.WriteTo(this);
                    _progress.Complete();
                    WriteError(ErrorRecords.For(e, ErrorTarget));
                }
            }
        }

        /// <summary>A failure of one input alone (a missing or unreadable file, one that is empty or corrupt): the next input may still make a layer.</summary>
        private static bool IsInputFailure(Exception error)
        {
            switch (error)
            {
                case LayerInputException input:
                    return input.Problem != LayerInputProblem.Mixed && input.Problem != LayerInputProblem.TooManyLayers;
                case CommandFailure failure:
                    return failure.ErrorId == ErrorIds.PathNotFound || failure.ErrorId == ErrorIds.PathIsDirectory || failure.ErrorId == ErrorIds.InputReadFailed;
                default:
                    return false;
            }
        }

        private void RunWholeLayer(LayerSource source)
        {
            _run.Admit(source);
            if (!ShouldStart(source))
            {
                return;
            }

            // Opening and reading run off the pipeline thread: a FIFO with no writer blocks in open, a stalled stream in
            // read, and neither may keep Ctrl+C from stopping the command.
            Stream input = Await(source.OpenAsync(StopToken));
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
                WriteVerbose(_recompress
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

        /// <summary>Ends the command with <paramref name="error"/>: an open layer is abandoned (its sink cleans up), then the error is reported.</summary>
        private void Fail(Exception error)
        {
            _looseBytes = null;
            _run?.Dispose();
            Messages.WriteTo(this);
            _progress?.Complete();
            if (Stopping || error is OperationCanceledException)
            {
                throw new PipelineStoppedException();
            }

            ThrowTerminatingError(ErrorRecords.For(error, ErrorTarget));
        }
    }
}
