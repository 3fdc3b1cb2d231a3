using System;
using System.Collections.Generic;

namespace StreamLayer.Folders
{
    /// <summary>
    /// A wildcard pattern on a path relative to the folder, as .dockerignore reads one: '/' separates the parts (a
    /// '\' is read as '/' too, so a pattern means the same on every system); <c>*</c> matches any run of characters
    /// within one part, <c>?</c> one character, <c>[abc]</c>, <c>[a-z]</c> and <c>[!a]</c> one of a set; a part that
    /// is <c>**</c> matches any number of parts, none included. A leading '/' or './' and a trailing '/' are
    /// ignored. The whole path must match, case-sensitively: <c>*.log</c> matches only at the top,
    /// <c>**/*.log</c> everywhere. '!' exceptions are not supported.
    /// </summary>
    internal sealed class PathPattern
    {
        private readonly string[] _parts;

        private PathPattern(string text, string[] parts)
        {
            Text = text;
            _parts = parts;
        }

        public string Text { get; }

        /// <summary>The pattern; a <see cref="LayerOptionsException"/> naming <paramref name="parameter"/> when it cannot be one.</summary>
        public static PathPattern Parse(string text, string parameter)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                throw new LayerOptionsException("-" + parameter + " has an empty pattern.", parameter);
            }

            if (text.StartsWith("!", StringComparison.Ordinal))
            {
                throw new LayerOptionsException("-" + parameter + " '" + text + "': exceptions with '!' are not supported. Name what to match, not what to keep.", parameter);
            }

            string normal = text.Trim().Replace('\\', '/');
            while (normal.StartsWith("./", StringComparison.Ordinal))
            {
                normal = normal.Substring(2);
            }

            var parts = new List<string>();
            foreach (string part in normal.Split('/'))
            {
                if (part.Length == 0 || part == ".")
                {
                    continue;
                }

                if (!ClassesClosed(part))
                {
                    throw new LayerOptionsException("-" + parameter + " '" + text + "' has a '[' without its ']'.", parameter);
                }

                parts.Add(part);
            }

            if (parts.Count == 0)
            {
                throw new LayerOptionsException("-" + parameter + " '" + text + "' matches no path: give a path relative to the folder, such as 'obj' or '**/*.log'.", parameter);
            }

            return new PathPattern(text, parts.ToArray());
        }

        /// <summary>Whether the pattern matches the path, whose parts are separated by '/'.</summary>
        public bool Matches(string path) => MatchParts(_parts, 0, path.Split('/'), 0);

        private static bool MatchParts(string[] pattern, int p, string[] path, int i)
        {
            while (p < pattern.Length)
            {
                if (pattern[p] == "**")
                {
                    // Any number of parts, none included.
                    for (int skip = i; skip <= path.Length; skip++)
                    {
                        if (MatchParts(pattern, p + 1, path, skip))
                        {
                            return true;
                        }
                    }

                    return false;
                }

                if (i >= path.Length || !MatchPart(pattern[p], 0, path[i], 0))
                {
                    return false;
                }

                p++;
                i++;
            }

            return i == path.Length;
        }

        private static bool MatchPart(string pattern, int p, string name, int n)
        {
            while (p < pattern.Length)
            {
                char c = pattern[p];
                if (c == '*')
                {
                    for (int rest = n; rest <= name.Length; rest++)
                    {
                        if (MatchPart(pattern, p + 1, name, rest))
                        {
                            return true;
                        }
                    }

                    return false;
                }

                if (n >= name.Length)
                {
                    return false;
                }

                if (c == '?')
                {
                    p++;
                    n++;
                    continue;
                }

                if (c == '[')
                {
                    bool negate = pattern[p + 1] == '!' || pattern[p + 1] == '^';
                    int from = negate ? p + 2 : p + 1;
                    int close = pattern.IndexOf(']', from + 1);
                    if (!InClass(pattern, from, close, name[n]) ^ negate)
                    {
                        return false;
                    }

                    p = close + 1;
                    n++;
                    continue;
                }

                if (c != name[n])
                {
                    return false;
                }

                p++;
                n++;
            }

            return n == name.Length;
        }

        private static bool InClass(string pattern, int from, int close, char c)
        {
            for (int i = from; i < close; i++)
            {
                if (i + 2 < close && pattern[i + 1] == '-')
                {
                    if (c >= pattern[i] && c <= pattern[i + 2])
                    {
                        return true;
                    }

                    i += 2;
                }
                else if (pattern[i] == c)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Whether every '[' has its ']' with at least one character between (a ']' right after '[' or '[!' belongs to the set).</summary>
        private static bool ClassesClosed(string part)
        {
            for (int i = 0; i < part.Length; i++)
            {
                if (part[i] != '[')
                {
                    continue;
                }

                int from = i + 1 < part.Length && (part[i + 1] == '!' || part[i + 1] == '^') ? i + 2 : i + 1;
                int close = from + 1 <= part.Length ? part.IndexOf(']', Math.Min(from + 1, part.Length)) : -1;
                if (from >= part.Length || close < 0)
                {
                    return false;
                }

                i = close;
            }

            return true;
        }
    }
}
