using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace StreamLayer.Folders
{
    /// <summary>What a path in the folder is, without following a symlink.</summary>
    internal enum EntryType
    {
        /// <summary>Nothing is there (any more), or the name cannot be given back to the system.</summary>
        Missing,
        File,
        Directory,
        Symlink,

        /// <summary>A socket, FIFO or device: not stored.</summary>
        Special,

        /// <summary>Looking at it was refused.</summary>
        Denied,
    }

    /// <summary>
    /// lstat, as far as a layer needs it: the type and whether any execute bit is set. On Linux it asks the kernel
    /// (statx and readlink in libc, whose layouts are the same on every Linux architecture); elsewhere it reads what
    /// .NET knows (a reparse point with a link target is a symlink; Windows has no execute bits, and FIFOs and
    /// devices outside Linux are not told apart from files).
    /// </summary>
    internal static class EntryStatus
    {
        private const int AtFdCwd = -100;
        private const int AtSymlinkNoFollow = 0x100;
        private const uint StatxType = 0x1;
        private const uint StatxMode = 0x2;
        private const int ENOENT = 2;
        private const int ENOTDIR = 20;
        private const int EACCES = 13;

        private static readonly bool s_linux = RuntimeInformation.IsOSPlatform(OSPlatform.Linux);
        private static readonly bool s_windows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
        private static readonly PropertyInfo s_linkTarget = typeof(FileSystemInfo).GetProperty("LinkTarget");
        private static readonly PropertyInfo s_unixFileMode = s_windows ? null : typeof(FileSystemInfo).GetProperty("UnixFileMode");
        private static bool s_noStatx;

        /// <summary>The entry's type, and whether any of its execute bits is set (always false where there are none).</summary>
        public static EntryType Of(FileSystemInfo entry, out bool executable)
        {
            executable = false;
            if (s_linux && !s_noStatx)
            {
                try
                {
                    return Statx(entry.FullName, out executable);
                }
                catch (EntryPointNotFoundException)
                {
                    // A libc older than statx (glibc 2.28): what .NET knows.
                    s_noStatx = true;
                }
                catch (DllNotFoundException)
                {
                    s_noStatx = true;
                }
            }

            return Managed(entry, out executable);
        }

        /// <summary>A symlink's target as its bytes (UTF-8 where the system is not Linux); null when it is gone.</summary>
        public static byte[] LinkTarget(FileSystemInfo entry)
        {
            if (s_linux && !s_noStatx)
            {
                byte[] path = Encoding.UTF8.GetBytes(entry.FullName + "\0");
                for (int size = 4096; ; size *= 4)
                {
                    var buffer = new byte[size];
                    long n = (long)ReadLink(path, buffer, (IntPtr)size);
                    if (n < 0)
                    {
                        int errno = Marshal.GetLastWin32Error();
                        if (errno == ENOENT || errno == ENOTDIR)
                        {
                            return null;
                        }

                        throw new IOException("readlink failed with errno " + errno + ".");
                    }

                    if (n < size)
                    {
                        var target = new byte[n];
                        Buffer.BlockCopy(buffer, 0, target, 0, (int)n);
                        return target;
                    }
                }
            }

            entry.Refresh();
            if (!(s_linkTarget?.GetValue(entry) is string link))
            {
                return null;
            }

            // A Windows link says ..\bin; in the image it is ../bin.
            return Encoding.UTF8.GetBytes(s_windows ? link.Replace('\\', '/') : link);
        }

        private static EntryType Statx(string path, out bool executable)
        {
            executable = false;
            var buffer = new byte[256];
            if (StatxCall(AtFdCwd, Encoding.UTF8.GetBytes(path + "\0"), AtSymlinkNoFollow, StatxType | StatxMode, buffer) != 0)
            {
                int errno = Marshal.GetLastWin32Error();
                return errno == EACCES ? EntryType.Denied : errno == ENOENT || errno == ENOTDIR ? EntryType.Missing : throw new IOException("statx failed with errno " + errno + ".");
            }

            int mode = BitConverter.ToUInt16(buffer, 28);
            executable = (mode & 0x49) != 0;
            switch (mode & 0xF000)
            {
                case 0x8000: return EntryType.File;
                case 0x4000: return EntryType.Directory;
                case 0xA000: return EntryType.Symlink;
                default: return EntryType.Special;
            }
        }

        private static EntryType Managed(FileSystemInfo entry, out bool executable)
        {
            executable = false;
            entry.Refresh();
            if (!entry.Exists && (entry.Attributes & FileAttributes.ReparsePoint) == 0)
            {
                return EntryType.Missing;
            }

            if ((entry.Attributes & FileAttributes.ReparsePoint) != 0)
            {
                // Without .NET 6's LinkTarget (Windows PowerShell 5.1) a link cannot be kept as a link, and is never followed.
                return s_linkTarget?.GetValue(entry) != null ? EntryType.Symlink : EntryType.Special;
            }

            if (s_unixFileMode != null)
            {
                executable = (Convert.ToInt32(s_unixFileMode.GetValue(entry)) & 0x49) != 0;
            }

            return (entry.Attributes & FileAttributes.Directory) != 0 ? EntryType.Directory : EntryType.File;
        }

        [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
        private static extern int StatxCall(int dirfd, byte[] path, int flags, uint mask, byte[] statx);

        [DllImport("libc", EntryPoint = "readlink", SetLastError = true)]
        private static extern IntPtr ReadLink(byte[] path, byte[] buffer, IntPtr size);
    }
}
