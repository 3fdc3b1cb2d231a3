using System;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Client;
using StreamLayer.Registry.Http;
using StreamLayer.Registry.Json;

namespace StreamLayer.Registry.Images
{
    /// <summary>The manifest endpoints of a repository.</summary>
    internal static class Manifests
    {
        /// <summary>Reads a manifest or index by tag or digest; a manifest read by digest must hash to it. Null when there is none.</summary>
        public static async Task<FetchedManifest> GetAsync(RegistryClient client, string reference, CancellationToken cancellationToken)
        {
            const string step = "Reading a manifest";
            Uri uri = client.RepositoryUri("manifests/" + reference);
            RegistryRequest request = new RegistryRequest(step, HttpMethod.Get, uri)
                .WithHeaders(message =>
                {
                    foreach (string type in ImageMediaTypes.Accepted)
                    {
                        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
                    }
                })
                .ReadingHeadersOnly();
            using (HttpResponseMessage response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false))
            {
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    return null;
                }

                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw await ErrorAnswer.ReadAsync(step, response).ConfigureAwait(false);
                }

                byte[] bytes = await CappedContent.ReadAsync(response.Content, CappedContent.ManifestLimit, cancellationToken).ConfigureAwait(false)
                    ?? throw new ImageException(ImageFailure.BaseImageInvalid, client.Repository.Name + ":" + reference + " is over " + (CappedContent.ManifestLimit >> 20) + " MiB, more than a manifest may be.");
                if (!JsonValue.TryParse(bytes, out JsonValue json) || json.Kind != JsonKind.Object)
                {
                    throw new ImageException(ImageFailure.BaseImageInvalid, client.Repository.Name + ":" + reference + " is not a JSON manifest.");
                }

                string mediaType = json["mediaType"]?.AsString ?? response.Content.Headers.ContentType?.MediaType;
                var manifest = new FetchedManifest(mediaType, bytes, json);
                if (reference.StartsWith("sha256:", StringComparison.Ordinal) && manifest.Digest != reference)
                {
                    throw new RegistryException(RegistryFailure.ProtocolError, step + ": the registry sent a manifest for " + reference + " whose digest is " + manifest.Digest + ".");
                }

                return manifest;
            }
        }

        /// <summary>Writes a manifest under a tag or its digest; returns the digest the registry confirmed.</summary>
        public static async Task<string> PutAsync(RegistryClient client, string reference, byte[] bytes, string mediaType, CancellationToken cancellationToken)
        {
            string step = reference.StartsWith("sha256:", StringComparison.Ordinal) ? "Writing the manifest" : "Writing the tag " + reference;
            string digest = Sha256Digest.Of(bytes);
            Uri uri = client.RepositoryUri("manifests/" + reference);
            RegistryRequest request = new RegistryRequest(step, HttpMethod.Put, uri).WithBody(() =>
            {
                var content = new ByteArrayContent(bytes);
                content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
                return content;
            });
            using (HttpResponseMessage response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false))
            {
                if (response.StatusCode != HttpStatusCode.Created && response.StatusCode != HttpStatusCode.OK)
                {
                    throw await ErrorAnswer.ReadAsync(step, response).ConfigureAwait(false);
                }

                string confirmed = ResponseHeaders.First(response, "Docker-Content-Digest");
                if (confirmed != null && confirmed != digest)
                {
                    throw new RegistryException(RegistryFailure.ProtocolError, step + ": the registry stored the manifest as " + confirmed + ", not " + digest + ".");
                }

                return digest;
            }
        }
    }
}
