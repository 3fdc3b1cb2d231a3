using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry;
using StreamLayer.Registry.Blobs;
using StreamLayer.Registry.Client;
using StreamLayer.Registry.Images;
using StreamLayer.Registry.Json;

namespace StreamLayer.Layouts
{
    /// <summary>
    /// An OCI image layout as the place of an image: blobs into blobs/sha256 (a base's copied from its registry), the
    /// manifest as a blob, and its tags as index.json entries named by org.opencontainers.image.ref.name, all tags in
    /// one replacement of index.json.
    /// </summary>
    internal sealed class LayoutImageTarget : IImageTarget
    {
        private readonly ImageLayout _layout;
        private readonly Action<string> _log;

        public LayoutImageTarget(ImageLayout layout, Action<string> log)
        {
            _layout = layout;
            _log = log;
        }

        public string Name => _layout.Name;

        public string Registry => null;

        public string Repository => _layout.Name;

        public string ReferenceOf(string digest) => _layout.Name + "@" + digest;

        public void Log(string message) => _log?.Invoke(message);

        /// <summary>Copies the blobs the layout lacks from the registry, each checked against its digest and size before it gets its name.</summary>
        public async Task MakeAvailableAsync(RegistryClient source, IReadOnlyList<JsonValue> descriptors, string noun, IProgress<ImageStep> progress, CancellationToken cancellationToken)
        {
            for (int i = 0; i < descriptors.Count; i++)
            {
                JsonValue blob = descriptors[i];
                string digest = Descriptor.DigestOf(blob);
                long size = Descriptor.SizeOf(blob);
                var step = new ImageStep("Copying " + noun, i + 1, descriptors.Count, digest, 0, size);
                progress?.Report(new ImageStep("Checking " + noun, i + 1, descriptors.Count, digest, 0, size));
                if (!ImagePublisher.IsDistributable(blob))
                {
                    Log(noun + " " + digest + " is not distributable; it stays where its URLs point");
                    continue;
                }

                if (_layout.HasBlob(digest, size))
                {
                    Log(noun + " " + digest + " is already in " + Name);
                    continue;
                }

                Log("copying " + noun + " " + digest + " (" + size + " bytes) from " + source.Repository.Name);
                using (HttpResponseMessage response = await RepositoryBlobs.GetAsync(source, digest, cancellationToken).ConfigureAwait(false))
                using (Stream body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false))
                using (LayoutBlob file = _layout.CreateBlob())
                {
                    var buffer = new byte[1 << 20];
                    int read;
                    while ((read = await ReadAsync(body, buffer, source, cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        await file.WriteAsync(buffer, 0, read, cancellationToken).ConfigureAwait(false);
                        progress?.Report(step.WithBytes(file.Length));
                        if (size >= 0 && file.Length > size)
                        {
                            break;
                        }
                    }

                    file.Commit(digest, size);
                }
            }
        }

        public Task<bool> HasBlobAsync(string digest, long size, CancellationToken cancellationToken) => Task.FromResult(_layout.HasBlob(digest, size));

        /// <summary>By digest, or by the name (org.opencontainers.image.ref.name) index.json gives it.</summary>
        public Task<FetchedManifest> GetManifestAsync(string reference, CancellationToken cancellationToken)
        {
            string digest = reference;
            string listedType = null;
            if (!reference.StartsWith(Sha256Digest.Prefix, StringComparison.Ordinal))
            {
                JsonValue entry = null;
                foreach (JsonValue manifest in _layout.Manifests())
                {
                    if (ImageLayout.RefNameOf(manifest) == reference)
                    {
                        entry = manifest;
                    }
                }

                if (entry == null)
                {
                    return Task.FromResult<FetchedManifest>(null);
                }

                digest = entry["digest"].AsString;
                listedType = entry["mediaType"].AsString;
            }

            byte[] bytes = _layout.ReadBlob(digest, CappedContent.ManifestLimit);
            if (bytes == null)
            {
                return Task.FromResult<FetchedManifest>(_layout.HasBlob(digest, -1)
                    ? throw new ImageException(ImageFailure.BaseImageInvalid, Name + ":" + reference + " is over " + (CappedContent.ManifestLimit >> 20) + " MiB, more than a manifest may be.")
                    : null);
            }

            if (!JsonValue.TryParse(bytes, out JsonValue json) || json.Kind != JsonKind.Object)
            {
                throw new ImageException(ImageFailure.BaseImageInvalid, Name + ":" + reference + " is not a JSON manifest.");
            }

            return Task.FromResult(new FetchedManifest(json["mediaType"]?.AsString ?? listedType, bytes, json));
        }

        public Task<JsonValue> ReadConfigAsync(string digest, CancellationToken cancellationToken)
        {
            byte[] bytes = _layout.ReadBlob(digest, CappedContent.ConfigLimit);
            return Task.FromResult(bytes != null && JsonValue.TryParse(bytes, out JsonValue config) && config.Kind == JsonKind.Object ? config : null);
        }

        public Task PutBlobAsync(byte[] bytes, CancellationToken cancellationToken) => _layout.WriteBlobAsync(bytes, cancellationToken);

        public async Task<string> PutManifestAsync(byte[] manifest, string mediaType, IReadOnlyList<string> tags, Action<int> tagging, CancellationToken cancellationToken)
        {
            await _layout.WriteBlobAsync(manifest, cancellationToken).ConfigureAwait(false);
            string digest = Sha256Digest.Of(manifest);
            for (int i = 0; i < tags.Count; i++)
            {
                tagging?.Invoke(i);
            }

            await _layout.AddToIndexAsync(Descriptor.Create(mediaType, manifest.Length, digest), tags, cancellationToken).ConfigureAwait(false);
            return digest;
        }

        /// <summary>One read of the blob's body, bounded by the registry's -TimeoutSec: a registry that stops sending mid-blob is given up on.</summary>
        private static async Task<int> ReadAsync(Stream body, byte[] buffer, RegistryClient source, CancellationToken cancellationToken)
        {
            using (var stalled = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                stalled.CancelAfter(source.Options.Timeout);
                try
                {
                    return await body.ReadAsync(buffer, 0, buffer.Length, stalled.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new RegistryException(RegistryFailure.Timeout, "Reading a blob from " + source.Repository.Name + ": nothing arrived for " + (int)source.Options.Timeout.TotalSeconds + " s (-TimeoutSec).", e);
                }
                catch (IOException e) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new RegistryException(RegistryFailure.ConnectionFailed, "Reading a blob from " + source.Repository.Name + " broke off: " + e.Message, e);
                }
            }
        }
    }
}
