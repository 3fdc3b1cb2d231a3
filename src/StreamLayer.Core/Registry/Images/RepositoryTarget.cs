using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Blobs;
using StreamLayer.Registry.Client;
using StreamLayer.Registry.Json;

namespace StreamLayer.Registry.Images
{
    /// <summary>A registry repository as the place of an image: blobs by HEAD and upload (or mount), manifests and tags by PUT.</summary>
    internal sealed class RepositoryTarget : IImageTarget
    {
        private readonly RegistryClient _client;

        public RepositoryTarget(RegistryClient client) => _client = client;

        public string Name => _client.Repository.Name;

        public string Registry => _client.Repository.Registry;

        public string Repository => _client.Repository.Repository;

        public string ReferenceOf(string digest) => _client.Repository.WithDigest(digest).ToString();

        public void Log(string message) => _client.Log(message);

        public Task MakeAvailableAsync(RegistryClient source, IReadOnlyList<JsonValue> descriptors, string noun, IProgress<ImageStep> progress, CancellationToken cancellationToken) =>
            ImagePublisher.MakeAvailableAsync(source, _client, descriptors, noun, cancellationToken, progress);

        public Task<bool> HasBlobAsync(string digest, long size, CancellationToken cancellationToken) => RepositoryBlobs.ExistsAsync(_client, digest, size, cancellationToken);

        public Task<FetchedManifest> GetManifestAsync(string reference, CancellationToken cancellationToken) => Manifests.GetAsync(_client, reference, cancellationToken);

        public Task<JsonValue> ReadConfigAsync(string digest, CancellationToken cancellationToken) => ConfigBlob.ReadAsync(_client, digest, cancellationToken);

        public async Task PutBlobAsync(byte[] bytes, CancellationToken cancellationToken)
        {
            if (!await RepositoryBlobs.ExistsAsync(_client, Sha256Digest.Of(bytes), bytes.Length, cancellationToken).ConfigureAwait(false))
            {
                await BlobTransfer.UploadAsync(_client, bytes, cancellationToken).ConfigureAwait(false);
            }
        }

        public async Task<string> PutManifestAsync(byte[] manifest, string mediaType, IReadOnlyList<string> tags, Action<int> tagging, CancellationToken cancellationToken)
        {
            string digest = await Manifests.PutAsync(_client, Sha256Digest.Of(manifest), manifest, mediaType, cancellationToken).ConfigureAwait(false);
            for (int i = 0; i < tags.Count; i++)
            {
                tagging?.Invoke(i);
                await Manifests.PutAsync(_client, tags[i], manifest, mediaType, cancellationToken).ConfigureAwait(false);
            }

            return digest;
        }
    }
}
