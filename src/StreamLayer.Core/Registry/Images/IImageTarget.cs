using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Client;
using StreamLayer.Registry.Json;

namespace StreamLayer.Registry.Images
{
    /// <summary>
    /// Where an image's blobs and manifest go: a registry repository (<see cref="RepositoryTarget"/>) or an OCI image
    /// layout on disk (StreamLayer.Layouts). The rules of what an image is (<see cref="ImagePublisher"/>) are the same
    /// for both; a new kind of place is a new implementation.
    /// </summary>
    internal interface IImageTarget
    {
        /// <summary>How messages name it: "localhost:5000/app", "oci:/srv/out/image".</summary>
        string Name { get; }

        /// <summary>The registry's host and port; null for a place that is not a registry.</summary>
        string Registry { get; }

        /// <summary>The repository within the registry, or the layout as the containers transport names it (oci:&lt;path&gt;).</summary>
        string Repository { get; }

        /// <summary>How the output names a blob or manifest there: registry/repository@digest, oci:&lt;path&gt;@digest.</summary>
        string ReferenceOf(string digest);

        void Log(string message);

        /// <summary>
        /// Makes blobs of a registry repository available here: skipped when already there, else mounted (a repository
        /// of the same registry) or copied. Foreign (non-distributable) layers stay where their URLs point.
        /// </summary>
        Task MakeAvailableAsync(RegistryClient source, IReadOnlyList<JsonValue> descriptors, string noun, IProgress<ImageStep> progress, CancellationToken cancellationToken);

        /// <summary>Whether the blob is there (at that size; -1: any).</summary>
        Task<bool> HasBlobAsync(string digest, long size, CancellationToken cancellationToken);

        /// <summary>A manifest or index there, by tag or digest, checked against its digest; null when there is none.</summary>
        Task<FetchedManifest> GetManifestAsync(string reference, CancellationToken cancellationToken);

        /// <summary>A config there as a JSON object; null when it is not there, too large, does not match its digest, or is not a JSON object.</summary>
        Task<JsonValue> ReadConfigAsync(string digest, CancellationToken cancellationToken);

        /// <summary>A small blob (a config), written unless it is there already.</summary>
        Task PutBlobAsync(byte[] bytes, CancellationToken cancellationToken);

        /// <summary>
        /// Writes the manifest by its digest and then names it by each tag (none: by its digest only); only once the
        /// manifest is in place is any tag written. <paramref name="tagging"/> is told each tag's index before it is written.
        /// </summary>
        /// <returns>The manifest's digest.</returns>
        Task<string> PutManifestAsync(byte[] manifest, string mediaType, IReadOnlyList<string> tags, Action<int> tagging, CancellationToken cancellationToken);
    }
}
