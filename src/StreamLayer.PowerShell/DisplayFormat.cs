using System;
using System.Collections;

namespace StreamLayer.Commands
{
    /// <summary>
    /// How the table views (StreamLayer.format.ps1xml) show digests, sizes and formats: short enough for one line
    /// per layer, as Get-FileHash shows hashes. Format-List shows every value in full.
    /// </summary>
    public static class DisplayFormat
    {
        /// <summary>sha256: and the first 12 hex digits, as docker and crane shorten digests.</summary>
        public static string ShortDigest(string digest) =>
            digest == null ? null : digest.StartsWith("sha256:", StringComparison.Ordinal) && digest.Length > 19 ? digest.Substring(0, 19) : digest;

        /// <summary>Bytes in binary units: 0 B, 512 B, 1.5 KiB, 12.3 MiB; empty when unknown.</summary>
        public static string Size(object bytes) => bytes is long value ? LayerProgress.FormatBytes(value) : string.Empty;

        /// <summary>The sum of the layers' sizes, in binary units.</summary>
        public static string TotalSize(IEnumerable layers)
        {
            long total = 0;
            foreach (object layer in layers ?? Array.Empty<object>())
            {
                total += layer is PushedLayer pushed ? pushed.Size : layer is LayerDigest digest ? digest.Size : 0;
            }

            return LayerProgress.FormatBytes(total);
        }

        /// <summary>A layer media type as its format: gzip, zstd or tar (with docker's or OCI's name).</summary>
        public static string Format(string mediaType)
        {
            if (mediaType == null)
            {
                return null;
            }

            string family = mediaType.StartsWith("application/vnd.docker.", StringComparison.Ordinal) ? "docker" : "oci";
            string format = mediaType.EndsWith("gzip", StringComparison.Ordinal) ? "gzip" : mediaType.EndsWith("zstd", StringComparison.Ordinal) ? "zstd" : "tar";
            return format + " (" + family + ")";
        }
    }
}
