using System;
using System.Globalization;

namespace StreamLayer
{
    /// <summary>SOURCE_DATE_EPOCH, the reproducible-builds convention: the time a build should write, in whole seconds since 1970.</summary>
    internal static class SourceDateEpoch
    {
        public const string Variable = "SOURCE_DATE_EPOCH";

        public static readonly DateTimeOffset Epoch = new DateTimeOffset(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

        /// <summary>The variable as this process has it; null or empty when unset.</summary>
        public static string FromEnvironment() => Environment.GetEnvironmentVariable(Variable);

        /// <summary>The time <paramref name="value"/> names; null when it is unset (null or empty). Throws FormatException for anything else.</summary>
        public static DateTimeOffset? Parse(string value)
        {
            if (string.IsNullOrEmpty(value))
            {
                return null;
            }

            if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds) || seconds > 253402300799)
            {
                throw new FormatException(Variable + " is '" + value + "'; it must be a whole number of seconds since 1970-01-01.");
            }

            return Epoch.AddSeconds(seconds);
        }
    }
}
