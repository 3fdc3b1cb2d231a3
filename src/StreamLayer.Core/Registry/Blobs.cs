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
    /// The blob endpoints of a repository beyond the streamed layer upload: whether a blob is there, mounting
    /// one from another repository, copying one between registries, and uploading a small one whole.
    /// </summary>
    public static class Blobs
    {
        /// <summary>Whether the repository holds the blob; a blob of another size is an error.</summary>
        public static async Task<bool> ExistsAsync(RegistryClient client, string digest, long size, CancellationToken cancellationToken)
        {
            const string step = "Looking for a blob";
            Uri uri = client.RepositoryUri("blobs/" + digest);
            using (HttpResponseMessage response = await client.SendAsync(step, _ => new HttpRequestMessage(HttpMethod.Head, uri), () => true, cancellationToken).ConfigureAwait(false))
            {
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    return false;
                }

                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw await ErrorAnswer.ReadAsync(step, response).ConfigureAwait(false);
                }

                long? length = response.Content?.Headers.ContentLength;
                string confirmed = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? string.Join(",", values) : null;
                if ((size >= 0 && length.HasValue && length.Value != size) || (confirmed != null && confirmed != digest))
                {
                    throw new RegistryException(
                        RegistryFailure.ProtocolError,
                        string.Format(CultureInfo.InvariantCulture, "{0}: {1} holds {2} as {3} bytes ({4}), but it should be {5} bytes.", step, client.Repository.Name, digest, length, confirmed ?? "no digest header", size));
                }

                return true;
            }
        }

        /// <summary>
        /// Asks the registry to link a blob from another of its repositories (a cross-repository mount). False
        /// when it would not (it opened an upload session instead, which is cancelled here).
        /// </summary>
        public static async Task<bool> MountAsync(RegistryClient target, string digest, string fromRepository, CancellationToken cancellationToken)
        {
            const string step = "Mounting a blob";
            Uri uri = BlobUpload.WithQuery(BlobUpload.WithQuery(target.RepositoryUri("blobs/uploads/"), "mount", digest), "from", fromRepository);
            using (HttpResponseMessage response = await target.SendAsync(step, _ => new HttpRequestMessage(HttpMethod.Post, uri) { Content = RegistryClient.EmptyContent() }, () => true, cancellationToken).ConfigureAwait(false))
            {
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    return true;
                }

                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    Uri session = ResponseHeaders.Location(response);
                    if (session != null)
                    {
                        using (await target.SendAsync("Cancelling the session a mount opened", _ => new HttpRequestMessage(HttpMethod.Delete, session), () => true, cancellationToken).ConfigureAwait(false))
                        {
                        }
                    }

                    return false;
                }

                throw await ErrorAnswer.ReadAsync(step, response).ConfigureAwait(false);
            }
        }

        /// <summary>Streams a blob from one repository into another (any registries), checking digest and size on arrival.</summary>
        public static async Task CopyAsync(RegistryClient source, RegistryClient target, string digest, long size, CancellationToken cancellationToken)
        {
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    using (HttpResponseMessage blob = await GetAsync(source, digest, cancellationToken).ConfigureAwait(false))
                    {
                        long length = blob.Content.Headers.ContentLength ?? size;
                        Stream body = await blob.Content.ReadAsStreamAsync().ConfigureAwait(false);
                        await UploadAsync(target, digest, length, () => new StreamContent(body, 1 << 20), replayable: false, cancellationToken).ConfigureAwait(false);
                    }

                    return;
                }
                catch (Exception e) when ((e is IOException || e is HttpRequestException || (e is RegistryException r && (r.Failure == RegistryFailure.ConnectionFailed || r.Failure == RegistryFailure.Timeout)))
                    && attempt < target.Options.MaximumRetryCount && !cancellationToken.IsCancellationRequested)
                {
                    target.Log("copying " + digest + " failed (" + e.Message + "); copying it again");
                }
            }
        }

        /// <summary>Uploads a small blob (a config) in one request after opening the session.</summary>
        public static Task UploadAsync(RegistryClient target, byte[] bytes, CancellationToken cancellationToken) =>
            UploadAsync(target, Descriptor.Sha256(bytes), bytes.Length, () => new ByteArrayContent(bytes), replayable: true, cancellationToken);

        /// <summary>GET of a blob, following redirects (to blob storage, say); the caller reads and disposes the answer.</summary>
        public static async Task<HttpResponseMessage> GetAsync(RegistryClient source, string digest, CancellationToken cancellationToken)
        {
            const string step = "Reading a blob";
            Uri uri = source.RepositoryUri("blobs/" + digest);
            for (int hops = 0; hops <= 5; hops++)
            {
                Uri current = uri;
                HttpResponseMessage response = await source.SendAsync(step, _ => new HttpRequestMessage(HttpMethod.Get, current), () => true, cancellationToken, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
                int status = (int)response.StatusCode;
                if (status >= 300 && status < 400 && response.Headers.Location != null)
                {
                    uri = ResponseHeaders.Location(response);
                    response.Dispose();
                    continue;
                }

                if (response.StatusCode != HttpStatusCode.OK)
                {
                    using (response)
                    {
                        throw await ErrorAnswer.ReadAsync(step, response).ConfigureAwait(false);
                    }
                }

                return response;
            }

            throw new RegistryException(RegistryFailure.ProtocolError, step + ": more than 5 redirects for " + digest + ".");
        }

        private static async Task UploadAsync(RegistryClient target, string digest, long size, Func<HttpContent> body, bool replayable, CancellationToken cancellationToken)
        {
            const string start = "Starting an upload";
            const string finish = "Uploading a blob";
            Uri location;
            using (HttpResponseMessage response = await target.SendAsync(start, _ => new HttpRequestMessage(HttpMethod.Post, target.RepositoryUri("blobs/uploads/")) { Content = RegistryClient.EmptyContent() }, () => true, cancellationToken).ConfigureAwait(false))
            {
                location = ResponseHeaders.Location(response);
                if (response.StatusCode != HttpStatusCode.Accepted || location == null)
                {
                    throw await ErrorAnswer.ReadAsync(start, response).ConfigureAwait(false);
                }
            }

            Uri put = BlobUpload.WithQuery(location, "digest", digest);
            try
            {
                using (HttpResponseMessage response = await target.SendAsync(
                    finish,
                    _ =>
                    {
                        HttpContent content = body();
                        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                        content.Headers.ContentLength = size;
                        return new HttpRequestMessage(HttpMethod.Put, put) { Content = content };
                    },
                    () => replayable,
                    cancellationToken).ConfigureAwait(false))
                {
                    if (response.StatusCode != HttpStatusCode.Created && response.StatusCode != HttpStatusCode.NoContent)
                    {
                        throw await ErrorAnswer.ReadAsync(finish, response).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception)
            {
                using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
                {
                    try
                    {
                        using (await target.SendAsync("Cancelling the upload", _ => new HttpRequestMessage(HttpMethod.Delete, location), () => false, timeout.Token).ConfigureAwait(false))
                        {
                        }
                    }
                    catch (Exception e) when (e is RegistryException || e is OperationCanceledException)
                    {
                        target.Log("cancelling the upload session failed (" + e.Message + "); it will expire on its own");
                    }
                }

                throw;
            }

            if (!await ExistsAsync(target, digest, size, cancellationToken).ConfigureAwait(false))
            {
                throw new RegistryException(RegistryFailure.ProtocolError, finish + ": the registry accepted " + digest + " but does not hold it.");
            }
        }

    }
}
