using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry;
using StreamLayer.Registry.Json;

namespace StreamLayer.Layouts
{
    /// <summary>
    /// An OCI image layout on disk (oci-layout, index.json, blobs/sha256/&lt;hex&gt;), opened to add to. Every file
    /// appears whole or not at all: a blob is written under a temporary name in the layout and renamed once its
    /// digest is known, and index.json is written beside itself and renamed over the old one, so a failure or
    /// Ctrl+C at any point leaves a valid layout. A change of index.json holds the oci-layout file locked, so two
    /// processes adding to one layout do not lose each other's entries.
    /// </summary>
    internal sealed class ImageLayout
    {
        public const string LayoutFile = "oci-layout";
        public const string IndexFile = "index.json";
        public const string BlobsFolder = "blobs";
        public const string RefNameAnnotation = "org.opencontainers.image.ref.name";
        public const string IndexMediaType = "application/vnd.oci.image.index.v1+json";

        /// <summary>What the temporary files are called (".streamlayer-&lt;random&gt;.tmp"), so a test and a user can find any left behind.</summary>
        public const string TempPrefix = ".streamlayer-";
        public const string TempSuffix = ".tmp";

        private static readonly Regex s_digest = new Regex("^sha256:[0-9a-f]{64}$", RegexOptions.CultureInvariant);
        private static readonly byte[] s_layoutBytes = Encoding.UTF8.GetBytes("{\"imageLayoutVersion\":\"1.0.0\"}");

        private ImageLayout(string root)
        {
            Root = root;
        }

        /// <summary>How long a change of index.json waits for another process's: it holds the lock only while it rewrites the file.</summary>
        public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>The layout's folder, a full path.</summary>
        public string Root { get; }

        /// <summary>The layout as skopeo, podman and buildah name it: oci:&lt;path&gt;.</summary>
        public string Name => "oci:" + Root;

        /// <summary>An empty index: what a new layout's index.json holds.</summary>
        public static byte[] EmptyIndex => JsonValue.NewObject()
            .Set("schemaVersion", 2)
            .Set("mediaType", IndexMediaType)
            .Set("manifests", JsonValue.NewArray())
            .ToUtf8();

        /// <summary>
        /// The layout at <paramref name="path"/>: an existing one is checked (oci-layout, index.json); an absent or empty
        /// folder becomes a new one, unless <paramref name="create"/> is false (-WhatIf), when nothing is written. A file,
        /// or a folder that holds other things, is refused, so nobody's folder is filled with blobs.
        /// </summary>
        /// <param name="path">A full path on the file system.</param>
        public static ImageLayout Open(string path, bool create = true)
        {
            string root = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
            if (root.Length == 0)
            {
                root = Path.GetPathRoot(Path.GetFullPath(path));
            }

            var layout = new ImageLayout(root);
            try
            {
                if (File.Exists(root))
                {
                    throw new ImageException(ImageFailure.LayoutPathIsFile, root, "'" + root + "' is a file. An OCI image layout is a folder: give a new or empty folder, or an existing layout.");
                }

                if (!File.Exists(layout.LayoutPath))
                {
                    if (Directory.Exists(root) && !layout.IsEmptyOrUnfinished())
                    {
                        throw new ImageException(
                            ImageFailure.LayoutFolderNotEmpty,
                            root,
                            "'" + root + "' is a folder that holds other files and no OCI image layout (it has no oci-layout file); it is left as it is. Give a new or empty folder, or an existing layout.");
                    }

                    if (!create)
                    {
                        return layout;
                    }

                    layout.Initialize();
                }

                layout.Check();
                return layout;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is NotSupportedException || e is ArgumentException)
            {
                throw layout.WriteFailed("Cannot use '" + root + "' as an OCI image layout", e);
            }
        }

        public string LayoutPath => Path.Combine(Root, LayoutFile);

        public string IndexPath => Path.Combine(Root, IndexFile);

        /// <summary>Where the blob of <paramref name="digest"/> is (or would be).</summary>
        public string BlobPath(string digest)
        {
            if (digest == null || !s_digest.IsMatch(digest))
            {
                throw new ImageException(ImageFailure.LayoutInvalid, digest, "'" + digest + "' is not a sha256 digest, so it names no blob of an OCI image layout.");
            }

            return Path.Combine(Root, BlobsFolder, "sha256", digest.Substring(Sha256Digest.Prefix.Length));
        }

        /// <summary>Whether the layout holds the blob (at that size; -1: any).</summary>
        public bool HasBlob(string digest, long size)
        {
            var file = new FileInfo(BlobPath(digest));
            return file.Exists && (size < 0 || file.Length == size);
        }

        /// <summary>A new blob's file, under a temporary name until its digest is known. Fails before any input is read when the layout cannot be written.</summary>
        public LayoutBlob CreateBlob() => new LayoutBlob(this);

        /// <summary>A small blob (a config, a manifest), written unless the layout holds it.</summary>
        public async Task WriteBlobAsync(byte[] bytes, CancellationToken cancellationToken)
        {
            string digest = Sha256Digest.Of(bytes);
            if (HasBlob(digest, bytes.Length))
            {
                return;
            }

            using (LayoutBlob blob = CreateBlob())
            {
                await blob.WriteAsync(bytes, 0, bytes.Length, cancellationToken).ConfigureAwait(false);
                blob.Commit(digest, bytes.Length);
            }
        }

        /// <summary>A blob's bytes, checked against its digest; null when the layout does not hold it, or holds more than <paramref name="limit"/> bytes under its name.</summary>
        public byte[] ReadBlob(string digest, int limit)
        {
            var file = new FileInfo(BlobPath(digest));
            if (!file.Exists || file.Length > limit)
            {
                return null;
            }

            byte[] bytes = File.ReadAllBytes(file.FullName);
            if (Sha256Digest.Of(bytes) != digest)
            {
                throw new ImageException(ImageFailure.LayoutInvalid, file.FullName, "The blob " + file.FullName + " does not hold what its name says: its digest is " + Sha256Digest.Of(bytes) + ". The layout is damaged.");
            }

            return bytes;
        }

        /// <summary>The manifests index.json lists now, each checked to be a descriptor.</summary>
        public IReadOnlyList<JsonValue> Manifests() => ReadIndex()["manifests"].Items;

        /// <summary>
        /// Lists a manifest in index.json: once under each name (org.opencontainers.image.ref.name), replacing an entry
        /// of that name; with no name, once by its digest. The file is replaced whole, under the layout's lock.
        /// </summary>
        public async Task AddToIndexAsync(JsonValue descriptor, IReadOnlyList<string> names, CancellationToken cancellationToken)
        {
            using (await LockAsync(cancellationToken).ConfigureAwait(false))
            {
                JsonValue index = ReadIndex();
                string digest = descriptor["digest"].AsString;
                var entries = new List<JsonValue>(index["manifests"].Items);
                if (names.Count == 0)
                {
                    if (!entries.Any(e => RefNameOf(e) == null && e["digest"].AsString == digest))
                    {
                        entries.Add(descriptor);
                    }
                }

                foreach (string name in names)
                {
                    JsonValue entry = Named(descriptor, name);
                    int at = entries.FindIndex(e => RefNameOf(e) == name);
                    if (at >= 0)
                    {
                        entries[at] = entry;
                    }
                    else
                    {
                        entries.Add(entry);
                    }
                }

                JsonValue manifests = JsonValue.NewArray();
                foreach (JsonValue entry in entries)
                {
                    manifests.Add(entry);
                }

                index.Set("manifests", manifests);
                WriteWhole(IndexPath, index.ToUtf8(), replace: true);
            }
        }

        /// <summary>The name an index.json entry gives its manifest, or null.</summary>
        public static string RefNameOf(JsonValue entry) => entry["annotations"]?[RefNameAnnotation]?.AsString;

        internal ImageException WriteFailed(string what, Exception e) =>
            new ImageException(ImageFailure.LayoutWriteFailed, Root, what + ": " + e.Message, e);

        internal string NewTempPath() => Path.Combine(Root, TempPrefix + Guid.NewGuid().ToString("N") + TempSuffix);

        private static JsonValue Named(JsonValue descriptor, string name)
        {
            JsonValue entry = JsonValue.NewObject();
            foreach (KeyValuePair<string, JsonValue> member in descriptor.Members.Where(m => m.Key != "annotations"))
            {
                entry.Set(member.Key, member.Value);
            }

            JsonValue annotations = JsonValue.NewObject();
            foreach (KeyValuePair<string, JsonValue> member in descriptor["annotations"]?.Members ?? Enumerable.Empty<KeyValuePair<string, JsonValue>>())
            {
                annotations.Set(member.Key, member.Value);
            }

            return entry.Set("annotations", annotations.Set(RefNameAnnotation, name));
        }

        /// <summary>
        /// Whether the folder may become a layout: it is empty, or holds only what an interrupted start of one leaves
        /// (an empty blobs tree, an empty index.json, temporary files of ours).
        /// </summary>
        private bool IsEmptyOrUnfinished()
        {
            foreach (string entry in Directory.EnumerateFileSystemEntries(Root))
            {
                string name = Path.GetFileName(entry);
                bool ours = name.StartsWith(TempPrefix, StringComparison.Ordinal) && name.EndsWith(TempSuffix, StringComparison.Ordinal);
                bool emptyBlobs = name == BlobsFolder && Directory.Exists(entry) && !Directory.EnumerateFiles(entry, "*", SearchOption.AllDirectories).Any();
                bool emptyIndex = name == IndexFile && File.Exists(entry) && File.ReadAllBytes(entry).SequenceEqual(EmptyIndex);
                if (!ours && !emptyBlobs && !emptyIndex)
                {
                    // Another process may have just finished starting it.
                    return File.Exists(LayoutPath);
                }
            }

            return true;
        }

        /// <summary>Makes the folder a layout: the blobs folder, then index.json, then oci-layout, each whole, so oci-layout is there only when the rest is.</summary>
        private void Initialize()
        {
            Directory.CreateDirectory(Path.Combine(Root, BlobsFolder, "sha256"));
            if (!File.Exists(IndexPath))
            {
                WriteWhole(IndexPath, EmptyIndex, replace: false);
            }

            if (!File.Exists(LayoutPath))
            {
                WriteWhole(LayoutPath, s_layoutBytes, replace: false);
            }
        }

        /// <summary>Checks an existing layout: its version, and an index.json that can be added to.</summary>
        private void Check()
        {
            byte[] layout;
            using (FileStream locked = LockNow())
            using (var copy = new MemoryStream())
            {
                locked.CopyTo(copy);
                layout = copy.ToArray();
            }

            if (!JsonValue.TryParse(layout, out JsonValue json) || json.Kind != JsonKind.Object || !(json["imageLayoutVersion"]?.AsString ?? string.Empty).StartsWith("1.", StringComparison.Ordinal))
            {
                throw new ImageException(ImageFailure.LayoutInvalid, LayoutPath, "The oci-layout file of '" + Root + "' does not say imageLayoutVersion 1.x, so it is not an OCI image layout this module can add to.");
            }

            ReadIndex();
            Directory.CreateDirectory(Path.Combine(Root, BlobsFolder, "sha256"));
        }

        private JsonValue ReadIndex()
        {
            if (!File.Exists(IndexPath))
            {
                throw Invalid("it has no index.json");
            }

            byte[] bytes = File.ReadAllBytes(IndexPath);
            if (!JsonValue.TryParse(bytes, out JsonValue index) || index.Kind != JsonKind.Object)
            {
                throw Invalid("its index.json is not a JSON object");
            }

            if (index["schemaVersion"]?.AsInt64 != 2 || index["manifests"]?.Kind != JsonKind.Array)
            {
                throw Invalid("its index.json is not an image index (schemaVersion 2 with a manifests array)");
            }

            foreach (JsonValue entry in index["manifests"].Items)
            {
                if (entry.Kind != JsonKind.Object || entry["digest"]?.AsString == null || entry["mediaType"]?.AsString == null || entry["size"]?.AsInt64 == null)
                {
                    throw Invalid("an entry of its index.json is not a descriptor (mediaType, digest, size)");
                }
            }

            return index;
        }

        private ImageException Invalid(string why) => new ImageException(
            ImageFailure.LayoutInvalid,
            IndexPath,
            "'" + Root + "' is not an OCI image layout that can be added to: " + why + ". Nothing was written to it.");

        /// <summary>Writes a file whole under a temporary name and renames it into place (over the old one when <paramref name="replace"/>).</summary>
        private void WriteWhole(string path, byte[] bytes, bool replace)
        {
            string temp = NewTempPath();
            try
            {
                using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    file.Write(bytes, 0, bytes.Length);
                    file.Flush(true);
                }

                if (replace && File.Exists(path))
                {
                    File.Replace(temp, path, null);
                }
                else
                {
                    try
                    {
                        File.Move(temp, path);
                    }
                    catch (IOException) when (!replace && File.Exists(path))
                    {
                        // Another process wrote the same file first.
                        File.Delete(temp);
                    }
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                TryDelete(temp);
                throw WriteFailed("Cannot write " + path, e);
            }
        }

        internal static void TryDelete(string path)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                // Nothing more to do: the name says it is a temporary file of ours.
            }
        }

        private FileStream LockNow()
        {
            DateTime deadline = DateTime.UtcNow + LockTimeout;
            while (true)
            {
                try
                {
                    return TryLock();
                }
                catch (IOException) when (File.Exists(LayoutPath) && DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(50);
                }
                catch (IOException e) when (File.Exists(LayoutPath))
                {
                    throw Busy(e);
                }
            }
        }

        private async Task<IDisposable> LockAsync(CancellationToken cancellationToken)
        {
            DateTime deadline = DateTime.UtcNow + LockTimeout;
            while (true)
            {
                try
                {
                    return TryLock();
                }
                catch (IOException) when (File.Exists(LayoutPath) && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(50, cancellationToken).ConfigureAwait(false);
                }
                catch (IOException e) when (File.Exists(LayoutPath))
                {
                    throw Busy(e);
                }
            }
        }

        /// <summary>The oci-layout file, opened so that no other process can open it so: the layout's lock (flock on Unix, a share mode on Windows).</summary>
        private FileStream TryLock()
        {
            try
            {
                return new FileStream(LayoutPath, FileMode.Open, FileAccess.Read, FileShare.None);
            }
            catch (FileNotFoundException e)
            {
                throw new ImageException(ImageFailure.LayoutInvalid, LayoutPath, "'" + Root + "' lost its oci-layout file while it was being written to.", e);
            }
        }

        private ImageException Busy(Exception e) => new ImageException(
            ImageFailure.LayoutBusy,
            Root,
            "Another process kept the OCI image layout '" + Root + "' locked (its oci-layout file) for more than " + (int)LockTimeout.TotalSeconds + " s; nothing was written to its index.json. Try again once it is done.",
            e);
    }
}
