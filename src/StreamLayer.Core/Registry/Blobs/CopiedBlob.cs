using System;
using System.Globalization;
using System.IO;
using System.Net.Http;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Registry.Blobs
{
    /// <summary>
    /// A blob read from another repository's GET, as the source of an upload: the copy then travels like a layer
    /// (one streamed PATCH, or chunks), so a stop or a broken source ends its body cleanly and its session can be
    /// deleted, where a cut PUT leaves one that cannot. Checks the size and (sha256) the digest on the way.
    /// </summary>
    internal sealed class CopiedBlob : IBlobSource, IDisposable
    {
        private const int BufferSize = 1 << 20;

        private readonly Stream _body;
        private readonly string _digest;
        private readonly long _size;
        private readonly string _from;
        private readonly string _url;
        private readonly Action<long> _copied;
        private readonly IncrementalHash _hash;
        private readonly byte[] _buffer = new byte[BufferSize];
        private LayerDigest _layer;

        /// <param name="from">How messages name the source: "registry.example/base".</param>
        /// <param name="url">The GET's URL, secrets scrubbed.</param>
        /// <param name="copied">Told the bytes read so far, as they go.</param>
        public CopiedBlob(Stream body, string digest, long size, string from, string url, Action<long> copied)
        {
            _body = body;
            _digest = digest;
            _size = size;
            _from = from;
            _url = url;
            _copied = copied;
            _hash = digest.StartsWith(Sha256Digest.Prefix, StringComparison.Ordinal) ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        }

        public long BytesRead { get; private set; }

        public LayerDigest Layer => _layer ?? throw new InvalidOperationException("The blob has not been read to its end.");

        public async Task<ArraySegment<byte>> ReadAsync(CancellationToken cancellationToken)
        {
            int n;
            try
            {
                n = await _body.ReadAsync(_buffer, 0, _buffer.Length, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                // A stop closes a read that is stuck; whatever that read then threw, the stop is the cause.
                throw new OperationCanceledException(cancellationToken);
            }
            catch (Exception e) when (e is IOException || e is HttpRequestException)
            {
                throw new RegistryException(
                    RegistryFailure.ConnectionFailed,
                    string.Format(CultureInfo.InvariantCulture, "Copying {0} from {1}: the answer to GET {2} broke off after {3} of its {4} bytes ({5}).", _digest, _from, _url, BytesRead, _size, e.Message),
                    e)
                { Method = "GET", Url = _url };
            }

            if (n == 0)
            {
                Finish();
                return default;
            }

            BytesRead += n;
            if (BytesRead > _size)
            {
                throw Mismatch(string.Format(CultureInfo.InvariantCulture, "holds more than the {0} bytes the manifest gives", _size));
            }

            _hash?.AppendData(_buffer, 0, n);
            _copied?.Invoke(BytesRead);
            return new ArraySegment<byte>(_buffer, 0, n);
        }

        public void Dispose()
        {
            _hash?.Dispose();
            _body.Dispose();
        }

        private void Finish()
        {
            if (BytesRead != _size)
            {
                // A body that ends early without a broken connection: the source's Content-Length disagrees with the manifest.
                throw Mismatch(string.Format(CultureInfo.InvariantCulture, "holds {0} bytes where the manifest gives {1}", BytesRead, _size));
            }

            if (_hash != null)
            {
                string actual = Sha256Digest.Format(_hash.GetHashAndReset());
                if (actual != _digest)
                {
                    throw Mismatch("holds bytes whose digest is " + actual);
                }
            }

            _layer = new LayerDigest(_digest, null, _size, 0, null);
        }

        private RegistryException Mismatch(string what) =>
            new RegistryException(
                RegistryFailure.DigestMismatch,
                "Copying " + _digest + " from " + _from + ": the answer to GET " + _url + " " + what + ", so it is not the blob the image names; nothing of it was kept. Tell the source registry's operator.")
            { Method = "GET", Url = _url };
    }
}
