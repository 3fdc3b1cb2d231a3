using System;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Client;
using StreamLayer.Registry.Http;

namespace StreamLayer.Registry.Blobs
{
    /// <summary>The blobs a repository holds: whether one is there (HEAD), that an upload landed, and reading one (GET).</summary>
    internal static class RepositoryBlobs
    {
        /// <summary>Whether the repository holds the blob; a blob under another digest, or of another size, is an error (the digest is checked first).</summary>
        public static async Task<bool> ExistsAsync(RegistryClient client, string digest, long size, CancellationToken cancellationToken)
        {
            const string step = "Looking for a blob";
            Uri uri = client.RepositoryUri("blobs/" + digest);
            using (HttpResponseMessage response = await client.SendAsync(new RegistryRequest(step, HttpMethod.Head, uri), cancellationToken).ConfigureAwait(false))
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
                string confirmed = ResponseHeaders.Value(response, "Docker-Content-Digest");
                if (confirmed != null && confirmed != digest)
                {
                    throw new RegistryException(
                        RegistryFailure.DigestMismatch,
                        string.Format(CultureInfo.InvariantCulture, "{0}: asked for {1}, the registry answered HEAD {2} with the blob {3} (Docker-Content-Digest). It holds other content under that name, or a proxy in front of it changes answers; the blob cannot be trusted.", step, digest, RedactedUrl.Of(uri), confirmed))
                    { Method = "HEAD", Url = RedactedUrl.Of(uri), StatusCode = response.StatusCode };
                }

                if (size >= 0 && length.HasValue && length.Value != size)
                {
                    throw new RegistryException(
                        RegistryFailure.ProtocolError,
                        string.Format(CultureInfo.InvariantCulture, "{0}: the registry answered HEAD {1} with Content-Length {2}, but the blob {3} is {4} bytes. It holds other content under that name, or a proxy in front of it changes answers; the blob cannot be trusted.", step, RedactedUrl.Of(uri), length, digest, size))
                    { Method = "HEAD", Url = RedactedUrl.Of(uri), StatusCode = response.StatusCode };
                }

                return true;
            }
        }

        /// <summary>
        /// After an upload the registry accepted: HEAD must find the blob at that size, or the registry lost what it
        /// took (or a proxy in front of it answers for another store), and nothing may refer to it.
        /// </summary>
        public static async Task ConfirmAsync(RegistryClient client, string step, string digest, long size, CancellationToken cancellationToken)
        {
            if (!await ExistsAsync(client, digest, size, cancellationToken).ConfigureAwait(false))
            {
                string url = RedactedUrl.Of(client.RepositoryUri("blobs/" + digest));
                throw new RegistryException(
                    RegistryFailure.ProtocolError,
                    step + ": the registry accepted " + digest + ", but answers HEAD " + url + " with 404 Not Found. Push again; if it happens again, the registry loses blobs it accepted: tell its operator.")
                { StatusCode = HttpStatusCode.NotFound, Method = "HEAD", Url = url };
            }
        }

        /// <summary>GET of a blob (the client follows redirects, to blob storage, say); the caller reads and disposes the answer.</summary>
        public static async Task<HttpResponseMessage> GetAsync(RegistryClient source, string digest, CancellationToken cancellationToken)
        {
            const string step = "Reading a blob";
            Uri uri = source.RepositoryUri("blobs/" + digest);
            HttpResponseMessage response = await source.SendAsync(new RegistryRequest(step, HttpMethod.Get, uri).ReadingHeadersOnly(), cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                using (response)
                {
                    throw await ErrorAnswer.ReadAsync(step, response).ConfigureAwait(false);
                }
            }

            return response;
        }
    }
}
