using System;
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
    /// One upload session of a repository, and every request to blobs/uploads/ but the PATCHes: POST opens it
    /// (or mounts a blob instead), each answer's Location moves it along, PUT with the digest finishes it,
    /// DELETE cancels it.
    /// </summary>
    internal sealed class UploadSession
    {
        private readonly RegistryClient _client;

        private UploadSession(RegistryClient client, Uri location)
        {
            _client = client;
            Location = location;
        }

        /// <summary>The URL of the session's next request, from the registry's latest answer; null once it is finished or cancelled.</summary>
        public Uri Location { get; private set; }

        /// <summary>POST: the registry answers 202 with the session's Location.</summary>
        public static async Task<UploadSession> OpenAsync(RegistryClient client, string step, CancellationToken cancellationToken)
        {
            using (HttpResponseMessage response = await PostAsync(client, step, client.RepositoryUri("blobs/uploads/"), cancellationToken).ConfigureAwait(false))
            {
                if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    throw await ErrorAnswer.ReadAsync(step, response).ConfigureAwait(false);
                }

                return new UploadSession(client, NextLocation(step, response));
            }
        }

        /// <summary>
        /// Asks the registry to link a blob from another of its repositories (a cross-repository mount). False
        /// when it would not (it opened an upload session instead, which is deleted here).
        /// </summary>
        public static async Task<bool> MountAsync(RegistryClient client, string digest, string fromRepository, CancellationToken cancellationToken)
        {
            const string step = "Mounting a blob";
            Uri uri = WithQuery(WithQuery(client.RepositoryUri("blobs/uploads/"), "mount", digest), "from", fromRepository);
            using (HttpResponseMessage response = await PostAsync(client, step, uri, cancellationToken).ConfigureAwait(false))
            {
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    return true;
                }

                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    Uri session = ResponseHeaders.Location(step, response);
                    if (session != null)
                    {
                        using (await client.SendAsync(new RegistryRequest("Cancelling the session a mount opened", HttpMethod.Delete, session), cancellationToken).ConfigureAwait(false))
                        {
                        }
                    }

                    return false;
                }

                throw await ErrorAnswer.ReadAsync(step, response).ConfigureAwait(false);
            }
        }

        /// <summary>Moves to the answer's Location: every PATCH answer names a new one, and an older one is refused.</summary>
        public void Follow(string step, HttpResponseMessage response) => Location = NextLocation(step, response);

        /// <summary>Moves to the answer's Location when it gives one.</summary>
        public void FollowIfGiven(string step, HttpResponseMessage response) => Location = ResponseHeaders.Location(step, response) ?? Location;

        /// <summary>GET on the session: 204 with Range, how much of the blob the registry holds.</summary>
        public Task<HttpResponseMessage> StatusAsync(string step, CancellationToken cancellationToken) =>
            _client.SendAsync(new RegistryRequest(step, HttpMethod.Get, Location), cancellationToken);

        /// <summary>
        /// PUT with the digest and no body, once every byte went by PATCH; checks the digest the registry stored.
        /// A PUT whose answer was lost may have landed: a retry then finds the session gone, and the blob decides.
        /// </summary>
        public async Task FinishAsync(LayerDigest layer, CancellationToken cancellationToken)
        {
            const string step = "Finishing the upload";
            using (HttpResponseMessage response = await PutAsync(step, layer.Digest, EmptyContent, cancellationToken).ConfigureAwait(false))
            {
                if (response.StatusCode == HttpStatusCode.Created || response.StatusCode == HttpStatusCode.NoContent)
                {
                    string confirmed = ResponseHeaders.Value(response, "Docker-Content-Digest");
                    if (confirmed != null && confirmed != layer.Digest)
                    {
                        throw new RegistryException(
                            RegistryFailure.DigestMismatch,
                            step + ": the registry answered PUT " + RedactedUrl.Of(response.RequestMessage?.RequestUri) + " saying it stored the blob as " + confirmed + ", not " + layer.Digest + " as pushed; the blob cannot be trusted.")
                        { Method = "PUT", Url = RedactedUrl.Of(response.RequestMessage?.RequestUri), StatusCode = response.StatusCode };
                    }

                    Location = null;
                    return;
                }

                RegistryException error = await ErrorAnswer.ReadAsync(step, response).ConfigureAwait(false);
                if (error.ErrorCode == "BLOB_UPLOAD_UNKNOWN" && await RepositoryBlobs.ExistsAsync(_client, layer.Digest, layer.Size, cancellationToken).ConfigureAwait(false))
                {
                    _client.Log("the session is gone, but the registry holds the blob: an earlier attempt had finished it");
                    Location = null;
                    return;
                }

                throw error;
            }
        }

        /// <summary>PUT with the digest and the whole (small) blob as the body (a monolithic upload); a retry sends it again.</summary>
        public async Task PutBlobAsync(string step, string digest, byte[] bytes, CancellationToken cancellationToken)
        {
            Func<HttpContent> content = () =>
            {
                var blob = new ByteArrayContent(bytes);
                blob.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                blob.Headers.ContentLength = bytes.Length;
                return blob;
            };
            using (HttpResponseMessage response = await PutAsync(step, digest, content, cancellationToken).ConfigureAwait(false))
            {
                if (response.StatusCode != HttpStatusCode.Created && response.StatusCode != HttpStatusCode.NoContent)
                {
                    throw await ErrorAnswer.ReadAsync(step, response).ConfigureAwait(false);
                }

                Location = null;
            }
        }

        /// <summary>
        /// Deletes the session, best effort, even when the push was cancelled, and checks that it is gone:
        /// a registry can still be writing a body that was cut off when the DELETE arrives (distribution then
        /// recreates the session's files), so a session that is still there is deleted again.
        /// </summary>
        public async Task CancelAsync()
        {
            Uri location = Location;
            if (location == null)
            {
                return;
            }

            Location = null;
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Min(30, _client.Options.Timeout.TotalSeconds))))
            {
                try
                {
                    for (int attempt = 1; attempt <= 4; attempt++)
                    {
                        using (HttpResponseMessage deleted = await _client.SendAsync(new RegistryRequest("Cancelling the upload", HttpMethod.Delete, location).WithoutRetries(), timeout.Token).ConfigureAwait(false))
                        {
                        }

                        await Task.Delay(100 * attempt, timeout.Token).ConfigureAwait(false);
                        using (HttpResponseMessage status = await _client.SendAsync(new RegistryRequest("Checking the upload is cancelled", HttpMethod.Get, location).WithoutRetries(), timeout.Token).ConfigureAwait(false))
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

        /// <summary>Deletes the session with one DELETE, best effort, within 10 s.</summary>
        public async Task AbandonAsync()
        {
            Uri location = Location;
            if (location == null)
            {
                return;
            }

            Location = null;
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            {
                try
                {
                    using (await _client.SendAsync(new RegistryRequest("Cancelling the upload", HttpMethod.Delete, location).WithoutRetries(), timeout.Token).ConfigureAwait(false))
                    {
                    }
                }
                catch (Exception e) when (e is RegistryException || e is OperationCanceledException)
                {
                    _client.Log("cancelling the upload session failed (" + e.Message + "); it will expire on its own");
                }
            }
        }

        private Task<HttpResponseMessage> PutAsync(string step, string digest, Func<HttpContent> body, CancellationToken cancellationToken) =>
            _client.SendAsync(new RegistryRequest(step, HttpMethod.Put, WithQuery(Location, "digest", digest)).WithBody(body), cancellationToken);

        private static Task<HttpResponseMessage> PostAsync(RegistryClient client, string step, Uri uri, CancellationToken cancellationToken) =>
            client.SendAsync(new RegistryRequest(step, HttpMethod.Post, uri).WithBody(EmptyContent), cancellationToken);

        private static Uri NextLocation(string step, HttpResponseMessage response) =>
            ResponseHeaders.Location(step, response)
            ?? throw new RegistryException(
                RegistryFailure.ProtocolError,
                step + ": the registry answered " + response.RequestMessage?.Method + " " + RedactedUrl.Of(response.RequestMessage?.RequestUri) + " with "
                + (int)response.StatusCode + " " + response.ReasonPhrase + " but no Location for the upload, which the protocol requires; the registry or a proxy in front of it is misconfigured: tell its operator.")
            {
                StatusCode = response.StatusCode,
                Method = response.RequestMessage?.Method.Method,
                Url = RedactedUrl.Of(response.RequestMessage?.RequestUri),
            };

        /// <summary>A body of no bytes with Content-Length: 0, which some registries want on POST and PUT.</summary>
        private static HttpContent EmptyContent()
        {
            var content = new ByteArrayContent(Array.Empty<byte>());
            content.Headers.ContentLength = 0;
            return content;
        }

        /// <summary>The URL with name=value added to its query (the session's own state stays in it).</summary>
        private static Uri WithQuery(Uri uri, string name, string value)
        {
            var builder = new UriBuilder(uri);
            string pair = name + "=" + Uri.EscapeDataString(value);
            string query = builder.Query.TrimStart('?');
            builder.Query = query.Length == 0 ? pair : query + "&" + pair;
            return builder.Uri;
        }
    }
}
