using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Layouts;
using StreamLayer.Registry;
using StreamLayer.Registry.Json;
using Xunit;

namespace StreamLayer.Tests
{
    /// <summary>The layout's own rules, on a real folder: what it is made of, what an interrupted start or a failed blob leaves, and the lock.</summary>
    public sealed class ImageLayoutTests : IDisposable
    {
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "streamlayer-layout-" + Guid.NewGuid().ToString("N"));

        public void Dispose()
        {
            if (Directory.Exists(_folder))
            {
                Directory.Delete(_folder, recursive: true);
            }
        }

        [Fact]
        public void ANewLayoutIsTheThreeEntriesAndNothingElse()
        {
            ImageLayout.Open(_folder);

            Assert.Equal(new[] { "blobs", "index.json", "oci-layout" }, Directory.EnumerateFileSystemEntries(_folder).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
            Assert.Equal("{\"imageLayoutVersion\":\"1.0.0\"}", File.ReadAllText(Path.Combine(_folder, "oci-layout")));
            Assert.Equal("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}", File.ReadAllText(Path.Combine(_folder, "index.json")));
            Assert.True(Directory.Exists(Path.Combine(_folder, "blobs", "sha256")));
        }

        [Fact]
        public void AStartCutShortIsFinishedNextTime()
        {
            // What an interrupted start leaves: the blobs tree, the empty index, a temporary file; no oci-layout yet.
            Directory.CreateDirectory(Path.Combine(_folder, "blobs", "sha256"));
            File.WriteAllBytes(Path.Combine(_folder, "index.json"), ImageLayout.EmptyIndex);
            File.WriteAllText(Path.Combine(_folder, ImageLayout.TempPrefix + "x" + ImageLayout.TempSuffix), "partial");

            ImageLayout.Open(_folder);

            Assert.True(File.Exists(Path.Combine(_folder, "oci-layout")));
        }

        [Fact]
        public void AnIndexOfSomeoneElsesWithoutOciLayoutIsNotTakenOver()
        {
            Directory.CreateDirectory(_folder);
            File.WriteAllText(Path.Combine(_folder, "index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"x\"}]}");

            ImageException e = Assert.Throws<ImageException>(() => ImageLayout.Open(_folder));

            Assert.Equal(ImageFailure.LayoutFolderNotEmpty, e.Failure);
            Assert.False(File.Exists(Path.Combine(_folder, "oci-layout")));
        }

        [Fact]
        public async Task ABlobThatIsNotItsDigestIsNeitherKeptNorLeftBehind()
        {
            ImageLayout layout = ImageLayout.Open(_folder);
            byte[] bytes = Encoding.UTF8.GetBytes("not what the digest says");
            using (LayoutBlob blob = layout.CreateBlob())
            {
                await blob.WriteAsync(bytes, 0, bytes.Length, CancellationToken.None);
                RegistryException e = Assert.Throws<RegistryException>(() => blob.Commit(Sha256Digest.Of(Encoding.UTF8.GetBytes("other")), bytes.Length));
                Assert.Equal(RegistryFailure.DigestMismatch, e.Failure);
            }

            Assert.DoesNotContain(Directory.EnumerateFiles(_folder, "*", SearchOption.AllDirectories), f => f.EndsWith(ImageLayout.TempSuffix, StringComparison.Ordinal));
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(_folder, "blobs", "sha256")));
        }

        [Fact]
        public async Task ANameWrittenAgainReplacesItsEntryInPlaceAndAnUnnamedManifestIsListedOnce()
        {
            ImageLayout layout = ImageLayout.Open(_folder);
            JsonValue first = Descriptor("a");
            JsonValue second = Descriptor("b");

            await layout.AddToIndexAsync(first, new[] { "1", "latest" }, CancellationToken.None);
            await layout.AddToIndexAsync(second, new[] { "latest", "2" }, CancellationToken.None);
            await layout.AddToIndexAsync(second, Array.Empty<string>(), CancellationToken.None);
            await layout.AddToIndexAsync(second, Array.Empty<string>(), CancellationToken.None);

            var entries = layout.Manifests();
            Assert.Equal(new[] { "1", "latest", "2", null }, entries.Select(ImageLayout.RefNameOf));
            Assert.Equal(new[] { "a", "b", "b", "b" }, entries.Select(e => e["digest"].AsString.Substring(7, 1)));
        }

        [Fact]
        public async Task AnIndexChangeWaitsForTheLockAndGivesUpWithLayoutBusy()
        {
            ImageLayout layout = ImageLayout.Open(_folder);
            layout.LockTimeout = TimeSpan.FromMilliseconds(300);
            byte[] before = File.ReadAllBytes(layout.IndexPath);
            using (new FileStream(layout.LayoutPath, FileMode.Open, FileAccess.Read, FileShare.None))
            {
                ImageException e = await Assert.ThrowsAsync<ImageException>(() => layout.AddToIndexAsync(Descriptor("a"), new[] { "1" }, CancellationToken.None));
                Assert.Equal(ImageFailure.LayoutBusy, e.Failure);
            }

            Assert.Equal(before, File.ReadAllBytes(layout.IndexPath));
            await layout.AddToIndexAsync(Descriptor("a"), new[] { "1" }, CancellationToken.None);
            Assert.Single(layout.Manifests());
        }

        private static JsonValue Descriptor(string hex) => JsonValue.NewObject()
            .Set("mediaType", "application/vnd.oci.image.manifest.v1+json")
            .Set("size", 2)
            .Set("digest", "sha256:" + string.Concat(Enumerable.Repeat(hex, 64)));
    }
}
