using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace StreamLayer.Registry.Images
{
    /// <summary>
    /// Names and values an image is given (environment variables, labels, annotations), in ordinal order (so the
    /// same values always give the same bytes), a null value removing the name from the base's.
    /// </summary>
    internal static class NamedValues
    {
        /// <summary>The most bytes of annotations a manifest may carry: distribution refuses a manifest over 4 MiB, and the rest of it needs room.</summary>
        public const int MostAnnotationBytes = (4 << 20) - (64 << 10);

        /// <summary>Copies the values into <paramref name="target"/>; <see cref="ImageFailure.SettingInvalid"/> for an empty name, or one with a <paramref name="forbidden"/> character.</summary>
        /// <param name="parameter">How the user gave them, for the message: "Environment".</param>
        /// <param name="forbidden">Characters a name may not hold ('=' in an environment variable's).</param>
        /// <param name="forProcess">Whether the values reach a process (environment variables): no NUL, which no process can be given.</param>
        public static void CopyTo(IReadOnlyList<KeyValuePair<string, string>> values, SortedDictionary<string, string> target, string parameter, string forbidden = "", bool forProcess = false)
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

                CheckText(entry.Key, "-" + parameter + " name '" + entry.Key + "'", forProcess);
                if (entry.Value != null)
                {
                    CheckText(entry.Value, "-" + parameter + " '" + entry.Key + "' has a value that", forProcess);
                }

                target[entry.Key] = entry.Value;
            }
        }

        public static SortedDictionary<string, string> Of(IReadOnlyList<KeyValuePair<string, string>> values, string parameter)
        {
            var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
            CopyTo(values, sorted, parameter);
            CheckAnnotationSize(sorted, parameter);
            return sorted;
        }

        /// <summary>Refuses annotations too large for any manifest to hold, before anything is pushed.</summary>
        public static void CheckAnnotationSize(SortedDictionary<string, string> annotations, string parameter)
        {
            long bytes = 0;
            foreach (KeyValuePair<string, string> entry in annotations)
            {
                bytes += Encoding.UTF8.GetByteCount(entry.Key) + (entry.Value == null ? 0 : Encoding.UTF8.GetByteCount(entry.Value));
            }

            if (bytes > MostAnnotationBytes)
            {
                throw new ImageException(
                    ImageFailure.SettingInvalid,
                    null,
                    string.Format(CultureInfo.InvariantCulture, "-{0} holds {1:0.0} MiB, more than a manifest can carry: registries refuse manifests over 4 MiB (docker-registry does). Keep large data in a layer or a blob and annotate its digest instead.", parameter, bytes / 1048576.0));
            }
        }

        /// <summary>
        /// Refuses text that the image cannot hold as it was given: a lone UTF-16 surrogate (JSON's UTF-8 would
        /// turn it into U+FFFD), and, for what a process is given, a NUL character.
        /// </summary>
        /// <param name="what">How the message names it, followed by "is not valid Unicode": "-Label 'a' has a value that".</param>
        public static void CheckText(string text, string what, bool forProcess)
        {
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    i++;
                    continue;
                }

                if (char.IsSurrogate(c))
                {
                    throw new ImageException(
                        ImageFailure.SettingInvalid,
                        text,
                        string.Format(CultureInfo.InvariantCulture, "{0} is not valid Unicode: a lone surrogate (U+{1:X4}) at character {2}, which the image's JSON cannot hold as given. Give the text as it should read.", what, (int)c, i + 1));
                }

                if (c == '\0' && forProcess)
                {
                    throw new ImageException(
                        ImageFailure.SettingInvalid,
                        text,
                        string.Format(CultureInfo.InvariantCulture, "{0} holds a NUL character (at character {1}), which no process can be given: the container would not get it as given.", what, i + 1));
                }
            }
        }
    }
}
