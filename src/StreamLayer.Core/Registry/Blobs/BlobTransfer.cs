using System;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Client;
using StreamLayer.Registry.Http;

namespace StreamLayer.Registry.Blobs
{
    /// <summary>Blobs that are not layers being made: a small one uploaded in one request (a config), or one copied from a repository of any registry.</summary>
    internal static class BlobTransfer
    {
        /// <summary>Uploads a small blob in one request after opening the session.</summary>
        public static async Task UploadAsync(RegistryClient target, byte[] bytes, CancellationToken cancellationToken)
        {
            const string finish = "Uploading a blob";
            string digest = Sha256Digest.Of(bytes);
            UploadSession session = await UploadSession.OpenAsync(target, "Starting an upload", cancellationToken).ConfigureAwait(false);
            try
            {
                await session.PutBlobAsync(finish, digest, bytes, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception)
            {
                await session.AbandonAsync().ConfigureAwait(false);
                throw;
            }

            await RepositoryBlobs.ConfirmAsync(target, finish, digest, bytes.Length, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>
        /// Streams a blob from one repository into another (any registries) as a layer travels (RegistrySink), checking
        /// digest and size on arrival. A stop ends a stuck read of the source by closing it, so the upload's body ends
        /// cleanly and its session is deleted.
        /// </summary>
        /// <param name="copied">Told the bytes copied so far, as they go (from 0 again when a copy is retried).</param>
        public static async Task CopyAsync(RegistryClient source, RegistryClient target, string digest, long size, CancellationToken cancellationToken, Action<long> copied = null)
        {
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    using (HttpResponseMessage blob = await RepositoryBlobs.GetAsync(source, digest, cancellationToken).ConfigureAwait(false))
                    using (cancellationToken.Register(blob.Dispose))
                    using (var read = new CopiedBlob(await blob.Content.ReadAsStreamAsync().ConfigureAwait(false), digest, size, source.Repository.Name, RedactedUrl.Of(source.RepositoryUri("blobs/" + digest)), copied))
                    {
                        copied?.Invoke(0);
                        await new RegistrySink(target).ConsumeAsync(read, cancellationToken).ConfigureAwait(false);
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
    }
}
