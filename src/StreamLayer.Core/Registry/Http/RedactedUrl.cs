using System;
using System.Collections.Generic;
using System.Text;

namespace StreamLayer.Registry.Http
{
    /// <summary>A URL as messages and logs show it: scheme://host/path with no user info, and query values hidden (they can be signatures) except digests and repository names.</summary>
    internal static class RedactedUrl
    {
        // Query parameters of the distribution API whose values are names and digests, never secrets.
        private static readonly HashSet<string> s_plainQueryNames = new HashSet<string>(StringComparer.Ordinal) { "digest", "mount", "from" };

        public static string Of(Uri uri)
        {
            if (uri == null)
            {
                return string.Empty;
            }

            var text = new StringBuilder();
            text.Append(uri.Scheme).Append("://").Append(uri.Authority).Append(uri.AbsolutePath);
            string query = uri.Query.TrimStart('?');
            if (query.Length > 0)
            {
                text.Append('?');
                bool first = true;
                foreach (string pair in query.Split('&'))
                {
                    int equals = pair.IndexOf('=');
                    string name = equals < 0 ? pair : pair.Substring(0, equals);
                    if (!first)
                    {
                        text.Append('&');
                    }

                    first = false;
                    text.Append(name);
                    if (equals >= 0)
                    {
                        text.Append('=').Append(s_plainQueryNames.Contains(name) ? Uri.UnescapeDataString(pair.Substring(equals + 1)) : "...");
                    }
                }
            }

            return text.ToString();
        }
    }
}
