using System;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Client;

namespace StreamLayer.Registry.Blobs
{
    /// <summary>
    /// Uploads one layer's blob while the encoder produces it, following the OCI distribution push flow:
    /// POST to open a session, PATCH the bytes (one streamed request, or Content-Range chunks), PUT with the
    /// digest, then HEAD to confirm the registry holds that digest at that size. A session that cannot finish
    /// is cancelled with DELETE, so no blob appears under any digest.
    /// </summary>
    internal sealed class RegistrySink : ILayerSink
    {
        private readonly RegistryClient _client;
        private readonly UploadedBytes _uploaded = new UploadedBytes();

        public RegistrySink(RegistryClient client)
        {
            _client = client ?? throw new ArgumentNullException(nameof(client));
        }

        /// <summary>Compressed bytes sent to the registry so far (in chunked mode: acknowledged by it).</summary>
        public long BytesUploaded => _uploaded.Count;

        /// <summary>The layer as the registry confirmed it, once the upload is complete.</summary>
        public LayerDigest Layer { get; private set; }

        /// <summary>Reads the blob to its end and pushes it. Cancels the session on any failure.</summary>
        public async Task ConsumeAsync(IBlobSource source, CancellationToken cancellationToken)
        {
            if (source == null)
            {
                throw new ArgumentNullException(nameof(source));
            }

            UploadSession session = await UploadSession.OpenAsync(_client, "Starting the upload", cancellationToken).ConfigureAwait(false);
            var cursor = new BlobCursor(source);
            try
            {
                await SendAsync(session, cursor, cancellationToken).ConfigureAwait(false);

                // A streamed body ends early, and cleanly, when the source fails; the session is then cancelled below.
                cursor.ThrowIfFailed();
                LayerDigest layer = source.Layer;
                await session.FinishAsync(layer, cancellationToken).ConfigureAwait(false);
                await RepositoryBlobs.ConfirmAsync(_client, "Confirming the blob", layer.Digest, layer.Size, cancellationToken).ConfigureAwait(false);

                Layer = layer;
            }
            catch (RegistryException e) when (MayBeStorageFull(e) && cursor.Failure == null && !cancellationToken.IsCancellationRequested)
            {
                // A registry whose disk fills up answers mid-body and closes the connection, and .NET then reports only
                // the broken connection (or the session is left refusing requests). Its answer to a new session says why.
                RegistryException full = await AskWhetherStorageIsFullAsync(cancellationToken).ConfigureAwait(false);
                await session.CancelAsync().ConfigureAwait(false);
                if (full != null)
                {
                    throw full.Rephrased(RegistryFailure.StorageFull, e.Message + " Asked right after, the registry says its storage is full: " + full.Message, e);
                }

                throw;
            }
            catch (Exception e)
            {
                await session.CancelAsync().ConfigureAwait(false);

                // The source's own failure (bad input, Ctrl+C) is the cause; an HTTP error that followed from it is not.
                if (cursor.Failure != null && cursor.Failure != e)
                {
                    ExceptionDispatchInfo.Capture(cursor.Failure).Throw();
                }

                throw;
            }
        }

        /// <summary>
        /// The upload mode is chosen here only: the options' mode, and chunks when a front end refuses a streamed body
        /// before any of it was sent (no larger than GHCR takes).
        /// </summary>
        private async Task SendAsync(UploadSession session, BlobCursor cursor, CancellationToken cancellationToken)
        {
            RegistryOptions options = _client.Options;
            if (options.EffectiveUploadMode == UploadMode.Chunked)
            {
                await new ChunkedUpload(_client, session, _uploaded, options.EffectiveChunkSize).SendAsync(cursor, cancellationToken).ConfigureAwait(false);
                return;
            }

            string refused = await new StreamedUpload(_client, session, _uploaded).SendAsync(cursor, cancellationToken).ConfigureAwait(false);
            if (refused != null)
            {
                _client.Log(string.Format(
                    CultureInfo.InvariantCulture,
                    "the registry refused a streamed body ({0}) before any of it was sent; uploading in chunks of {1} bytes instead",
                    refused,
                    options.FallbackChunkSize));
                await new ChunkedUpload(_client, session, _uploaded, options.FallbackChunkSize).SendAsync(cursor, cancellationToken).ConfigureAwait(false);
            }
        }

        private static bool MayBeStorageFull(RegistryException e) =>
            e.Failure == RegistryFailure.ConnectionFailed || e.Failure == RegistryFailure.Unavailable || e.Failure == RegistryFailure.BlobRejected;

        private async Task<RegistryException> AskWhetherStorageIsFullAsync(CancellationToken cancellationToken)
        {
            try
            {
                UploadSession probe = await UploadSession.OpenAsync(_client, "Asking the registry why the upload broke off", cancellationToken).ConfigureAwait(false);
                await probe.AbandonAsync().ConfigureAwait(false);
                return null;
            }
            catch (RegistryException answer)
            {
                return answer.Failure == RegistryFailure.StorageFull ? answer : null;
            }
        }
    }
}
