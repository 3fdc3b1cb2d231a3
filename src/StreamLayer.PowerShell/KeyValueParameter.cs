using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;

namespace StreamLayer.Commands
{
    /// <summary>
    /// A hashtable parameter (-Environment, -Label, -Annotation) as the core takes it: names to text, in ordinal
    /// order (a hashtable's own order changes from one process to the next), a $null value removing the name.
    /// </summary>
    internal static class KeyValueParameter
    {
        /// <param name="forbidden">Characters a name may not hold ('=' in an environment variable's).</param>
        public static void CopyTo(IDictionary values, SortedDictionary<string, string> target, string parameter, string forbidden = "")
        {
            if (values == null)
            {
                return;
            }

            foreach (DictionaryEntry entry in values)
            {
                string name = Text(entry.Key);
                if (string.IsNullOrEmpty(name) || name.IndexOfAny(forbidden.ToCharArray()) >= 0)
                {
                    throw CommandFailure.Create(
                        ErrorIds.InvalidOption,
                        ErrorCategory.InvalidArgument,
                        entry.Key,
                        "-" + parameter + " takes names that are non-empty strings" + (forbidden.Length > 0 ? " without '" + forbidden + "'" : string.Empty) + "; '" + entry.Key + "' is not one.");
                }

                target[name] = Text(entry.Value);
            }
        }

        private static string Text(object value)
        {
            object unwrapped = value is PSObject wrapped ? wrapped.BaseObject : value;
            return unwrapped == null ? null : (string)LanguagePrimitives.ConvertTo(unwrapped, typeof(string), CultureInfo.InvariantCulture);
        }
    }
}
