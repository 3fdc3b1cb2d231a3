using System;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Client;
using StreamLayer.Registry.Http;

namespace StreamLayer.Registry.Blobs
{
    /// <summary>
    /// The blob in PATCH requests of a chunk each, with Content-Range, for registries and proxies that cap request
    /// size. A failed chunk is sent again from what the registry says it has; a chunk refused as too large
    /// (413, 416) is sent in halves.
    /// </summary>
    internal sealed class ChunkedUpload
    {
        // Below this, a chunk that a registry refuses as too large is not split further.
        private const int SmallestChunk = 256 * 1024;

        private readonly RegistryClient _client;
        private readonly RegistryOptions _options;
        private readonly UploadSession _session;
        private readonly UploadedBytes _uploaded;
        private int _chunkSize;

        public ChunkedUpload(RegistryClient client, UploadSession session, UploadedBytes uploaded, int chunkSize)
        {
            _client = client;
            _options = client.Options;
            _session = session;
            _uploaded = uploaded;
            _chunkSize = chunkSize;
        }

        public async Task SendAsync(BlobCursor cursor, CancellationToken cancellationToken)
        {
            // Two buffers: the next chunk fills from the encoder while the current one is on the wire.
            var current = new byte[_chunkSize];
            var next = new byte[_chunkSize];
            long offset = 0;
            int count = await cursor.FillAsync(current, cancellationToken).ConfigureAwait(false);
            while (count > 0)
            {
                Task<int> filling = cursor.FillAsync(next, cancellationToken);
                try
                {
                    await SendChunkAsync(current, count, offset, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    _ = filling.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
                    throw;
                }

                offset += count;
                count = await filling.ConfigureAwait(false);
                byte[] sent = current;
                current = next;
                next = sent;
            }
        }

        /// <summary>
        /// Sends chunk[0..count) at <paramref name="start"/>. After a failure it asks the registry how much it has
        /// and sends the rest; a chunk refused as too large (413, 416) is sent in halves.
        /// </summary>
        private async Task SendChunkAsync(byte[] chunk, int count, long start, CancellationToken cancellationToken)
        {
            const string step = "Uploading a chunk";
            int sent = 0;
            int failures = 0;
            while (sent < count)
            {
                int length = Math.Min(count - sent, _chunkSize);
                long first = start + sent;
                long last = first + length - 1;
                HttpResponseMessage response;
                try
                {
                    int offset = sent;
                    RegistryRequest request = new RegistryRequest(step, new HttpMethod("PATCH"), _session.Location)
                        .WithBody(() =>
                        {
                            var content = new ByteArrayContent(chunk, offset, length);
                            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                            // Registries expect "<start>-<end>" with no unit; .NET's ContentRangeHeaderValue would write "bytes ...".
                            content.Headers.TryAddWithoutValidation("Content-Range", first.ToString(CultureInfo.InvariantCulture) + "-" + last.ToString(CultureInfo.InvariantCulture));
                            return content;
                        })
                        .WithoutRetries(); // a failed chunk is resent from what the registry has, below
                    response = await _client.SendAsync(request, cancellationToken).ConfigureAwait(false);
                }
                catch (RegistryException e) when ((e.Failure == RegistryFailure.ConnectionFailed || e.Failure == RegistryFailure.Timeout) && failures < _options.MaximumRetryCount)
                {
                    failures++;
                    sent = await ResumeAfterFailureAsync(start, count, failures, null, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                using (response)
                {
                    int status = (int)response.StatusCode;
                    if (response.StatusCode == HttpStatusCode.Accepted)
                    {
                        _session.Follow(step, response);
                        long received = ReceivedFromRange(response, afterBytes: true) ?? last + 1;
                        if (received < first || received > last + 1)
                        {
                            throw new RegistryException(
                                RegistryFailure.ProtocolError,
                                string.Format(CultureInfo.InvariantCulture, "{0}: the registry answered PATCH {1} of bytes {2}-{3} with 202 Accepted and Range reporting {4} bytes received, which the chunk cannot give; the upload cannot continue. The registry or a proxy in front of it miscounts chunks: push with -UploadMode Stream.", step, RedactedUrl.Of(response.RequestMessage?.RequestUri), first, last, received))
                            {
                                StatusCode = response.StatusCode,
                                Method = "PATCH",
                                Url = RedactedUrl.Of(response.RequestMessage?.RequestUri),
                            };
                        }

                        _uploaded.Add(received - first);
                        sent = (int)(received - start);
                        continue;
                    }

                    if ((status == 413 || status == 416) && length > SmallestChunk)
                    {
                        _chunkSize = Math.Max(SmallestChunk, length / 2);
                        _client.Log(string.Format(CultureInfo.InvariantCulture, "the registry refused a chunk of {0} bytes ({1}); sending chunks of {2} bytes", length, status, _chunkSize));
                        sent = await ReceivedAsync(start, count, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    if ((status == 408 || status == 429 || status >= 500) && failures < _options.MaximumRetryCount
                        && !ErrorAnswer.SaysStorageFull(response.StatusCode, await ErrorAnswer.BodyAsync(response).ConfigureAwait(false)))
                    {
                        failures++;
                        sent = await ResumeAfterFailureAsync(start, count, failures, response.Headers.RetryAfter, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    throw await ErrorAnswer.ReadAsync(step, response).ConfigureAwait(false);
                }
            }
        }

        private async Task<int> ResumeAfterFailureAsync(long start, int count, int failures, RetryConditionHeaderValue retryAfter, CancellationToken cancellationToken)
        {
            TimeSpan wait = retryAfter?.Delta ?? TimeSpan.FromMilliseconds(_options.RetryInterval.TotalMilliseconds * Math.Pow(2, failures - 1));
            if (wait > _options.MaximumRetryAfter)
            {
                wait = _options.MaximumRetryAfter;
            }

            _client.Log(string.Format(CultureInfo.InvariantCulture, "the chunk failed; asking the registry what it has in {0} ({1} of {2})", Seconds.Format(wait), failures, _options.MaximumRetryCount));
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            try
            {
                return await ReceivedAsync(start, count, cancellationToken).ConfigureAwait(false);
            }
            catch (RegistryException e) when (e.ErrorCode == "BLOB_UPLOAD_INVALID")
            {
                throw e.Rephrased(
                    e.Failure,
                    "A chunk failed on its way to the registry, and the registry kept part of it: it now refuses the upload session (" + e.ErrorCode + ": " + e.RegistryMessage + "), so the upload cannot resume. Push again.",
                    e);
            }
        }

        /// <summary>How much of the chunk at <paramref name="start"/> the registry holds (GET on the upload URL).</summary>
        private async Task<int> ReceivedAsync(long start, int count, CancellationToken cancellationToken)
        {
            const string step = "Asking the registry how much of the upload it has";
            using (HttpResponseMessage response = await _session.StatusAsync(step, cancellationToken).ConfigureAwait(false))
            {
                if (response.StatusCode != HttpStatusCode.NoContent && response.StatusCode != HttpStatusCode.OK)
                {
                    throw await ErrorAnswer.ReadAsync(step, response).ConfigureAwait(false);
                }

                _session.FollowIfGiven(step, response);
                long received = ReceivedFromRange(response, afterBytes: false) ?? 0;
                if (received < start || received > start + count)
                {
                    throw new RegistryException(
                        RegistryFailure.ProtocolError,
                        string.Format(CultureInfo.InvariantCulture, "{0}: the registry answered GET {1} with Range reporting {2} bytes, but the chunk being resent covers {3} to {4}; the upload cannot continue. Push again.", step, RedactedUrl.Of(response.RequestMessage?.RequestUri), received, start, start + count))
                    {
                        StatusCode = response.StatusCode,
                        Method = "GET",
                        Url = RedactedUrl.Of(response.RequestMessage?.RequestUri),
                    };
                }

                _uploaded.Reset(received);
                return (int)(received - start);
            }
        }

        /// <summary>
        /// How many bytes a Range of "0-&lt;end&gt;" says the registry holds. distribution writes "0-0" both for an empty
        /// upload and for one of a single byte: after a PATCH it accepted (<paramref name="afterBytes"/>) it holds at
        /// least one byte, so "0-0" is one; on a status request it is read as none.
        /// </summary>
        private static long? ReceivedFromRange(HttpResponseMessage response, bool afterBytes)
        {
            string range = ResponseHeaders.Value(response, "Range");
            if (range == null)
            {
                return null;
            }

            int dash = range.LastIndexOf('-');
            if (dash < 0 || !long.TryParse(range.Substring(dash + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long end))
            {
                return null;
            }

            return end == 0 && !afterBytes ? 0 : end + 1;
        }
    }
}
