using System;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Http;

namespace StreamLayer.Registry
{
    /// <summary>
    /// Uploads one layer's blob while the encoder produces it, following the OCI distribution push flow:
    /// POST to open a session, PATCH the bytes (one streamed request, or Content-Range chunks), PUT with the
    /// digest, then HEAD to confirm the registry holds that digest at that size. A session that cannot finish
    /// is cancelled with DELETE, so no blob appears under any digest.
    /// </summary>
    internal sealed class BlobUpload : ILayerSink
    {
        // Below this, a chunk that a registry refuses as too large is not split further.
        private const int SmallestChunk = 256 * 1024;

        private readonly RegistryClient _client;
        private readonly RegistryOptions _options;
        private Uri _location;
        private long _uploaded;
        private int _chunkSize;

        public BlobUpload(RegistryClient client)
        {
            _client = client ?? throw new ArgumentNullException(nameof(client));
            _options = client.Options;
            _chunkSize = _options.ChunkSize;
        }

        /// <summary>Compressed bytes sent to the registry so far (in chunked mode: acknowledged by it).</summary>
        public long BytesUploaded => Interlocked.Read(ref _uploaded);

        /// <summary>The layer as the registry confirmed it, once the upload is complete.</summary>
        public LayerDigest Layer { get; private set; }

        /// <summary>Reads the blob to its end and pushes it. Cancels the session on any failure.</summary>
        public async Task ConsumeAsync(IBlobSource source, CancellationToken cancellationToken)
        {
            if (source == null)
            {
                throw new ArgumentNullException(nameof(source));
            }

            await StartAsync(cancellationToken).ConfigureAwait(false);
            var pending = new Segments(source);
            try
            {
                if (_options.UploadMode == UploadMode.Stream)
                {
                    await StreamAsync(pending, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await ChunksAsync(pending, cancellationToken).ConfigureAwait(false);
                }

                // A streamed body ends early, and cleanly, when the source fails; the session is then cancelled below.
                pending.ThrowIfFailed();
                LayerDigest layer = source.Layer;
                await FinishAsync(layer, cancellationToken).ConfigureAwait(false);
                await VerifyAsync(layer, cancellationToken).ConfigureAwait(false);
                Layer = layer;
            }
            catch (Exception e)
            {
                await CancelAsync().ConfigureAwait(false);

                // The source's own failure (bad input, Ctrl+C) is the cause; an HTTP error that followed from it is not.
                if (pending.Failure != null && pending.Failure != e)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(pending.Failure).Throw();
                }

                throw;
            }
        }

        private async Task StartAsync(CancellationToken cancellationToken)
        {
            const string step = "Starting the upload";
            Uri uri = _client.RepositoryUri("blobs/uploads/");
            using (HttpResponseMessage response = await _client.SendAsync(
                step,
                _ => new HttpRequestMessage(HttpMethod.Post, uri) { Content = RegistryClient.EmptyContent() },
                () => true,
                cancellationToken).ConfigureAwait(false))
            {
                if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    throw await ErrorAnswer.ReadAsync(step, response).ConfigureAwait(false);
                }

                _location = NextLocation(step, response, required: true);
            }
        }

        private async Task StreamAsync(Segments pending, CancellationToken cancellationToken)
        {
            const string step = "Uploading the layer";
            using (HttpResponseMessage response = await _client.SendAsync(
                step,
                watchdog =>
                {
                    var content = new BlobContent(pending, watchdog, cancellationToken, n => Interlocked.Add(ref _uploaded, n));
                    var request = new HttpRequestMessage(new HttpMethod("PATCH"), _location) { Content = content };
                    // A front end that refuses a streamed body then says so before any of it is sent, and chunks can take over.
                    request.Headers.ExpectContinue = true;
                    return request;
                },
                () => !pending.Started,
                cancellationToken,
                HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false))
            {
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    _location = NextLocation(step, response, required: true);
                    return;
                }

                if (!pending.Started && RefusesStreamedBody(response.StatusCode))
                {
                    _client.Log(string.Format(
                        CultureInfo.InvariantCulture,
                        "the registry refused a streamed body ({0} {1}) before any of it was sent; uploading in chunks of {2} bytes instead",
                        (int)response.StatusCode,
                        response.ReasonPhrase,
                        Math.Min(_chunkSize, 4 << 20)));
                    _chunkSize = Math.Min(_chunkSize, 4 << 20);
                    await ChunksAsync(pending, cancellationToken).ConfigureAwait(false);
                    return;
                }

                RegistryException error = await ErrorAnswer.ReadAsync(step, response).ConfigureAwait(false);
                if (pending.Started && RefusesStreamedBody(response.StatusCode))
                {
                    throw error.Rephrased(error.Failure, error.Message + " The registry or a proxy in front of it limits request bodies: push with -UploadMode Chunked and a -ChunkSize it accepts.", error);
                }

                throw error;
            }
        }

        private async Task ChunksAsync(Segments pending, CancellationToken cancellationToken)
        {
            // Two buffers: the next chunk fills from the encoder while the current one is on the wire.
            var current = new byte[_chunkSize];
            var next = new byte[_chunkSize];
            long offset = 0;
            int count = await pending.FillAsync(current, cancellationToken).ConfigureAwait(false);
            while (count > 0)
            {
                Task<int> filling = pending.FillAsync(next, cancellationToken);
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
                    response = await _client.SendAsync(
                        step,
                        _ =>
                        {
                            var content = new ByteArrayContent(chunk, sent, length);
                            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                            var request = new HttpRequestMessage(new HttpMethod("PATCH"), _location) { Content = content };
                            // Registries expect "<start>-<end>" with no unit; .NET's ContentRangeHeaderValue would write "bytes ...".
                            request.Content.Headers.TryAddWithoutValidation("Content-Range", first.ToString(CultureInfo.InvariantCulture) + "-" + last.ToString(CultureInfo.InvariantCulture));
                            return request;
                        },
                        () => false, // a failed chunk is resent from what the registry has, below
                        cancellationToken).ConfigureAwait(false);
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
                        _location = NextLocation(step, response, required: true);
                        long received = ReceivedFromRange(response) ?? last + 1;
                        if (received < first || received > last + 1)
                        {
                            throw new RegistryException(
                                RegistryFailure.ProtocolError,
                                string.Format(CultureInfo.InvariantCulture, "{0}: after bytes {1}-{2} the registry reports {3} bytes received.", step, first, last, received));
                        }

                        Interlocked.Add(ref _uploaded, received - first);
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

                    if ((status == 408 || status == 429 || status >= 500) && failures < _options.MaximumRetryCount)
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
            using (HttpResponseMessage response = await _client.SendAsync(
                step,
                _ => new HttpRequestMessage(HttpMethod.Get, _location),
                () => true,
                cancellationToken).ConfigureAwait(false))
            {
                if (response.StatusCode != HttpStatusCode.NoContent && response.StatusCode != HttpStatusCode.OK)
                {
                    throw await ErrorAnswer.ReadAsync(step, response).ConfigureAwait(false);
                }

                _location = NextLocation(step, response, required: false) ?? _location;
                long received = ReceivedFromRange(response) ?? 0;
                if (received < start || received > start + count)
                {
                    throw new RegistryException(
                        RegistryFailure.ProtocolError,
                        string.Format(CultureInfo.InvariantCulture, "{0}: it has {1} bytes, but the chunk being resent covers {2} to {3}; the upload cannot continue.", step, received, start, start + count));
                }

                Interlocked.Exchange(ref _uploaded, received);
                return (int)(received - start);
            }
        }

        private async Task FinishAsync(LayerDigest layer, CancellationToken cancellationToken)
        {
            const string step = "Finishing the upload";
            Uri uri = WithQuery(_location, "digest", layer.Digest);
            using (HttpResponseMessage response = await _client.SendAsync(
                step,
                _ => new HttpRequestMessage(HttpMethod.Put, uri) { Content = RegistryClient.EmptyContent() },
                () => true,
                cancellationToken).ConfigureAwait(false))
            {
                if (response.StatusCode == HttpStatusCode.Created || response.StatusCode == HttpStatusCode.NoContent)
                {
                    string confirmed = ResponseHeaders.Value(response, "Docker-Content-Digest");
                    if (confirmed != null && confirmed != layer.Digest)
                    {
                        throw new RegistryException(RegistryFailure.ProtocolError, step + ": the registry stored the blob as " + confirmed + ", not " + layer.Digest + ".");
                    }

                    _location = null;
                    return;
                }

                RegistryException error = await ErrorAnswer.ReadAsync(step, response).ConfigureAwait(false);

                // A PUT whose answer was lost may have landed: a retry then finds the session gone. The blob decides.
                if (error.ErrorCode == "BLOB_UPLOAD_UNKNOWN" && await ExistsAsync(layer, cancellationToken).ConfigureAwait(false))
                {
                    _client.Log("the session is gone, but the registry holds the blob: an earlier attempt had finished it");
                    _location = null;
                    return;
                }

                throw error;
            }
        }

        private async Task VerifyAsync(LayerDigest layer, CancellationToken cancellationToken)
        {
            if (!await ExistsAsync(layer, cancellationToken).ConfigureAwait(false))
            {
                throw new RegistryException(RegistryFailure.ProtocolError, "Confirming the blob: the registry accepted the upload but has no blob " + layer.Digest + ".");
            }
        }

        private Task<bool> ExistsAsync(LayerDigest layer, CancellationToken cancellationToken) =>
            Blobs.ExistsAsync(_client, layer.Digest, layer.Size, cancellationToken);

        /// <summary>
        /// Deletes the upload session, best effort, even when the push was cancelled, and checks that it is gone:
        /// a registry can still be writing a body that was cut off when the DELETE arrives (distribution then
        /// recreates the session's files), so a session that is still there is deleted again.
        /// </summary>
        private async Task CancelAsync()
        {
            Uri location = _location;
            if (location == null)
            {
                return;
            }

            _location = null;
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Min(30, _options.Timeout.TotalSeconds))))
            {
                try
                {
                    for (int attempt = 1; attempt <= 4; attempt++)
                    {
                        using (HttpResponseMessage deleted = await _client.SendAsync("Cancelling the upload", _ => new HttpRequestMessage(HttpMethod.Delete, location), () => false, timeout.Token).ConfigureAwait(false))
                        {
                        }

                        await Task.Delay(100 * attempt, timeout.Token).ConfigureAwait(false);
                        using (HttpResponseMessage status = await _client.SendAsync("Checking the upload is cancelled", _ => new HttpRequestMessage(HttpMethod.Get, location), () => false, timeout.Token).ConfigureAwait(false))
                        {
                            if (status.StatusCode == HttpStatusCode.NotFound || status.StatusCode == HttpStatusCode.BadRequest)
                            {
                                RegistryException answer = await ErrorAnswer.ReadAsync("Checking the upload is cancelled", status).ConfigureAwait(false);
                                if (answer.ErrorCode == "BLOB_UPLOAD_INVALID")
                                {
                                    // distribution answers so when it holds more of the session than its last answer said
                                    // (part of a request that failed reached it): that session no longer takes any request.
                                    _client.Log("the registry no longer accepts requests for this upload session (it kept part of a failed request), so it cannot be deleted; it can never become a blob and the registry purges it when it expires");
                                    return;
                                }

                                if (status.StatusCode == HttpStatusCode.NotFound)
                                {
                                    return;
                                }
                            }
                        }
                    }

                    _client.Log("the registry still holds the upload session; it will expire on its own");
                }
                catch (Exception e) when (e is RegistryException || e is OperationCanceledException || e is HttpRequestException)
                {
                    _client.Log("cancelling the upload session failed (" + e.Message + "); it will expire on its own");
                }
            }
        }

        private static bool RefusesStreamedBody(HttpStatusCode status)
        {
            int code = (int)status;
            return code == 411 || code == 413 || code == 416;
        }

        private static Uri NextLocation(string step, HttpResponseMessage response, bool required)
        {
            Uri location = ResponseHeaders.Location(response);
            if (location == null && required)
            {
                throw new RegistryException(RegistryFailure.ProtocolError, step + ": the registry's answer has no Location for the upload.");
            }

            return location;
        }

        private static long? ReceivedFromRange(HttpResponseMessage response)
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

            // "0-0" is what distribution says for an empty upload.
            return end == 0 ? 0 : end + 1;
        }

        internal static Uri WithQuery(Uri uri, string name, string value)
        {
            var builder = new UriBuilder(uri);
            string pair = name + "=" + Uri.EscapeDataString(value);
            string query = builder.Query.TrimStart('?');
            builder.Query = query.Length == 0 ? pair : query + "&" + pair;
            return builder.Uri;
        }

        /// <summary>The source's blob as segments, with the unread rest of the last one kept for the next chunk.</summary>
        private sealed class Segments
        {
            private readonly IBlobSource _source;
            private ArraySegment<byte> _rest;
            private bool _ended;

            public Segments(IBlobSource source) => _source = source;

            /// <summary>What the source threw: the layer's root failure. Null while the blob is fine.</summary>
            public Exception Failure { get; private set; }

            public void ThrowIfFailed()
            {
                if (Failure != null)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(Failure).Throw();
                }
            }

            /// <summary>Whether any of the blob has been taken; after that, a request that carried it cannot be sent again.</summary>
            public bool Started { get; private set; }

            public async Task<ArraySegment<byte>> NextAsync(CancellationToken cancellationToken)
            {
                Started = true;
                if (_rest.Count > 0)
                {
                    ArraySegment<byte> rest = _rest;
                    _rest = default;
                    return rest;
                }

                if (_ended)
                {
                    return default;
                }

                ArraySegment<byte> segment;
                try
                {
                    segment = await _source.ReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    Failure = e;
                    throw;
                }

                _ended = segment.Count == 0;
                return segment;
            }

            /// <summary>Fills <paramref name="buffer"/> as far as the blob goes; returns the count (0 at the end).</summary>
            public async Task<int> FillAsync(byte[] buffer, CancellationToken cancellationToken)
            {
                int filled = 0;
                while (filled < buffer.Length)
                {
                    ArraySegment<byte> segment = await NextAsync(cancellationToken).ConfigureAwait(false);
                    if (segment.Count == 0)
                    {
                        break;
                    }

                    int n = Math.Min(segment.Count, buffer.Length - filled);
                    Buffer.BlockCopy(segment.Array, segment.Offset, buffer, filled, n);
                    filled += n;
                    if (n < segment.Count)
                    {
                        _rest = new ArraySegment<byte>(segment.Array, segment.Offset + n, segment.Count - n);
                    }
                }

                return filled;
            }
        }

        /// <summary>
        /// A request body that is the rest of the blob, sent as the encoder produces it. When the input fails
        /// (bad bytes, Ctrl+C) the body ends cleanly instead of being cut off: the registry then answers with a
        /// session state that a DELETE accepts, where a cut body leaves distribution with a session that cannot be
        /// deleted. The caller sees the failure and never finishes the upload.
        /// </summary>
        private sealed class BlobContent : HttpContent
        {
            private readonly Segments _segments;
            private readonly Watchdog _watchdog;
            private readonly CancellationToken _cancellationToken;
            private readonly Action<int> _sent;

            public BlobContent(Segments segments, Watchdog watchdog, CancellationToken cancellationToken, Action<int> sent)
            {
                _segments = segments;
                _watchdog = watchdog;
                _cancellationToken = cancellationToken;
                _sent = sent;
                Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            }

            protected override async Task SerializeToStreamAsync(Stream stream, TransportContext context)
            {
                while (true)
                {
                    ArraySegment<byte> segment;
                    try
                    {
                        segment = await _segments.NextAsync(_cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception) when (_segments.Failure != null || _cancellationToken.IsCancellationRequested)
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
                    _sent(segment.Count);
                }
            }

            protected override bool TryComputeLength(out long length)
            {
                length = 0;
                return false;
            }
        }
    }
}
