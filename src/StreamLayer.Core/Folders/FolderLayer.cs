using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace StreamLayer.Folders
{
    /// <summary>
    /// How folders become layers, checked once: where the tree goes in the layer (-Prefix), what is left out
    /// (-Exclude), which files are executable beyond their execute bits (-Executable), what the layer deletes from the
    /// layers below (-Delete) and the one time every entry has (-SourceDateEpoch, else SOURCE_DATE_EPOCH, else 0).
    /// Every other field is fixed (see <see cref="TarHeader"/>), so the same tree gives the same tar on every machine.
    /// </summary>
    internal sealed class FolderLayer
    {
        public const int ExecutableMode = 493; // 0755
        public const int FileMode = 420; // 0644

        private const string WhiteoutPrefix = ".wh.";

        private readonly PathPattern[] _exclude;
        private readonly PathPattern[] _executable;
        private readonly byte[] _prefix;
        private readonly Lazy<long> _time;

        /// <param name="warning">Told of each socket, FIFO or device left out; called on the thread that reads the layer.</param>
        public FolderLayer(string prefix, string[] exclude, string[] executable, string[] delete, long? sourceDateEpoch, Action<string> warning)
        {
            if (sourceDateEpoch < 0 || sourceDateEpoch > 253402300799)
            {
                throw new LayerOptionsException("-SourceDateEpoch is " + sourceDateEpoch + "; it must be a whole number of seconds from 0 to 253402300799 (9999-12-31).", "SourceDateEpoch");
            }

            // SOURCE_DATE_EPOCH is read when a folder is, so that a bad value never fails a command that reads a tar.
            _time = sourceDateEpoch.HasValue ? new Lazy<long>(() => sourceDateEpoch.Value) : new Lazy<long>(FromEnvironment);

            _exclude = (exclude ?? new string[0]).Select(p => PathPattern.Parse(p, "Exclude")).ToArray();
            _executable = (executable ?? new string[0]).Select(p => PathPattern.Parse(p, "Executable")).ToArray();

            string[] prefixParts = prefix == null ? new string[0] : Parts("Prefix", prefix, allowRoot: true);
            _prefix = Encoding.UTF8.GetBytes(prefixParts.Length == 0 ? string.Empty : string.Join("/", prefixParts) + "/");
            PrefixDirectories = Enumerable.Range(1, prefixParts.Length)
                .Select(n => Encoding.UTF8.GetBytes(string.Join("/", prefixParts.Take(n)) + "/"))
                .ToList();

            var whiteouts = new SortedSet<byte[]>(Comparer<byte[]>.Create(Ordinal));
            foreach (string path in delete ?? new string[0])
            {
                string[] parts = Parts("Delete", path, allowRoot: false);
                string name = parts[parts.Length - 1];
                if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
                {
                    throw FolderProblems.PathInvalid("Delete", path, "names a whiteout itself; name the path to delete.");
                }

                parts[parts.Length - 1] = WhiteoutPrefix + name;
                whiteouts.Add(Encoding.UTF8.GetBytes(string.Join("/", parts)));
            }

            Whiteouts = whiteouts.ToList();
            Warning = warning;
        }

        /// <summary>The time of every entry, in seconds since 1970.</summary>
        public long Time => _time.Value;

        /// <summary>The whiteout entries' paths (".wh." before the deleted name), in ordinal order: they come first in the tar.</summary>
        public IReadOnlyList<byte[]> Whiteouts { get; }

        /// <summary>The directories of -Prefix, outermost first, each ending in '/'.</summary>
        public IReadOnlyList<byte[]> PrefixDirectories { get; }

        public Action<string> Warning { get; }

        /// <summary>The layer input of the folder at <paramref name="path"/> (a full path); checked when it is opened.</summary>
        public LayerSource Source(string path) => LayerSource.FromFolder(path, () => Open(path));

        /// <summary>The folder's tar, after checking that the folder is there.</summary>
        public Stream Open(string path)
        {
            if (!Directory.Exists(path))
            {
                throw File.Exists(path) ? FolderProblems.NotDirectory(path) : FolderProblems.NotFound(path);
            }

            return new FolderTar(this, path);
        }

        /// <summary>Whether -Exclude leaves out the entry at <paramref name="relative"/> (and, for a folder, all in it).</summary>
        public bool IsExcluded(string relative) => _exclude.Any(p => p.Matches(relative));

        /// <summary>Whether -Executable names the file at <paramref name="relative"/>.</summary>
        public bool IsExecutable(string relative) => _executable.Any(p => p.Matches(relative));

        /// <summary>The entry's path in the layer: -Prefix, then its path in the folder.</summary>
        public byte[] InLayer(byte[] relative)
        {
            if (_prefix.Length == 0)
            {
                return relative;
            }

            var path = new byte[_prefix.Length + relative.Length];
            Buffer.BlockCopy(_prefix, 0, path, 0, _prefix.Length);
            Buffer.BlockCopy(relative, 0, path, _prefix.Length, relative.Length);
            return path;
        }

        private static long FromEnvironment()
        {
            try
            {
                DateTimeOffset? time = SourceDateEpoch.Parse(SourceDateEpoch.FromEnvironment());
                return time.HasValue ? (long)(time.Value - SourceDateEpoch.Epoch).TotalSeconds : 0;
            }
            catch (FormatException e)
            {
                throw new LayerOptionsException(e.Message, "SourceDateEpoch");
            }
        }

        /// <summary>A path in the layer as its parts: '/' or '\' between them, '.' and empty parts dropped, '..' refused.</summary>
        private static string[] Parts(string parameter, string path, bool allowRoot)
        {
            if (path.IndexOf('\0') >= 0)
            {
                throw FolderProblems.PathInvalid(parameter, path, "holds a NUL character.");
            }

            string[] parts = path.Replace('\\', '/').Split('/').Where(p => p.Length > 0 && p != ".").ToArray();
            if (parts.Contains(".."))
            {
                throw FolderProblems.PathInvalid(parameter, path, "has a '..' part: a path in a layer cannot leave the layer's root. Give the path from the root, such as /app.");
            }

            if (parts.Length == 0 && !allowRoot)
            {
                throw FolderProblems.PathInvalid(parameter, path, "names the root, which a layer cannot delete. Name a file or folder, such as /etc/motd.");
            }

            return parts;
        }

        /// <summary>The ordinal order of two UTF-8 names: byte by byte, as C's strcmp and GNU tar's --sort=name.</summary>
        public static int Ordinal(byte[] a, byte[] b)
        {
            int length = Math.Min(a.Length, b.Length);
            for (int i = 0; i < length; i++)
            {
                if (a[i] != b[i])
                {
                    return a[i] - b[i];
                }
            }

            return a.Length - b.Length;
        }
    }
}
