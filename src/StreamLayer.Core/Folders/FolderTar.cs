using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace StreamLayer.Folders
{
    /// <summary>
    /// A folder as a tar, made while it is read: each <see cref="Read"/> writes the next headers and file contents
    /// into the caller's buffer, so the layer's one pass reads the folder once and nothing of it is held beyond one
    /// directory's listing and one header. The entries come as GNU tar's <c>--sort=name</c> walks: depth first, each
    /// directory's entries in the ordinal order of their UTF-8 names. Whiteouts and the -Prefix directories come
    /// first. A file's size is taken from the open file; exactly that many bytes are read, and a file that ends
    /// early or has more after them fails the layer, so the tar never says a size it does not hold.
    /// </summary>
    internal sealed class FolderTar : ReadOnlyForwardStream
    {
        private static readonly UTF8Encoding s_strict = new UTF8Encoding(false, true);
        private static readonly byte[] s_zeros = new byte[TarHeader.BlockSize * 2];

        private readonly FolderLayer _layer;
        private readonly string _root;
        private readonly Queue<byte[]> _leading = new Queue<byte[]>();
        private readonly Stack<Frame> _frames = new Stack<Frame>();
        private readonly byte[] _probe = new byte[1];

        // Bytes waiting to go out: a header, padding, or the end blocks.
        private byte[] _pending = s_zeros;
        private int _pendingAt = s_zeros.Length;
        private int _pendingEnd = s_zeros.Length;

        private FileStream _file;
        private string _fileName;
        private long _fileSize;
        private long _fileLeft;
        private bool _walking;
        private bool _ended;

        public FolderTar(FolderLayer layer, string root)
        {
            _layer = layer;
            _root = root;
            foreach (byte[] whiteout in layer.Whiteouts)
            {
                _leading.Enqueue(TarHeader.For(whiteout, TarEntryKind.File, FolderLayer.FileMode, 0, null, layer.Time));
            }

            foreach (byte[] directory in layer.PrefixDirectories)
            {
                _leading.Enqueue(TarHeader.For(directory, TarEntryKind.Directory, FolderLayer.ExecutableMode, 0, null, layer.Time));
            }
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int written = 0;
            while (written < count)
            {
                if (_pendingAt < _pendingEnd)
                {
                    int n = Math.Min(count - written, _pendingEnd - _pendingAt);
                    Buffer.BlockCopy(_pending, _pendingAt, buffer, offset + written, n);
                    _pendingAt += n;
                    written += n;
                    continue;
                }

                if (_file != null)
                {
                    if (_fileLeft > 0)
                    {
                        int n = ReadFile(buffer, offset + written, (int)Math.Min(count - written, _fileLeft));
                        if (n == 0)
                        {
                            throw FolderProblems.Changed(_root, _fileName, _fileSize, "it ended after " + (_fileSize - _fileLeft) + " bytes");
                        }

                        _fileLeft -= n;
                        written += n;
                        continue;
                    }

                    // The size is in the header already: a file with more in it now would make a tar that lies.
                    if (ReadFile(_probe, 0, 1) != 0)
                    {
                        throw FolderProblems.Changed(_root, _fileName, _fileSize, "it grew while it was read");
                    }

                    CloseFile();
                    Pend(s_zeros, TarHeader.Padding(_fileSize));
                    continue;
                }

                if (!Advance())
                {
                    break;
                }
            }

            return written;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                CloseFile();
            }

            base.Dispose(disposing);
        }

        /// <summary>Sets the next bytes to go out; false once the end blocks have gone.</summary>
        private bool Advance()
        {
            while (true)
            {
                if (_leading.Count > 0)
                {
                    byte[] header = _leading.Dequeue();
                    Pend(header, header.Length);
                    return true;
                }

                if (!_walking)
                {
                    _walking = true;
                    _frames.Push(new Frame(string.Empty, List(new DirectoryInfo(_root), ".")));
                    continue;
                }

                if (_frames.Count == 0)
                {
                    if (_ended)
                    {
                        return false;
                    }

                    _ended = true;
                    Pend(s_zeros, s_zeros.Length);
                    return true;
                }

                Frame frame = _frames.Peek();
                if (frame.Next == frame.Children.Count)
                {
                    _frames.Pop();
                    continue;
                }

                Child child = frame.Children[frame.Next];
                frame.Children[frame.Next++] = null;
                if (Entry(frame.Relative + child.Name, child.Info))
                {
                    return true;
                }
            }
        }

        /// <summary>Starts the entry at <paramref name="relative"/>; false when it is not stored (excluded, a socket or device).</summary>
        private bool Entry(string relative, FileSystemInfo info)
        {
            if (_layer.IsExcluded(relative))
            {
                return false;
            }

            EntryType type = EntryStatus.Of(info, out bool executable);
            switch (type)
            {
                case EntryType.Missing:
                    // A name that is not UTF-8 reaches .NET with U+FFFD in it, and the system knows no file by that name.
                    throw info.Name.IndexOf('\uFFFD') >= 0 ? FolderProblems.NameInvalid(_root, relative) : FolderProblems.Vanished(_root, relative);
                case EntryType.Denied:
                    throw FolderProblems.Unreadable(_root, relative, null);
                case EntryType.Special:
                    _layer.Warning?.Invoke("'" + relative + "' in '" + _root + "' is a socket, FIFO or device (or, on Windows PowerShell 5.1, a link it cannot read), which a layer does not hold: it is left out.");
                    return false;
            }

            byte[] path = _layer.InLayer(Utf8(relative, relative));
            switch (type)
            {
                case EntryType.Directory:
                    List<Child> children = List(new DirectoryInfo(info.FullName), relative);
                    _frames.Push(new Frame(relative + "/", children));
                    Pend(TarHeader.For(Slashed(path), TarEntryKind.Directory, FolderLayer.ExecutableMode, 0, null, _layer.Time));
                    return true;
                case EntryType.Symlink:
                    byte[] target = EntryStatus.LinkTarget(info) ?? throw FolderProblems.Vanished(_root, relative);
                    Utf8(target, relative);
                    Pend(TarHeader.For(path, TarEntryKind.Symlink, FolderLayer.ExecutableMode, 0, target, _layer.Time));
                    return true;
                default:
                    OpenFile(info.FullName, relative);
                    int mode = executable || _layer.IsExecutable(relative) ? FolderLayer.ExecutableMode : FolderLayer.FileMode;
                    Pend(TarHeader.For(path, TarEntryKind.File, mode, _fileSize, null, _layer.Time));
                    return true;
            }
        }

        private void OpenFile(string fullName, string relative)
        {
            try
            {
                // The size is the open file's, so a file replaced after the listing is read as it is now.
                _file = new FileStream(fullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
                _fileSize = _file.Length;
            }
            catch (Exception e) when (e is FileNotFoundException || e is DirectoryNotFoundException)
            {
                CloseFile();
                throw FolderProblems.Vanished(_root, relative);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                CloseFile();
                throw FolderProblems.Unreadable(_root, relative, e);
            }

            _fileName = relative;
            _fileLeft = _fileSize;
        }

        private int ReadFile(byte[] buffer, int offset, int count)
        {
            try
            {
                return _file.Read(buffer, offset, count);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw FolderProblems.Unreadable(_root, _fileName, e);
            }
        }

        private void CloseFile()
        {
            _file?.Dispose();
            _file = null;
        }

        /// <summary>A directory's entries in the ordinal order of their UTF-8 names.</summary>
        private List<Child> List(DirectoryInfo directory, string relative)
        {
            var children = new List<Child>();
            try
            {
                foreach (FileSystemInfo info in directory.EnumerateFileSystemInfos())
                {
                    children.Add(new Child(info));
                }
            }
            catch (DirectoryNotFoundException)
            {
                throw FolderProblems.Vanished(_root, relative);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw FolderProblems.Unreadable(_root, relative, e);
            }

            children.Sort((a, b) => FolderLayer.Ordinal(a.Key, b.Key));
            return children;
        }

        private byte[] Utf8(string name, string relative)
        {
            try
            {
                return s_strict.GetBytes(name);
            }
            catch (EncoderFallbackException)
            {
                throw FolderProblems.NameInvalid(_root, relative);
            }
        }

        private void Utf8(byte[] target, string relative)
        {
            try
            {
                s_strict.GetString(target);
            }
            catch (DecoderFallbackException)
            {
                throw FolderProblems.NameInvalid(_root, relative + " (its link target)");
            }
        }

        private void Pend(byte[] bytes) => Pend(bytes, bytes.Length);

        private void Pend(byte[] bytes, int length)
        {
            _pending = bytes;
            _pendingAt = 0;
            _pendingEnd = length;
        }

        private static byte[] Slashed(byte[] path)
        {
            var slashed = new byte[path.Length + 1];
            Buffer.BlockCopy(path, 0, slashed, 0, path.Length);
            slashed[path.Length] = (byte)'/';
            return slashed;
        }

        /// <summary>A directory being walked: its path in the folder ("" or ending in '/') and its entries.</summary>
        private sealed class Frame
        {
            public Frame(string relative, List<Child> children)
            {
                Relative = relative;
                Children = children;
            }

            public string Relative { get; }

            public List<Child> Children { get; }

            public int Next { get; set; }
        }

        private sealed class Child
        {
            public Child(FileSystemInfo info)
            {
                Info = info;
                Name = info.Name;

                // Sorted by UTF-8 bytes; a name that is not valid UTF-16 fails when its turn comes.
                Key = Encoding.UTF8.GetBytes(Name);
            }

            public FileSystemInfo Info { get; }

            public string Name { get; }

            public byte[] Key { get; }
        }
    }
}
