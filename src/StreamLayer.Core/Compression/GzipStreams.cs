using System;
using System.IO;
using System.IO.Compression;
using System.Reflection;

namespace StreamLayer.Compression
{
    /// <summary>
    /// Makes GZipStreams at a numeric zlib level. .NET 9 and later take 0-9 through ZLibCompressionOptions;
    /// netstandard2.0 cannot name that type, so it is found by reflection, and older runtimes get the nearest
    /// CompressionLevel.
    /// </summary>
    internal static class GzipStreams
    {
        // SmallestSize (3) exists from .NET 6; earlier runtimes reject it.
        private const CompressionLevel SmallestSize = (CompressionLevel)3;

        private static readonly Type s_optionsType =
            typeof(GZipStream).Assembly.GetType("System.IO.Compression.ZLibCompressionOptions", throwOnError: false);

        private static readonly ConstructorInfo s_constructor = s_optionsType == null
            ? null
            : typeof(GZipStream).GetConstructor(new[] { typeof(Stream), s_optionsType, typeof(bool) });

        private static readonly PropertyInfo s_levelProperty = s_optionsType?.GetProperty("CompressionLevel");

        /// <summary>Whether every level 0-9 is honoured as it is (false: mapped to Fastest/Optimal/SmallestSize).</summary>
        public static bool HasNumericLevels => !FrameworkCodePaths.ForceEnumLevels && s_constructor != null && s_levelProperty != null;

        public static Stream Create(Stream output, int level)
        {
            if (HasNumericLevels)
            {
                object options = Activator.CreateInstance(s_optionsType);
                s_levelProperty.SetValue(options, level);
                return (Stream)s_constructor.Invoke(new[] { output, options, true });
            }

            return new GZipStream(output, NearestLevel(level), leaveOpen: true);
        }

        /// <summary>
        /// The CompressionLevel a numeric level becomes where numeric levels are not honoured: 0 NoCompression,
        /// 1 Fastest, 9 SmallestSize where it exists (.NET 6 to 8), every other level Optimal (.NET Framework: 2-9).
        /// </summary>
        internal static CompressionLevel NearestLevel(int level)
        {
            switch (level)
            {
                case 0: return CompressionLevel.NoCompression;
                case 1: return CompressionLevel.Fastest;
                case 9 when HasSmallestSize: return SmallestSize;
                default: return CompressionLevel.Optimal;
            }
        }

        private static bool HasSmallestSize => !FrameworkCodePaths.ForceEnumLevels && Enum.IsDefined(typeof(CompressionLevel), SmallestSize);
    }
}
