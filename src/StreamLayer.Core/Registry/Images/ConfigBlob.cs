using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Client;
using StreamLayer.Registry.Blobs;
using StreamLayer.Registry.Json;

namespace StreamLayer.Registry.Images
{
    /// <summary>An image's config blob, read and checked against its digest.</summary>
    internal static class ConfigBlob
    {
        /// <summary>The config as a JSON object; null when it is too large, does not match its digest, or is not a JSON object.</summary>
        public static async Task<JsonValue> ReadAsync(RegistryClient client, string digest, CancellationToken cancellationToken)
        {
            byte[] bytes;
            using (HttpResponseMessage blob = await RepositoryBlobs.GetAsync(client, digest, cancellationToken).ConfigureAwait(false))
            {
                bytes = await CappedContent.ReadAsync(blob.Content, CappedContent.ConfigLimit, cancellationToken).ConfigureAwait(false);
            }

            return bytes != null
                && Sha256Digest.Of(bytes) == digest
                && JsonValue.TryParse(bytes, out JsonValue config)
                && config.Kind == JsonKind.Object
                ? config
                : null;
        }
    }
}
