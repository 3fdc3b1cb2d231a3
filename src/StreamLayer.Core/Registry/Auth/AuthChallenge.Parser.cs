using System;
using System.Collections.Generic;
using System.Text;

namespace StreamLayer.Registry.Auth
{
    /// <summary>The WWW-Authenticate grammar of RFC 7235: challenges, their parameters (token or quoted) and token68.</summary>
    internal sealed partial class AuthChallenge
    {
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
