using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Sinks
{
    /// <summary>
    /// The blob into a new file. The file is created up front, so a path that cannot be written fails before any
    /// input is read; when the layer fails for any reason, the partial file is removed before the sink ends.
    /// </summary>
    internal sealed class FileSink : ILayerSink
    {
        private readonly string _path;
        private readonly Action<string> _warn;
        private readonly FileStream _file;

        /// <param name="warn">Told when a partial file cannot be removed.</param>
        public FileSink(string path, Action<string> warn = null)
        {
            _path = path;
            _warn = warn;
            try
            {
                _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: false);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is NotSupportedException)
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
            }
            catch
            {
                Remove();
                throw;
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
                File.Delete(_path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                _warn?.Invoke("Could not remove the incomplete file '" + _path + "': " + e.Message);
            }
        }
    }
}
