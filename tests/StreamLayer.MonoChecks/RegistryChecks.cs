using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Reflection;
using System.Threading;
using StreamLayer.Registry;
using StreamLayer.Registry.Blobs;
using StreamLayer.Tests;
using StreamLayer.Layers;
using StreamLayer.Registry.Client;

namespace StreamLayer.MonoChecks
{
    /// <summary>Pushes over Mono's HTTP stack to a real docker-registry, judged by the registry's own storage and sha256sum, gzip -dc.</summary>
    internal sealed class RegistryChecks
    {
        private const int Block = 1 << 20;
        private readonly string _registry;
        private readonly string _storage;
        private readonly byte[] _tar = PinnedLayer.Tar();

        public RegistryChecks(string registry, string storage, string work)
        {
            _registry = registry;
            _storage = storage;
        }

        public void Run(CheckRunner checks)
        {
            checks.Run("with Mono's HttpWebRequest handler, which buffers a body of unknown length unless it is chunked as .NET Framework's does, the streamed PATCH reaches the registry while the input is still arriving", () =>
            {
                string repository = "mono/webrequest";
                LayerDigest layer = Push(repository, UploadMode.Stream, WebRequestHandler(), writeFirst: 4 * Block, whilePaused: () =>
                {
                    // A handler that buffers sends nothing before the whole blob exists, which needs the rest of the input.
                    bool arrived = SpinWait.SpinUntil(() => UploadedBytes(repository) > 0, TimeSpan.FromSeconds(60));
                    Expect.True(arrived, "the registry had received none of the blob before the input was complete");
                });
                CheckStored(layer);
            });

            checks.Run("a streamed push with the module's own handler (Mono's default is a SocketsHttpHandler)", () =>
                CheckStored(Push("mono/streamed", UploadMode.Stream, handler: null, writeFirst: 0, whilePaused: null)));

            checks.Run("a push in Content-Range chunks of 1 MiB", () => CheckStored(Push("mono/chunked", UploadMode.Chunked, handler: null, writeFirst: 0, whilePaused: null)));
        }

        /// <summary>
        /// Mono's HttpClientHandler over its HttpWebRequest (MonoWebRequestHandler), set up as the module sets up its
        /// own. Mono's default handler is a SocketsHttpHandler, which streams any body; this one keeps .NET Framework's rule.
        /// </summary>
        private static HttpClientHandler WebRequestHandler()
        {
            Type webRequestHandler = Type.GetType("System.Net.Http.MonoWebRequestHandler, System.Net.Http", throwOnError: true);
            object inner = Activator.CreateInstance(webRequestHandler, nonPublic: true);
            var handler = (HttpClientHandler)Activator.CreateInstance(typeof(HttpClientHandler), BindingFlags.NonPublic | BindingFlags.Instance, null, new[] { inner }, null);
            handler.AllowAutoRedirect = false;
            handler.UseCookies = false;
            handler.AutomaticDecompression = DecompressionMethods.None;
            return handler;
        }

        private LayerDigest Push(string repository, UploadMode mode, HttpMessageHandler handler, int writeFirst, Action whilePaused)
        {
            var options = new RegistryOptions { UploadMode = mode, ChunkSize = Block, Timeout = TimeSpan.FromMinutes(2) };
            using (var client = new RegistryClient(ImageReference.Parse(_registry + "/" + repository), options, handler))
            using (var operation = new LayerOperation(new LayerOptions(), new RegistrySink(client)))
            {
                operation.Write(_tar, 0, writeFirst);
                whilePaused?.Invoke();
                operation.Write(_tar, writeFirst, _tar.Length - writeFirst);
                return operation.Complete().GetAwaiter().GetResult();
            }
        }

        /// <summary>The blob's file in the registry's storage: named by the Digest, which sha256sum confirms, and gunzipping to the pinned tar.</summary>
        private void CheckStored(LayerDigest layer)
        {
            string hex = layer.Digest.Substring("sha256:".Length);
            string data = Path.Combine(_storage, "docker", "registry", "v2", "blobs", "sha256", hex.Substring(0, 2), hex, "data");
            Expect.True(File.Exists(data), "the registry holds no blob " + layer.Digest);
            Expect.Equal(layer.Digest, Tools.Sha256Sum(data), "sha256sum of the stored blob");
            Expect.Equal(PinnedLayer.DiffId, Tools.Sha256SumOf("gzip -dc '" + data + "'"), "gzip -dc | sha256sum of the stored blob");
            Expect.Equal(layer.Size, new FileInfo(data).Length, "Size");
        }

        /// <summary>Bytes the registry has written for the repository's open upload sessions.</summary>
        private long UploadedBytes(string repository)
        {
            string uploads = Path.Combine(_storage, "docker", "registry", "v2", "repositories", repository, "_uploads");
            return Directory.Exists(uploads)
                ? Directory.GetFiles(uploads, "data", SearchOption.AllDirectories).Sum(file => new FileInfo(file).Length)
                : 0;
        }
    }
}
