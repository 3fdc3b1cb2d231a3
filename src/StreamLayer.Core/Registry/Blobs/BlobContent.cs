using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Http;

namespace StreamLayer.Registry.Blobs
{
    /// <summary>
    /// A request body that is the rest of the blob, sent as the encoder produces it. When the input fails
    /// (bad bytes, Ctrl+C) the body ends cleanly instead of being cut off: the registry then answers with a
    /// session state that a DELETE accepts, where a cut body leaves distribution with a session that cannot be
    /// deleted. The caller sees the failure and never finishes the upload.
    /// </summary>
    internal sealed class BlobContent : HttpContent
    {
        private readonly BlobCursor _cursor;
        private readonly Watchdog _watchdog;
        private readonly CancellationToken _cancellationToken;
        private readonly UploadedBytes _uploaded;

        public BlobContent(BlobCursor cursor, Watchdog watchdog, CancellationToken cancellationToken, UploadedBytes uploaded)
        {
            _cursor = cursor;
            _watchdog = watchdog;
            _cancellationToken = cancellationToken;
            _uploaded = uploaded;
            Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext context)
        {
            while (true)
            {
                ArraySegment<byte> segment;
                try
                {
                    segment = await _cursor.NextAsync(_cancellationToken).ConfigureAwait(false);
                }
                catch (Exception) when (_cursor.Failure != null || _cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                if (segment.Count == 0)
                {
                    return;
                }

                _watchdog.Kick();
                await stream.WriteAsync(segment.Array, segment.Offset, segment.Count, _cancellationToken).ConfigureAwait(false);
                _watchdog.Kick();
                _uploaded.Add(segment.Count);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
