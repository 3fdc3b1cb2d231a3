using System;
using System.Management.Automation;

namespace StreamLayer.Commands
{
    /// <summary>
    /// Lets -CompressionLevel take .NET's level names as well as numbers. A name means a different number for each
    /// format, and the format (-Compression) may be bound after this parameter, so a name becomes a marker value
    /// here and <see cref="Resolve"/> turns it into the format's level once all parameters are bound.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class CompressionLevelTransformationAttribute : ArgumentTransformationAttribute
    {
        // Markers far below any format's lowest level (zstd's is -131072), so no real level is taken for a name.
        private const int NoCompression = int.MinValue;
        private const int Fastest = int.MinValue + 1;
        private const int Optimal = int.MinValue + 2;
        private const int SmallestSize = int.MinValue + 3;

        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            object value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
            if (value is string name)
            {
                switch (name.Trim().ToLowerInvariant())
                {
                    case "nocompression": return NoCompression;
                    case "fastest": return Fastest;
                    case "optimal": return Optimal;
                    case "smallestsize": return SmallestSize;
                }
            }

            return inputData;
        }

        /// <summary>
        /// The level for <paramref name="format"/>: numbers as they are; names as gzip 0/1/6/9 and zstd -/1/3/19
        /// (zstd has no level without compression).
        /// </summary>
        public static int Resolve(int level, LayerCompression format)
        {
            bool zstd = format == LayerCompression.Zstd;
            switch (level)
            {
                case NoCompression when zstd:
                    throw new LayerOptionsException(
                        "zstd has no level without compression. Use -Compression None for an uncompressed layer.",
                        nameof(LayerOptions.CompressionLevel));
                case NoCompression:
                    return 0;
                case Fastest:
                    return 1;
                case Optimal:
                    return zstd ? 3 : 6;
                case SmallestSize:
                    // zstd's highest regular level; 20-22 are its --ultra levels, taken as numbers.
                    return zstd ? 19 : 9;
                default:
                    return level;
            }
        }
    }
}
