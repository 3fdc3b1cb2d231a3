using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace StreamLayer.Folders
{
    /// <summary>What a tar entry is: the three kinds a folder layer holds.</summary>
    internal enum TarEntryKind
    {
        File,
        Directory,
        Symlink,
    }

    /// <summary>
    /// The header blocks of one tar entry, byte for byte as GNU tar 1.34 writes them with <c>--format=posix
    /// --numeric-owner --owner=0 --group=0 --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime</c>:
    /// a ustar header (magic "ustar\0", version "00", uid and gid 0, empty user and group names, device numbers
    /// "0000000\0", the checksum as six octal digits, NUL, space), preceded by a PAX extended header only when a
    /// field does not fit: a path over 100 bytes or not ASCII, a link target over 100 bytes, a size or a time over
    /// 8^11 - 1. The ustar field then holds what GNU tar puts there (the first 100 bytes, or 0).
    /// </summary>
    internal static class TarHeader
    {
        public const int BlockSize = 512;

        /// <summary>The largest value an 11-digit octal field holds (077777777777).</summary>
        public const long MaxOctal11 = 8589934591;

        private const int NameLength = 100;

        private static readonly byte[] s_paxHeaders = Encoding.ASCII.GetBytes("/PaxHeaders/");

        /// <summary>
        /// The header blocks of an entry: the PAX extended header and its records when needed, then the ustar header.
        /// </summary>
        /// <param name="path">The entry's path in the tar, UTF-8, with a trailing '/' for a directory.</param>
        /// <param name="link">The symlink's target, UTF-8; null for other kinds.</param>
        public static byte[] For(byte[] path, TarEntryKind kind, int mode, long size, byte[] link, long mtime)
        {
            // GNU tar's order of the records: linkpath, path, size, mtime.
            var records = new List<KeyValuePair<string, byte[]>>();
            if (link != null && link.Length > NameLength)
            {
                records.Add(new KeyValuePair<string, byte[]>("linkpath", link));
            }

            if (path.Length > NameLength || !IsAscii(path))
            {
                records.Add(new KeyValuePair<string, byte[]>("path", path));
            }

            if (size > MaxOctal11)
            {
                records.Add(new KeyValuePair<string, byte[]>("size", Decimal(size)));
            }

            if (mtime > MaxOctal11)
            {
                records.Add(new KeyValuePair<string, byte[]>("mtime", Decimal(mtime)));
            }

            byte[] pax = records.Count > 0 ? Records(records) : null;
            int paxBlocks = pax == null ? 0 : 1 + Blocks(pax.Length);
            var header = new byte[(paxBlocks + 1) * BlockSize];
            if (pax != null)
            {
                Fill(header, 0, PaxHeaderName(path), 'x', 420, pax.Length, Math.Min(mtime, MaxOctal11), null, devices: false);
                Buffer.BlockCopy(pax, 0, header, BlockSize, pax.Length);
            }

            char type = kind == TarEntryKind.Directory ? '5' : kind == TarEntryKind.Symlink ? '2' : '0';
            Fill(header, paxBlocks * BlockSize, path, type, mode, size > MaxOctal11 ? 0 : size, mtime > MaxOctal11 ? 0 : mtime, link, devices: true);
            return header;
        }

        /// <summary>How many 512-byte blocks <paramref name="length"/> bytes of content take.</summary>
        public static int Blocks(long length) => checked((int)((length + BlockSize - 1) / BlockSize));

        /// <summary>The zero bytes that pad <paramref name="length"/> bytes of content to a whole block.</summary>
        public static int Padding(long length) => (int)((BlockSize - (length % BlockSize)) % BlockSize);

        /// <summary>One ustar header block at <paramref name="at"/>.</summary>
        private static void Fill(byte[] block, int at, byte[] name, char type, int mode, long size, long mtime, byte[] link, bool devices)
        {
            Copy(name, block, at, NameLength);
            Octal(block, at + 100, 8, mode);
            Octal(block, at + 108, 8, 0);
            Octal(block, at + 116, 8, 0);
            Octal(block, at + 124, 12, size);
            Octal(block, at + 136, 12, mtime);
            block[at + 156] = (byte)type;
            if (link != null)
            {
                Copy(link, block, at + 157, NameLength);
            }

            Copy(Encoding.ASCII.GetBytes("ustar\0" + "00"), block, at + 257, 8);
            if (devices)
            {
                // GNU tar writes the device numbers of every entry but its own extended headers.
                Octal(block, at + 329, 8, 0);
                Octal(block, at + 337, 8, 0);
            }

            int sum = 8 * ' ';
            for (int i = 0; i < BlockSize; i++)
            {
                sum += i >= 148 && i < 156 ? 0 : block[at + i];
            }

            Copy(Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 "), block, at + 148, 8);
        }

        /// <summary>The extended header's own name, as GNU tar's %d/PaxHeaders/%f makes it: the entry's folder, "PaxHeaders", its name.</summary>
        private static byte[] PaxHeaderName(byte[] path)
        {
            int end = path.Length;
            while (end > 1 && path[end - 1] == '/')
            {
                end--;
            }

            int slash = Array.LastIndexOf(path, (byte)'/', end - 1);
            var name = new List<byte>(end + 16);
            if (slash < 0)
            {
                name.Add((byte)'.');
            }
            else
            {
                for (int i = 0; i < slash; i++)
                {
                    name.Add(path[i]);
                }
            }

            name.AddRange(s_paxHeaders);
            for (int i = slash + 1; i < end; i++)
            {
                name.Add(path[i]);
            }

            return name.ToArray();
        }

        /// <summary>PAX records: "&lt;length&gt; key=value\n", the length counting its own digits.</summary>
        private static byte[] Records(List<KeyValuePair<string, byte[]>> records)
        {
            var bytes = new List<byte>();
            foreach (KeyValuePair<string, byte[]> record in records)
            {
                int rest = record.Key.Length + record.Value.Length + 3;
                int length = rest + Digits(rest);
                if (Digits(length) > Digits(rest))
                {
                    length++;
                }

                bytes.AddRange(Encoding.ASCII.GetBytes(length.ToString(CultureInfo.InvariantCulture) + " " + record.Key + "="));
                bytes.AddRange(record.Value);
                bytes.Add((byte)'\n');
            }

            return bytes.ToArray();
        }

        private static int Digits(int value) => value.ToString(CultureInfo.InvariantCulture).Length;

        private static byte[] Decimal(long value) => Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture));

        /// <summary>An octal number of width - 1 digits and a NUL, as GNU tar writes every numeric field.</summary>
        private static void Octal(byte[] block, int at, int width, long value)
        {
            string digits = Convert.ToString(value, 8).PadLeft(width - 1, '0');
            Copy(Encoding.ASCII.GetBytes(digits), block, at, width - 1);
            block[at + width - 1] = 0;
        }

        private static void Copy(byte[] from, byte[] to, int at, int most) => Buffer.BlockCopy(from, 0, to, at, Math.Min(from.Length, most));

        private static bool IsAscii(byte[] bytes)
        {
            foreach (byte b in bytes)
            {
                if (b >= 0x80)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
