using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Sinks
{
    /// <summary>
    /// The blob into a file. A new file, or one that holds something, is written beside as a partial one
    /// (<c>.name.random.partial</c>), created up front, so a place that cannot be written fails before any input is
    /// read; only a complete blob takes the file's name, replacing what was there. A link, or an existing file of no
    /// bytes (a FIFO, a device such as /dev/stdout, an empty file: nothing to lose), is written through as it is.
    /// When the layer fails for any reason, what was written is removed before the sink ends, and a file that was
    /// already there with content is left as it was.
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

                var existing = new FileInfo(path);
                if (existing.Exists && ((existing.Attributes & FileAttributes.ReparsePoint) != 0 || existing.Length == 0))
                {
                    // Written through: a FIFO's reader or a device gets the blob as it is produced.
                    _partial = path;
                    _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: false);
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
                TakeName();
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
            if (_partial == _path)
            {
                return;
            }

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
