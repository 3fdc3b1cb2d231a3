using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Client;
using StreamLayer.Registry.Http;

namespace StreamLayer.Registry.Blobs
{
    /// <summary>
    /// The blob in one PATCH whose body is sent as the encoder produces it, as docker, skopeo and
    /// go-containerregistry do. Sent with Expect: 100-continue, so that a front end that refuses a streamed body
    /// says so before any of it is sent.
    /// </summary>
    internal sealed class StreamedUpload
    {
        private const string Step = "Uploading the layer";

        private readonly RegistryClient _client;
        private readonly UploadSession _session;
        private readonly UploadedBytes _uploaded;

        public StreamedUpload(RegistryClient client, UploadSession session, UploadedBytes uploaded)
        {
            _client = client;
            _session = session;
            _uploaded = uploaded;
        }

        /// <summary>
        /// Sends the blob. When the registry refuses a streamed body (411, 413, 416) before any of it was sent, returns
        /// what it answered ("411 Length Required"), so that the caller can send the blob another way; null once sent.
        /// A refusal after part of it was sent is a failure.
        /// </summary>
        public async Task<string> SendAsync(BlobCursor cursor, CancellationToken cancellationToken)
        {
            RegistryRequest request = new RegistryRequest(Step, new HttpMethod("PATCH"), _session.Location)
                .WithBody(watchdog => new BlobContent(cursor, watchdog, cancellationToken, _uploaded))
                .WithHeaders(message =>
                {
                    // Its length is unknown, so the request asks for chunked transfer outright: without that, .NET
                    // Framework's handler (and Mono's) would load the whole blob into memory before sending any of it.
                    message.Headers.TransferEncodingChunked = true;
                    message.Headers.ExpectContinue = true;
                })
                .Streamed(() => !cursor.Started)
                .ReadingHeadersOnly();
            using (HttpResponseMessage response = await _client.SendAsync(request, cancellationToken).ConfigureAwait(false))
            {
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    _session.Follow(Step, response);
                    return null;
                }

                if (!cursor.Started && RefusesStreamedBody(response.StatusCode))
                {
                    return (int)response.StatusCode + " " + response.ReasonPhrase;
                }

                RegistryException error = await ErrorAnswer.ReadAsync(Step, response).ConfigureAwait(false);
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
