using System;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Http;

namespace StreamLayer.Registry.Blobs
{
    /// <summary>The blobs a repository holds: whether one is there (HEAD), and reading one (GET).</summary>
    internal static class RepositoryBlobs
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
                string confirmed = ResponseHeaders.Value(response, "Docker-Content-Digest");
                if ((size >= 0 && length.HasValue && length.Value != size) || (confirmed != null && confirmed != digest))
                {
                    throw new RegistryException(
                        RegistryFailure.ProtocolError,
                        string.Format(CultureInfo.InvariantCulture, "{0}: {1} holds {2} as {3} bytes ({4}), but it should be {5} bytes.", step, client.Repository.Name, digest, length, confirmed ?? "no digest header", size));
                }

                return true;
            }
        }

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
    }
}
