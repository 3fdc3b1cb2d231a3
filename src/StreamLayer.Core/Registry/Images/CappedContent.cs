using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Registry.Images
{
    /// <summary>Reads a small document (a manifest, a config) whole, refusing one larger than a limit instead of buffering it.</summary>
    internal static class CappedContent
    {
        /// <summary>distribution and containerd refuse manifests over 4 MiB; configs of real images are far smaller than 8.</summary>
        public const int ManifestLimit = 4 << 20;

        public const int ConfigLimit = 8 << 20;

        /// <summary>The content's bytes, or null when there are more than <paramref name="limit"/>.</summary>
        public static async Task<byte[]> ReadAsync(HttpContent content, int limit, CancellationToken cancellationToken)
        {
            if (content.Headers.ContentLength > limit)
            {
                return null;
            }

            using (Stream body = await content.ReadAsStreamAsync().ConfigureAwait(false))
            using (var buffer = new MemoryStream())
            {
                var chunk = new byte[81920];
                int read;
                while ((read = await body.ReadAsync(chunk, 0, chunk.Length, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    if (buffer.Length + read > limit)
                    {
                        return null;
                    }

                    buffer.Write(chunk, 0, read);
                }

                return buffer.ToArray();
            }
        }
    }
}
