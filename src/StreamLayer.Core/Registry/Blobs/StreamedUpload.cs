using System;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Http;

namespace StreamLayer.Registry.Blobs
{
    /// <summary>
    /// The blob in one PATCH whose body is sent as the encoder produces it, as docker, skopeo and
    /// go-containerregistry do. A registry or proxy that refuses a streamed body before any of it was sent
    /// gets the blob in chunks instead.
    /// </summary>
    internal sealed class StreamedUpload
    {
        // GHCR refuses chunks over 4 MiB, so the fallback's chunks are no larger.
        private const int FallbackChunk = 4 << 20;

        private readonly RegistryClient _client;
        private readonly UploadSession _session;
        private readonly UploadedBytes _uploaded;

        public StreamedUpload(RegistryClient client, UploadSession session, UploadedBytes uploaded)
        {
            _client = client;
            _session = session;
            _uploaded = uploaded;
        }

        public async Task SendAsync(BlobCursor cursor, CancellationToken cancellationToken)
        {
            const string step = "Uploading the layer";
            using (HttpResponseMessage response = await _client.SendAsync(
                step,
                watchdog =>
                {
                    var request = new HttpRequestMessage(new HttpMethod("PATCH"), _session.Location) { Content = new BlobContent(cursor, watchdog, cancellationToken, _uploaded) };
                    // A front end that refuses a streamed body then says so before any of it is sent, and chunks can take over.
                    request.Headers.ExpectContinue = true;
                    return request;
                },
                () => !cursor.Started,
                cancellationToken,
                HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false))
            {
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    _session.Follow(step, response);
                    return;
                }

                if (!cursor.Started && RefusesStreamedBody(response.StatusCode))
                {
                    int chunkSize = Math.Min(_client.Options.ChunkSize, FallbackChunk);
                    _client.Log(string.Format(
                        CultureInfo.InvariantCulture,
                        "the registry refused a streamed body ({0} {1}) before any of it was sent; uploading in chunks of {2} bytes instead",
                        (int)response.StatusCode,
                        response.ReasonPhrase,
                        chunkSize));
                    await new ChunkedUpload(_client, _session, _uploaded, chunkSize).SendAsync(cursor, cancellationToken).ConfigureAwait(false);
                    return;
                }

                RegistryException error = await ErrorAnswer.ReadAsync(step, response).ConfigureAwait(false);
                if (cursor.Started && RefusesStreamedBody(response.StatusCode))
                {
                    throw error.Rephrased(error.Failure, error.Message + " The registry or a proxy in front of it limits request bodies: push with -UploadMode Chunked and a -ChunkSize it accepts.", error);
                }

                throw error;
            }
        }

        private static bool RefusesStreamedBody(HttpStatusCode status)
        {
            int code = (int)status;
            return code == 411 || code == 413 || code == 416;
        }
    }
}
