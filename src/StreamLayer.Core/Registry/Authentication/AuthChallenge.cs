using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace StreamLayer.Registry
{
    /// <summary>
    /// One challenge of a WWW-Authenticate header (RFC 7235): a scheme and its parameters, e.g.
    /// Bearer realm="https://auth.example.com/token",service="registry",scope="repository:team/app:pull".
    /// </summary>
    public sealed class AuthChallenge
    {
        private readonly Dictionary<string, string> _parameters;

        private AuthChallenge(string scheme, Dictionary<string, string> parameters)
        {
            Scheme = scheme;
            _parameters = parameters;
        }

        public string Scheme { get; }

        public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);

        public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

        public IReadOnlyDictionary<string, string> Parameters => _parameters;

        /// <summary>The token endpoint of a Bearer challenge.</summary>
        public Uri Realm => Uri.TryCreate(this["realm"], UriKind.Absolute, out Uri realm) ? realm : null;

        public string Service => this["service"];

        /// <summary>The scopes the registry asks for (the scope parameter holds them separated by spaces).</summary>
        public IReadOnlyList<string> Scopes =>
            (this["scope"] ?? string.Empty).Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);

        /// <summary>The error parameter, e.g. insufficient_scope or invalid_token.</summary>
        public string Error => this["error"];

        public string this[string name] => _parameters.TryGetValue(name, out string value) ? value : null;

        /// <summary>The scheme and parameter names, without values (a scope is harmless, but a nonce need not be shown).</summary>
        public override string ToString() =>
            Scheme + (_parameters.Count == 0 ? string.Empty : " " + string.Join(",", _parameters.Keys));

        /// <summary>
        /// Parses the values of every WWW-Authenticate header of an answer. Throws FormatException that says what
        /// is wrong (without quoting the header) when a value does not follow the grammar.
        /// </summary>
        public static IReadOnlyList<AuthChallenge> Parse(IEnumerable<string> headerValues)
        {
            var challenges = new List<AuthChallenge>();
            foreach (string value in headerValues ?? Enumerable.Empty<string>())
            {
                challenges.AddRange(new Parser(value ?? string.Empty).ParseAll());
            }

            return challenges;
        }

        public static IReadOnlyList<AuthChallenge> Parse(string headerValue) => Parse(new[] { headerValue });

        private sealed class Parser
        {
            private readonly string _text;
            private int _position;

            public Parser(string text) => _text = text;

            private bool AtEnd => _position >= _text.Length;

            private char Current => _text[_position];

            public List<AuthChallenge> ParseAll()
            {
                var challenges = new List<AuthChallenge>();
                while (true)
                {
                    SkipSeparators();
                    if (AtEnd)
                    {
                        break;
                    }

                    string scheme = ReadToken();
                    if (scheme.Length == 0)
                    {
                        throw Error("expected an authentication scheme");
                    }

                    var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                    if (!AtEnd && Current != ',')
                    {
                        if (Current != ' ' && Current != '\t')
                        {
                            throw Error("expected a space after the scheme");
                        }

                        SkipSpaces();
                        ReadParameters(parameters);
                    }

                    challenges.Add(new AuthChallenge(scheme, parameters));
                }

                if (challenges.Count == 0)
                {
                    throw Error("the header is empty");
                }

                return challenges;
            }

            /// <summary>Reads name=value pairs up to the end or to the next challenge's scheme.</summary>
            private void ReadParameters(Dictionary<string, string> parameters)
            {
                if (TryReadToken68(out string token68))
                {
                    parameters[string.Empty] = token68;
                    return;
                }

                while (!AtEnd)
                {
                    int start = _position;
                    string name = ReadToken();
                    SkipSpaces();
                    if (name.Length == 0 || AtEnd || Current != '=')
                    {
                        if (name.Length == 0 || parameters.Count == 0)
                        {
                            throw Error("expected a parameter (name=value)");
                        }

                        _position = start; // the next challenge's scheme
                        return;
                    }

                    _position++; // '='
                    SkipSpaces();
                    string value = !AtEnd && Current == '"' ? ReadQuoted() : ReadToken();
                    if (value.Length == 0 && _text[_position - 1] != '"')
                    {
                        throw Error("a parameter has no value");
                    }

                    if (parameters.ContainsKey(name))
                    {
                        throw Error("a parameter appears twice");
                    }

                    parameters[name] = value;
                    SkipSpaces();
                    if (AtEnd)
                    {
                        return;
                    }

                    if (Current != ',')
                    {
                        throw Error("expected ',' after a parameter");
                    }

                    SkipSeparators();
                }
            }

            private bool TryReadToken68(out string token68)
            {
                int start = _position;
                while (!AtEnd && (char.IsLetterOrDigit(Current) || "-._~+/".IndexOf(Current) >= 0))
                {
                    _position++;
                }

                int letters = _position;
                while (!AtEnd && Current == '=')
                {
                    _position++;
                }

                token68 = _text.Substring(start, _position - start);
                int end = _position;
                SkipSpaces();
                if (letters > start && (AtEnd || Current == ','))
                {
                    _position = end;
                    return true;
                }

                _position = start;
                token68 = null;
                return false;
            }

            private void SkipSpaces()
            {
                while (!AtEnd && (Current == ' ' || Current == '\t'))
                {
                    _position++;
                }
            }

            private void SkipSeparators()
            {
                while (!AtEnd && (Current == ' ' || Current == '\t' || Current == ','))
                {
                    _position++;
                }
            }

            private string ReadToken()
            {
                int start = _position;
                while (!AtEnd && IsTokenChar(Current))
                {
                    _position++;
                }

                return _text.Substring(start, _position - start);
            }

            private string ReadQuoted()
            {
                _position++; // the opening quote
                var value = new StringBuilder();
                while (true)
                {
                    if (AtEnd)
                    {
                        throw Error("a quoted value is not closed");
                    }

                    char c = Current;
                    _position++;
                    if (c == '"')
                    {
                        return value.ToString();
                    }

                    if (c == '\\')
                    {
                        if (AtEnd)
                        {
                            throw Error("a quoted value ends in a backslash");
                        }

                        c = Current;
                        _position++;
                    }
                    else if (c < ' ' && c != '\t')
                    {
                        throw Error("a quoted value holds a control character");
                    }

                    value.Append(c);
                }
            }

            private static bool IsTokenChar(char c) =>
                c > ' ' && c < 127 && "()<>@,;:\\\"/[]?={}".IndexOf(c) < 0;

            private FormatException Error(string what) =>
                new FormatException("malformed at character " + _position.ToString(System.Globalization.CultureInfo.InvariantCulture) + ": " + what);
        }
    }
}
