using System;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry;

namespace StreamLayer.Layouts
{
    /// <summary>
    /// One blob on its way into a layout: a temporary file in the layout's folder (so the rename stays on one file
    /// system), hashed as it is written, that becomes blobs/sha256/&lt;hex&gt; in <see cref="Commit"/>, or is
    /// removed when disposed before that. A blob the layout already holds is not written again.
    /// </summary>
    internal sealed class LayoutBlob : IDisposable
    {
        private readonly ImageLayout _layout;
        private readonly string _temp;
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private FileStream _file;
        private long _length;

        public LayoutBlob(ImageLayout layout)
        {
            _layout = layout;
            _temp = layout.NewTempPath();
            try
            {
                _file = new FileStream(_temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: false);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is NotSupportedException)
            {
                _hash.Dispose();
                throw layout.WriteFailed("Cannot write a blob into '" + layout.Root + "'", e);
            }
        }

        /// <summary>The bytes written so far.</summary>
        public long Length => _length;

        public async Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            _hash.AppendData(buffer, offset, count);
            try
            {
                await _file.WriteAsync(buffer, offset, count, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw _layout.WriteFailed("Cannot write a blob into '" + _layout.Root + "'", e);
            }

            _length += count;
        }

        /// <summary>
        /// The blob under its name, once its bytes are on disk; the bytes must be <paramref name="digest"/> and
        /// <paramref name="size"/> (-1: any size). A blob of that name already there is kept and the new copy dropped.
        /// </summary>
        public void Commit(string digest, long size)
        {
            string written = Sha256Digest.Format(_hash.GetHashAndReset());
            if (written != digest || (size >= 0 && _length != size))
            {
                throw new RegistryException(
                    RegistryFailure.DigestMismatch,
                    "The blob written into '" + _layout.Root + "' is " + written + " (" + _length + " bytes), not " + digest + (size >= 0 ? " (" + size + " bytes)" : string.Empty) + "; it was not kept.");
            }

            string path = _layout.BlobPath(digest);
            try
            {
                _file.Flush(true);
                _file.Dispose();
                _file = null;
                if (_layout.HasBlob(digest, _length))
                {
                    ImageLayout.TryDelete(_temp);
                    return;
                }

                if (File.Exists(path))
                {
                    // A file of another size under the digest's name is damage; the checked bytes take its place.
                    File.Replace(_temp, path, null);
                    return;
                }

                try
                {
                    File.Move(_temp, path);
                }
                catch (IOException) when (_layout.HasBlob(digest, _length))
                {
                    // Another process wrote the same blob meanwhile.
                    ImageLayout.TryDelete(_temp);
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw _layout.WriteFailed("Cannot write the blob " + digest + " into '" + _layout.Root + "'", e);
            }
        }

        /// <summary>Removes the temporary file unless the blob was committed.</summary>
        public void Dispose()
        {
            if (_file != null)
            {
                try
                {
                    _file.Dispose();
                }
                catch (IOException)
                {
                    // The file is removed below; what it could not flush does not matter.
                }

                _file = null;
            }

            ImageLayout.TryDelete(_temp);
            _hash.Dispose();
        }
    }
}
