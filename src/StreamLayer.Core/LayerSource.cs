using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer
{
    /// <summary>Where a layer's input comes from: a file, a stream, or loose bytes; and how messages name it.</summary>
    internal sealed class LayerSource
    {
        private readonly Func<Stream> _open;

        private LayerSource(string path, Stream stream, string description, Func<Stream> open = null)
        {
            Path = path;
            Stream = stream;
            Description = description;
            _open = open;
        }

        /// <summary>Bytes and byte arrays that arrive one after another and together make one layer.</summary>
        public static LayerSource LooseBytes { get; } = new LayerSource(null, null, "the pipeline's bytes");

        /// <summary>The file (or folder), for file (or folder) input; null otherwise.</summary>
        public string Path { get; }

        /// <summary>The stream, for stream input; null otherwise (a file is opened by <see cref="Open"/>).</summary>
        public Stream Stream { get; }

        /// <summary>How messages name the input: a quoted path, "the input stream", "the pipeline's bytes".</summary>
        public string Description { get; }

        public static LayerSource FromFile(string path) => new LayerSource(path, null, "'" + path + "'");

        public static LayerSource FromStream(Stream stream, string description) => new LayerSource(null, stream, description);

        /// <summary>A folder, whose tar <paramref name="open"/> makes as it is read (the folder layers' own stream).</summary>
        public static LayerSource FromFolder(string path, Func<Stream> open) => new LayerSource(path, null, "the folder '" + path + "'", open);

        /// <summary>The input's length when it is known up front (a file, a seekable stream); null otherwise.</summary>
        public static long? LengthOf(Stream stream)
        {
            try
            {
                return stream.CanSeek ? stream.Length - stream.Position : (long?)null;
            }
            catch (NotSupportedException)
            {
                return null;
            }
        }

        /// <summary>
        /// The stream to read, opened off the caller's thread: a FIFO with no writer blocks in open until one comes, and
        /// the caller may stop waiting (Ctrl+C). A file opened after that is closed again; an open that never returns
        /// holds its thread until the process ends.
        /// </summary>
        public Task<Stream> OpenAsync(CancellationToken cancellationToken)
        {
            if (Path == null)
            {
                return Task.FromResult(Open());
            }

            Task<Stream> opening = Task.Factory.StartNew(Open, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            _ = opening.ContinueWith(
                t =>
                {
                    if (cancellationToken.IsCancellationRequested && t.Status == TaskStatus.RanToCompletion)
                    {
                        t.Result.Dispose();
                    }
                },
                TaskScheduler.Default);
            return opening;
        }

        /// <summary>The stream to read: the given one, or the file opened for one sequential pass.</summary>
        public Stream Open()
        {
            if (_open != null)
            {
                return _open();
            }

            if (Path == null)
            {
                // A disposed stream says it can do nothing at all; a write-only one can still be written.
                return Stream.CanRead ? Stream
                    : Stream.CanWrite || Stream.CanSeek ? throw LayerInputException.NotReadable(this)
                    : throw LayerInputException.Closed(this);
            }

            try
            {
                // No buffering: the writer reads whole blocks straight into its own buffers.
                return new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw LayerInputException.OpenFailed(this, e);
            }
        }

        public override string ToString() => Description;
    }
}
