using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Commands
{
    /// <summary>
    /// What every cmdlet that reads a layer shares: the input forms (-Path, -LiteralPath, -InputStream and the
    /// pipeline's bytes, byte arrays, object arrays, streams and files), the layer options, progress, cancellation
    /// and the mapping of failures to error records. A derived cmdlet says what consumes the compressed blob and
    /// what it writes out.
    /// </summary>
    public abstract class LayerCommand : PSCmdlet, IDisposable
    {
        protected const string PathSet = "Path";
        protected const string LiteralPathSet = "LiteralPath";
        protected const string InputObjectSet = "InputObject";
        protected const string InputStreamSet = "InputStream";

        private const int ProgressDelayMs = 1000;
        private const int ProgressIntervalMs = 500;
        private const long ByteByByteHintThreshold = 1L << 20;
        private const int CleanupWaitMs = 10000;

        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private LayerOptions _options;
        private bool _fromPipeline;
        private int _layerCount;
        private bool _sawWholeLayer;

        // The layer being built from pipeline bytes, and its input side for the per-byte hot path.
        private LayerOperation _pipelineLayer;
        private LayerEncoder _pipelineInput;
        private long _byteRecords;
        private bool _byteHintShown;
        private bool _pipelineDeclined;

        private long _layerStartedMs;
        private long _lastProgressMs;
        private bool _progressShown;

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
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

        protected abstract string ProgressActivity { get; }

        /// <summary>What consumes the compressed blob of the next layer. Called once per layer, before any input is read.</summary>
        internal abstract ILayerSink CreateSink(string path);

        /// <summary>The object written to the pipeline for a finished layer; null to write nothing now.</summary>
        protected abstract object CreateOutput(LayerDigest layer);

        /// <summary>Checks before the next layer starts; <paramref name="count"/> is how many layers there will be so far.</summary>
        protected virtual void CheckLayerCount(int count) { }

        /// <summary>Undoes what the consumer left behind when a layer fails.</summary>
        protected virtual void OnLayerFailed() { }

        /// <summary>Validation and set-up a derived command does before any input is read.</summary>
        protected virtual void BeginLayers() { }

        /// <summary>What a derived command does once every layer is done (e.g. write an image of them).</summary>
        protected virtual void EndLayers() { }

        /// <summary>Whether to make the layer from <paramref name="source"/> at all (ShouldProcess); nothing is read when not.</summary>
        protected virtual bool ShouldStartLayer(string source) => true;

        /// <summary>Called on the pipeline thread now and then while a layer is in progress, e.g. to write queued messages.</summary>
        protected virtual void OnPipelineThread() { }

        /// <summary>Releases what a derived command holds for all its layers.</summary>
        protected virtual void DisposeResources() { }

        protected virtual string ProgressStatus(LayerEncoder input, double seconds) =>
            string.Format(
                CultureInfo.CurrentCulture,
                "{0} read, {1} compressed, {2}/s",
                FormatBytes(input.BytesIn),
                FormatBytes(input.BytesOut),
                FormatBytes(seconds > 0 ? (long)(input.BytesIn / seconds) : 0));

        protected override void BeginProcessing()
        {
            _options = new LayerOptions { Compression = Compression, Recompress = Recompress.IsPresent, MaxParallelism = ThrottleLimit };

            // Unset, the media type follows the format: Docker's for gzip, OCI's for zstd and uncompressed layers.
            if (MyInvocation.BoundParameters.ContainsKey(nameof(MediaType)))
            {
                _options.MediaType = MediaType;
            }

            try
            {
                if (MyInvocation.BoundParameters.ContainsKey(nameof(CompressionLevel)))
                {
                    _options.CompressionLevel = CompressionLevelTransformationAttribute.Resolve(CompressionLevel, Compression);
                }

                _options.Validate();
            }
            catch (ArgumentException e)
            {
                ThrowTerminatingError(new ErrorRecord(e, ErrorIds.InvalidOption, ErrorCategory.InvalidArgument, null));
            }

            _fromPipeline = ParameterSetName == InputObjectSet;
            Guard(BeginLayers);
        }

        protected override void ProcessRecord()
        {
            if (_fromPipeline)
            {
                object input = InputObject;
                if (input is PSObject wrapped)
                {
                    input = wrapped.BaseObject;
                }

                // The hot path: Get-Content -AsByteStream sends one object per byte.
                if (input is byte value && _pipelineInput != null)
                {
                    _pipelineInput.WriteByte(value);
                    if ((++_byteRecords & 0xFFFF) == 0)
                    {
                        Guard(AfterManyByteRecords);
                    }

                    return;
                }

                Guard(() => ProcessInputObject(input));
                return;
            }

            Guard(() =>
            {
                switch (ParameterSetName)
                {
                    case InputStreamSet:
                        CheckLayerCount(1);
                        if (ShouldStartLayer("the input stream"))
                        {
                            EncodeStream(InputStream, null);
                        }

                        break;
                    case LiteralPathSet:
                        EncodeFiles(ResolveLiteralPaths(LiteralPath));
                        break;
                    default:
                        EncodeFiles(ResolvePaths(Path));
                        break;
                }
            });
        }

        /// <summary>
        /// Waits on the pipeline thread for work of the core (a registry step), writing what it logs meanwhile;
        /// rethrows its failure.
        /// </summary>
        protected void WaitFor(Task work)
        {
            while (!((IAsyncResult)work).AsyncWaitHandle.WaitOne(ProgressIntervalMs / 4))
            {
                OnPipelineThread();
            }

            OnPipelineThread();
            work.GetAwaiter().GetResult();
        }

        protected override void EndProcessing()
        {
            EndPipelineLayer();
            Guard(EndLayers);
        }

        private void EndPipelineLayer()
        {
            if (!_fromPipeline)
            {
                return;
            }

            if (_pipelineLayer != null)
            {
                Guard(() =>
                {
                    LayerOperation layer = _pipelineLayer;
                    _pipelineLayer = null;
                    _pipelineInput = null;
                    using (layer)
                    {
                        Finish(layer, null, null);
                    }
                });
            }
            else if (_layerCount == 0 && !_pipelineDeclined)
            {
                ThrowTerminatingError(CommandFailure.Create(
                    ErrorIds.InputEmpty,
                    ErrorCategory.InvalidData,
                    null,
                    "No input arrived, so there is no layer. Pipe bytes (Get-Content -AsByteStream), a stream or files into the command, or use -Path.").Record);
            }
        }

        protected override void StopProcessing() => _stop.Cancel();

        public void Dispose()
        {
            _pipelineLayer?.Dispose();
            DisposeResources();
            _stop.Dispose();
        }

        protected static string FormatBytes(long bytes)
        {
            string[] units = { "B", "KiB", "MiB", "GiB", "TiB" };
            double value = bytes;
            int unit = 0;
            while (value >= 1024 && unit < units.Length - 1)
            {
                value /= 1024;
                unit++;
            }

            return unit == 0
                ? string.Format(CultureInfo.CurrentCulture, "{0} B", bytes)
                : string.Format(CultureInfo.CurrentCulture, "{0:0.0} {1}", value, units[unit]);
        }

        private void ProcessInputObject(object input)
        {
            if (_pipelineDeclined)
            {
                return;
            }

            switch (input)
            {
                case byte value:
                    if (StartPipelineLayer())
                    {
                        _pipelineInput.WriteByte(value);
                        _byteRecords++;
                    }

                    break;
                case byte[] bytes:
                    if (StartPipelineLayer())
                    {
                        _pipelineInput.Write(bytes, 0, bytes.Length);
                        WriteLayerProgress(_pipelineInput, null);
                    }

                    break;
                case object[] items:
                    if (StartPipelineLayer())
                    {
                        WriteItems(items);
                        WriteLayerProgress(_pipelineInput, null);
                    }

                    break;
                case Stream stream:
                    StartWholeLayer(stream);
                    if (ShouldStartLayer("a stream (" + stream.GetType().Name + ")"))
                    {
                        EncodeStream(stream, null);
                    }

                    break;
                case FileInfo file:
                    StartWholeLayer(file);
                    EncodeFile(file.FullName);
                    break;
                case DirectoryInfo directory:
                    throw DirectoryFailure(directory.FullName);
                case string _:
                    throw CommandFailure.Create(
                        ErrorIds.InputNotBytes,
                        ErrorCategory.InvalidType,
                        input,
                        "The pipeline sent text, but a layer is made of bytes. Read the tar with Get-Content -AsByteStream (faster: add -ReadCount 1MB), or pass the file with -Path.");
                default:
                    throw NotBytesFailure(input);
            }
        }

        private void WriteItems(object[] items)
        {
            LayerEncoder input = _pipelineInput;
            for (int i = 0; i < items.Length; i++)
            {
                object item = items[i];
                if (item is PSObject wrapped)
                {
                    item = wrapped.BaseObject;
                }

                if (item is byte value)
                {
                    input.WriteByte(value);
                    continue;
                }

                throw NotBytesFailure(item);
            }
        }

        private static CommandFailure NotBytesFailure(object input)
        {
            string type = input == null ? "null" : input.GetType().FullName;
            return CommandFailure.Create(
                ErrorIds.InputNotBytes,
                ErrorCategory.InvalidType,
                input,
                "The pipeline sent " + type + ", but a layer is made of bytes. Pipe bytes (Get-Content -AsByteStream), byte arrays, streams or files, or use -Path.");
        }

        private static CommandFailure DirectoryFailure(string path) => CommandFailure.Create(
            ErrorIds.PathIsDirectory,
            ErrorCategory.InvalidArgument,
            path,
            "'" + path + "' is a directory. A layer is read from a tar file: create one first (tar -cf layer.tar -C <directory> .) and pass that.");

        private static CommandFailure MixedFailure() => CommandFailure.Create(
            ErrorIds.InputMixed,
            ErrorCategory.InvalidArgument,
            null,
            "The pipeline mixed loose bytes with whole streams or files. Send one kind: bytes and byte arrays make one layer together; each stream or file makes a layer of its own.");

        /// <summary>Starts the layer of pipeline bytes at the first of them; false when the user declined it.</summary>
        private bool StartPipelineLayer()
        {
            if (_pipelineLayer != null)
            {
                return true;
            }

            if (_sawWholeLayer)
            {
                throw MixedFailure();
            }

            CheckLayerCount(_layerCount + 1);
            if (!ShouldStartLayer("the pipeline's bytes"))
            {
                _pipelineDeclined = true;
                return false;
            }

            _pipelineLayer = StartLayer(null);
            _pipelineInput = _pipelineLayer.Input;
            return true;
        }

        private void StartWholeLayer(object input)
        {
            if (_pipelineLayer != null)
            {
                throw MixedFailure();
            }

            _sawWholeLayer = true;
            CheckLayerCount(_layerCount + 1);
        }

        private void AfterManyByteRecords()
        {
            Exception failure = _pipelineInput.Failure;
            if (failure != null)
            {
                throw failure;
            }

            if (!_byteHintShown && _byteRecords >= ByteByByteHintThreshold)
            {
                _byteHintShown = true;
                WriteWarning(
                    "The input is arriving one pipeline object per byte, which PowerShell delivers slowly (well under 1 MB/s). " +
                    "For large layers use -Path, or Get-Content -AsByteStream -ReadCount 1MB, or Get-Content -AsByteStream -Raw.");
            }

            WriteLayerProgress(_pipelineInput, null);
        }

        private void EncodeFiles(List<string> files)
        {
            CheckLayerCount(files.Count);
            foreach (string file in files)
            {
                EncodeFile(file);
            }
        }

        private void EncodeFile(string path)
        {
            if (!ShouldStartLayer(path))
            {
                return;
            }

            FileStream stream;
            try
            {
                // No buffering: the encoder reads whole blocks straight into its own buffers.
                stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw CommandFailure.Create(ErrorIds.InputReadFailed, ErrorCategory.ReadError, path, "Cannot open '" + path + "': " + e.Message, e);
            }

            using (stream)
            {
                EncodeStream(stream, path);
            }
        }

        private void EncodeStream(Stream stream, string path)
        {
            long? length = null;
            try
            {
                if (stream.CanSeek)
                {
                    length = stream.Length - stream.Position;
                }
            }
            catch (NotSupportedException)
            {
            }

            using (LayerOperation layer = StartLayer(path))
            {
                try
                {
                    layer.Input.ReadFrom(stream, _ => WriteLayerProgress(layer.Input, length));
                }
                catch (Exception e) when ((e is IOException || e is UnauthorizedAccessException || e is ObjectDisposedException) && layer.Input.Failure == null)
                {
                    string source = path == null ? "the input stream" : "'" + path + "'";
                    var failure = CommandFailure.Create(ErrorIds.InputReadFailed, ErrorCategory.ReadError, (object)path ?? stream, "Reading " + source + " failed: " + e.Message, e);
                    Abandon(layer, failure);
                    throw failure;
                }
                catch (Exception e)
                {
                    Abandon(layer, e);
                    throw;
                }

                Finish(layer, length, path);
            }
        }

        private LayerOperation StartLayer(string path)
        {
            _layerCount++;
            _layerStartedMs = _clock.ElapsedMilliseconds;
            _lastProgressMs = 0;
            return new LayerOperation(_options, CreateSink(path), _stop.Token);
        }

        private void Finish(LayerOperation layer, long? length, string path)
        {
            LayerDigest result;
            try
            {
                if (layer.Input.BytesIn == 0 && layer.Input.Failure == null)
                {
                    string source = path == null ? "The input" : "'" + path + "'";
                    throw CommandFailure.Create(
                        ErrorIds.InputEmpty,
                        ErrorCategory.InvalidData,
                        path,
                        source + " is empty, so there is no layer. A layer needs at least one byte of tar.");
                }

                layer.Input.Complete();
                while (!((IAsyncResult)layer.Completion).AsyncWaitHandle.WaitOne(ProgressIntervalMs / 4))
                {
                    WriteLayerProgress(layer.Input, length);
                }

                result = layer.Completion.GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                Abandon(layer, e);
                throw;
            }

            OnPipelineThread();
            CompleteProgress();
            if (layer.Input.InputCompression is LayerCompression input && input != LayerCompression.None)
            {
                string name = input == LayerCompression.Zstd ? "zstd" : "gzip";
                WriteVerbose(_options.Recompress
                    ? "The input is " + name + "-compressed: it was decompressed and compressed again (-Recompress)."
                    : "The input is " + name + "-compressed: it is the layer blob as it is, and its decompression gives the DiffId. -Recompress compresses it again.");
            }

            object output = CreateOutput(path == null ? result : result.WithPath(path));
            if (output != null)
            {
                WriteObject(output);
            }
        }

        /// <summary>Stops a failed layer and gives its consumer a moment to clean up (delete a partial file or upload).</summary>
        private void Abandon(LayerOperation layer, Exception reason)
        {
            layer.Fail(reason);
            ((IAsyncResult)layer.Completion).AsyncWaitHandle.WaitOne(CleanupWaitMs);
            OnPipelineThread();
            CompleteProgress();
            OnLayerFailed();
        }

        private void WriteLayerProgress(LayerEncoder input, long? length)
        {
            OnPipelineThread();
            long now = _clock.ElapsedMilliseconds;
            if (now - _layerStartedMs < ProgressDelayMs || now - _lastProgressMs < ProgressIntervalMs)
            {
                return;
            }

            _lastProgressMs = now;
            double seconds = (now - _layerStartedMs) / 1000.0;
            var record = new ProgressRecord(ProgressActivityId, ProgressActivity, ProgressStatus(input, seconds));
            if (length > 0)
            {
                record.PercentComplete = (int)Math.Min(100, input.BytesIn * 100 / length.Value);
            }

            WriteProgress(record);
            _progressShown = true;
        }

        private void CompleteProgress()
        {
            if (_progressShown)
            {
                _progressShown = false;
                WriteProgress(new ProgressRecord(ProgressActivityId, ProgressActivity, "Done") { RecordType = ProgressRecordType.Completed });
            }
        }

        private int ProgressActivityId => 0x5173;

        private List<string> ResolvePaths(string[] paths)
        {
            var files = new List<string>();
            foreach (string path in paths)
            {
                Collection<string> resolved;
                ProviderInfo provider;
                try
                {
                    resolved = GetResolvedProviderPathFromPSPath(path, out provider);
                }
                catch (ItemNotFoundException)
                {
                    throw PathNotFoundFailure(path);
                }

                if (provider.ImplementingType != typeof(Microsoft.PowerShell.Commands.FileSystemProvider))
                {
                    throw CommandFailure.Create(ErrorIds.PathNotFound, ErrorCategory.InvalidArgument, path, "'" + path + "' is not a file-system path.");
                }

                if (resolved.Count == 0)
                {
                    throw PathNotFoundFailure(path);
                }

                foreach (string file in resolved)
                {
                    files.Add(CheckFile(file));
                }
            }

            return files;
        }

        private List<string> ResolveLiteralPaths(string[] paths)
        {
            var files = new List<string>();
            foreach (string path in paths)
            {
                files.Add(CheckFile(GetUnresolvedProviderPathFromPSPath(path)));
            }

            return files;
        }

        private static string CheckFile(string file)
        {
            if (Directory.Exists(file))
            {
                throw DirectoryFailure(file);
            }

            if (!File.Exists(file))
            {
                throw PathNotFoundFailure(file);
            }

            return file;
        }

        private static CommandFailure PathNotFoundFailure(string path) => CommandFailure.Create(
            ErrorIds.PathNotFound,
            ErrorCategory.ObjectNotFound,
            path,
            "Cannot find a file at '" + path + "'. Check the path, or use -LiteralPath if it contains wildcard characters such as [ ].");

        /// <summary>Runs a step and turns its failure into a terminating error with a stable id.</summary>
        protected void Guard(Action step)
        {
            try
            {
                step();
            }
            catch (Exception e) when (!(e is PipelineStoppedException) && !(e is ParameterBindingException))
            {
                if (_pipelineLayer != null)
                {
                    LayerOperation layer = _pipelineLayer;
                    _pipelineLayer = null;
                    _pipelineInput = null;
                    using (layer)
                    {
                        Abandon(layer, e);
                    }
                }

                if (Stopping || e is OperationCanceledException)
                {
                    throw new PipelineStoppedException();
                }

                ThrowTerminatingError(ToErrorRecord(e));
            }
        }

        /// <summary>The error record for a failure; derived commands add the failures of their consumers.</summary>
        protected virtual ErrorRecord ToErrorRecord(Exception error)
        {
            if (error is CommandFailure failure)
            {
                return failure.Record;
            }

            if (error is AggregateException aggregate && aggregate.InnerExceptions.Count == 1)
            {
                return ToErrorRecord(aggregate.InnerException);
            }

            if (error is CorruptLayerInputException corrupt)
            {
                return new ErrorRecord(corrupt, ErrorIds.InputCorrupt, ErrorCategory.InvalidData, null);
            }

            // Options that the input itself rules out, such as Docker media types for zstd input.
            if (error is LayerOptionsException invalid)
            {
                return new ErrorRecord(invalid, ErrorIds.InvalidOption, ErrorCategory.InvalidArgument, null);
            }

            return new ErrorRecord(error, ErrorIds.LayerFailed, ErrorCategory.NotSpecified, null);
        }
    }
}
