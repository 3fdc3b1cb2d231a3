using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Folders;

namespace StreamLayer.Sinks
{
    /// <summary>
    /// The blob into a file. It is written beside the file as a partial one (<c>.name.random.partial</c>), created up
    /// front, so a place that cannot be written fails before any input is read; only a complete blob takes the
    /// file's name, replacing what was there. When the layer fails for any reason, the partial file is removed before
    /// the sink ends, and a file that was already there is left as it was. A FIFO or a device is written as it is.
    /// </summary>
    internal sealed class FileSink : ILayerSink
    {
        private readonly string _path;
        private readonly string _partial;
        private readonly Action<string> _warn;
        private readonly FileStream _file;

        /// <param name="warn">Told when a partial file cannot be removed.</param>
        public FileSink(string path, Action<string> warn = null)
        {
            _path = path;
            _warn = warn;
            if (Directory.Exists(path))
            {
                throw new LayerOutputException(path, new IOException("it is a directory. Give the path of a file, such as '" + Path.Combine(path, "layer.tar.gz") + "'."));
            }

            try
            {
                if (File.Exists(path) && (File.GetAttributes(path) & FileAttributes.ReadOnly) != 0)
                {
                    throw new LayerOutputException(path, new IOException("the file is read-only, so it is not replaced. Give another path, or make it writable first."));
                }

                if (File.Exists(path) && EntryStatus.Of(new FileInfo(path), out _) == EntryType.Special)
                {
                    // A FIFO, /dev/stdout, /dev/null, a character device: a rename would put a regular file in its
                    // place, and removing it after a failure would lose it. It is written as it is, with no partial
                    // file, and never removed.
                    _file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1 << 16, useAsync: false);
                    return;
                }

                string folder = Path.GetDirectoryName(Path.GetFullPath(path));
                _partial = Path.Combine(folder, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".partial");
                _file = new FileStream(_partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: false);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is NotSupportedException || e is ArgumentException)
            {
                throw new LayerOutputException(path, e);
            }
        }

        public async Task ConsumeAsync(IBlobSource source, CancellationToken cancellationToken)
        {
            try
            {
                using (_file)
                {
                    ArraySegment<byte> segment;
                    while ((segment = await source.ReadAsync(cancellationToken).ConfigureAwait(false)).Count > 0)
                    {
                        await WriteAsync(() => _file.WriteAsync(segment.Array, segment.Offset, segment.Count, cancellationToken)).ConfigureAwait(false);
                    }

                    await WriteAsync(() => _file.FlushAsync(cancellationToken)).ConfigureAwait(false);
                }

                cancellationToken.ThrowIfCancellationRequested();
                if (_partial != null)
                {
                    TakeName();
                }
            }
            catch
            {
                Remove();
                throw;
            }
        }

        /// <summary>The complete blob takes the file's name, replacing a file that is there (in one rename where the system has one).</summary>
        private void TakeName()
        {
            try
            {
                if (File.Exists(_path))
                {
                    File.Replace(_partial, _path, null);
                }
                else
                {
                    File.Move(_partial, _path);
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new LayerOutputException(_path, e);
            }
        }

        private async Task WriteAsync(Func<Task> write)
        {
            try
            {
                await write().ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new LayerOutputException(_path, e);
            }
        }

        private void Remove()
        {
            if (_partial == null)
            {
                return;
            }

            try
            {
                File.Delete(_partial);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                _warn?.Invoke("Could not remove the incomplete file '" + _partial + "': " + e.Message);
            }
        }
    }
}
