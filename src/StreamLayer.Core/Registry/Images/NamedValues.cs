using System;
using System.Collections.Generic;

namespace StreamLayer.Registry.Images
{
    /// <summary>
    /// Names and values an image is given (environment variables, labels, annotations), in ordinal order (so the
    /// same values always give the same bytes), a null value removing the name from the base's.
    /// </summary>
    internal static class NamedValues
    {
        /// <summary>Copies the values into <paramref name="target"/>; <see cref="ImageFailure.SettingInvalid"/> for an empty name, or one with a <paramref name="forbidden"/> character.</summary>
        /// <param name="parameter">How the user gave them, for the message: "Environment".</param>
        /// <param name="forbidden">Characters a name may not hold ('=' in an environment variable's).</param>
        public static void CopyTo(IReadOnlyList<KeyValuePair<string, string>> values, SortedDictionary<string, string> target, string parameter, string forbidden = "")
        {
            foreach (KeyValuePair<string, string> entry in values ?? Array.Empty<KeyValuePair<string, string>>())
            {
                if (string.IsNullOrEmpty(entry.Key) || entry.Key.IndexOfAny(forbidden.ToCharArray()) >= 0)
                {
                    throw new ImageException(
                        ImageFailure.SettingInvalid,
                        entry.Key,
                        "-" + parameter + " takes names that are non-empty strings" + (forbidden.Length > 0 ? " without '" + forbidden + "'" : string.Empty) + "; '" + entry.Key + "' is not one.");
                }

                target[entry.Key] = entry.Value;
            }
        }

        public static SortedDictionary<string, string> Of(IReadOnlyList<KeyValuePair<string, string>> values, string parameter)
        {
            var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
            CopyTo(values, sorted, parameter);
            return sorted;
        }
    }
}
