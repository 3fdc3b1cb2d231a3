using System;
using System.IO;
using System.Linq;
using System.Threading;
using StreamLayer.Layers;
using StreamLayer.Layouts;
using StreamLayer.Registry;
using StreamLayer.Registry.Images;
using StreamLayer.Registry.Json;
using StreamLayer.Tests;

namespace StreamLayer.MonoChecks
{
    /// <summary>An OCI image layout written by the net472 build (File.Replace, IncrementalHash, the exclusive open that is the lock), read by skopeo and umoci.</summary>
    internal sealed class LayoutChecks
    {
        private readonly string _work;

        public LayoutChecks(string work) => _work = work;

        public void Run(CheckRunner checks)
        {
            checks.Run("a layer and a tagged image into an OCI layout that skopeo inspect and umoci unpack read; every blob's sha256sum is its name, no temporary file is left", () =>
            {
                string root = Path.Combine(_work, "layout");
                ImageLayout layout = ImageLayout.Open(root);
                LayerDigest layer = Write(layout, PinnedLayer.Tar());
                PublishedImage image = ImagePublisher.PublishAsync(
                    new LayoutImageTarget(layout, null), null, ImagePlatform.Parse("linux/amd64"), new[] { layer }, new[] { "1" }, null, new ImageSettings(), CancellationToken.None).GetAwaiter().GetResult();

                Expect.Equal(image.ManifestDigest, JsonValue.Parse(Tools.Bash("skopeo inspect 'oci:" + root + ":1'"))["Digest"].AsString, "the manifest skopeo reads");
                string bundle = Path.Combine(_work, "bundle");
                Tools.Bash("umoci unpack --rootless --image '" + root + ":1' '" + bundle + "'");
                Expect.True(Directory.EnumerateFileSystemEntries(Path.Combine(bundle, "rootfs")).Any(), "umoci unpacked the layer's files");
                foreach (string blob in Directory.EnumerateFiles(Path.Combine(root, "blobs", "sha256")))
                {
                    Expect.Equal("sha256:" + Path.GetFileName(blob), Tools.Sha256Sum(blob), "a blob's name");
                }

                Expect.True(!Directory.EnumerateFiles(root, "*" + ImageLayout.TempSuffix, SearchOption.AllDirectories).Any(), "no temporary file");
            });

            checks.Run("a .tar.gz cut short leaves no temporary file in the layout, and index.json as it was", () =>
            {
                string root = Path.Combine(_work, "layout-cut");
                ImageLayout layout = ImageLayout.Open(root);
                byte[] before = File.ReadAllBytes(layout.IndexPath);
                string tar = Tools.Write(_work, "cut-source.tar", PinnedLayer.Tar());
                string gz = Path.Combine(_work, "cut-source.tar.gz");
                Tools.Bash("gzip -1 -n -c '" + tar + "' | head -c 200 > '" + gz + "'");
                LayerInputException e = Expect.Throws<LayerInputException>(() => Write(layout, File.ReadAllBytes(gz)), "the cut input fails");
                Expect.Equal(LayerInputProblem.Corrupt, e.Problem, "the failure");
                Expect.True(!Directory.EnumerateFiles(root, "*" + ImageLayout.TempSuffix, SearchOption.AllDirectories).Any(), "no temporary file");
                Expect.True(!Directory.EnumerateFiles(Path.Combine(root, "blobs", "sha256")).Any(), "no blob");
                Expect.True(before.SequenceEqual(File.ReadAllBytes(layout.IndexPath)), "index.json unchanged");
            });

            checks.Run("an index change while oci-layout is held open exclusively (within this process; across processes it is checked on .NET only) ends with LayoutBusy", () =>
            {
                ImageLayout layout = ImageLayout.Open(Path.Combine(_work, "layout-locked"));
                layout.LockTimeout = TimeSpan.FromMilliseconds(300);
                JsonValue descriptor = Descriptor.Create(ImageMediaTypes.OciManifest, 2, "sha256:" + new string('a', 64));
                using (new FileStream(layout.LayoutPath, FileMode.Open, FileAccess.Read, FileShare.None))
                {
                    ImageException e = Expect.Throws<ImageException>(() => layout.AddToIndexAsync(descriptor, new[] { "1" }, CancellationToken.None).GetAwaiter().GetResult(), "the change waits, then gives up");
                    Expect.Equal(ImageFailure.LayoutBusy, e.Failure, "the failure");
                }

                layout.AddToIndexAsync(descriptor, new[] { "1" }, CancellationToken.None).GetAwaiter().GetResult();
                Expect.Equal(1, layout.Manifests().Count, "entries once the lock is free");
            });
        }

        private static LayerDigest Write(ImageLayout layout, byte[] input)
        {
            var destination = new LayoutDestination(layout, forImage: true);
            using (var operation = new LayerOperation(new LayerOptions { MediaType = LayerMediaType.Oci }, destination.OpenSink(null)))
            {
                operation.Write(input, 0, input.Length);
                return operation.Complete().GetAwaiter().GetResult();
            }
        }
    }
}
