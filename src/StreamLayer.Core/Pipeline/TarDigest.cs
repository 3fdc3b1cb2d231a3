using System;
using System.Security.Cryptography;

namespace StreamLayer.Pipeline
{
    /// <summary>The hash stage: the DiffId and length of the uncompressed tar, appended in order.</summary>
    internal sealed class TarDigest : IDisposable
    {
        private readonly SHA256 _sha = SHA256.Create();

        public long Length { get; private set; }

        /// <summary>sha256:&lt;hex&gt; of the tar, once <see cref="Finish"/> has run; null before.</summary>
        public string DiffId { get; private set; }

        public void Append(byte[] bytes, int offset, int count)
        {
            _sha.TransformBlock(bytes, offset, count, null, 0);
            Length += count;
        }

        public void Finish()
        {
            _sha.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
            DiffId = Sha256Digest.Format(_sha.Hash);
        }

        public void Dispose() => _sha.Dispose();
    }
}
