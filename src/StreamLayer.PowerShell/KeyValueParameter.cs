using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;

namespace StreamLayer.Commands
{
    /// <summary>A hashtable parameter (-Environment, -Label, -Annotation) as the core takes it: names and values as text, a $null value kept as null.</summary>
    internal static class KeyValueParameter
    {
        /// <summary>The entries as text; null when the parameter was not given. The core checks the names.</summary>
        public static IReadOnlyList<KeyValuePair<string, string>> ToPairs(IDictionary values)
        {
            if (values == null)
            {
                return null;
            }

            var pairs = new List<KeyValuePair<string, string>>();
            foreach (DictionaryEntry entry in values)
            {
                pairs.Add(new KeyValuePair<string, string>(Text(entry.Key), Text(entry.Value)));
            }

            return pairs;
        }

        private static string Text(object value)
        {
            object unwrapped = value is PSObject wrapped ? wrapped.BaseObject : value;
            return unwrapped == null ? null : (string)LanguagePrimitives.ConvertTo(unwrapped, typeof(string), CultureInfo.InvariantCulture);
        }
    }
}
