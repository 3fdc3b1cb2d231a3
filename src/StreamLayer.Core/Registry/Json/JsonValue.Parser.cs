using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace StreamLayer.Registry.Json
{
    /// <summary>Reading JSON text (RFC 8259, nesting at most 256 deep); numbers keep the text they were written with.</summary>
    internal sealed partial class JsonValue
    {
        private sealed class Parser
        {
            private readonly string _text;
            private int _position;

            public Parser(string text) => _text = text ?? throw new ArgumentNullException(nameof(text));

            public JsonValue ParseDocument()
            {
                JsonValue value = ParseValue(0);
                SkipWhitespace();
                if (_position != _text.Length)
                {
                    throw Error("unexpected text after the JSON value");
                }

                return value;
            }

            private JsonValue ParseValue(int depth)
            {
                if (depth > 256)
                {
                    throw Error("nesting is too deep");
                }

                SkipWhitespace();
                if (_position >= _text.Length)
                {
                    throw Error("unexpected end");
                }

                char c = _text[_position];
                switch (c)
                {
                    case '{': return ParseObject(depth);
                    case '[': return ParseArray(depth);
                    case '"': return new JsonValue(JsonKind.String, ParseString());
                    case 't': Expect("true"); return From(true);
                    case 'f': Expect("false"); return From(false);
                    case 'n': Expect("null"); return Null;
                    default:
                        if (c == '-' || (c >= '0' && c <= '9'))
                        {
                            return ParseNumber();
                        }

                        throw Error("unexpected character '" + c + "'");
                }
            }

            private JsonValue ParseObject(int depth)
            {
                _position++;
                JsonValue result = NewObject();
                SkipWhitespace();
                if (Peek() == '}')
                {
                    _position++;
                    return result;
                }

                while (true)
                {
                    SkipWhitespace();
                    if (Peek() != '"')
                    {
                        throw Error("expected a member name");
                    }

                    string name = ParseString();
                    SkipWhitespace();
                    if (Peek() != ':')
                    {
                        throw Error("expected ':'");
                    }

                    _position++;
                    result.ObjectMembers().Add(new KeyValuePair<string, JsonValue>(name, ParseValue(depth + 1)));
                    SkipWhitespace();
                    char next = Peek();
                    _position++;
                    if (next == '}')
                    {
                        return result;
                    }

                    if (next != ',')
                    {
                        throw Error("expected ',' or '}'");
                    }
                }
            }

            private JsonValue ParseArray(int depth)
            {
                _position++;
                JsonValue result = NewArray();
                SkipWhitespace();
                if (Peek() == ']')
                {
                    _position++;
                    return result;
                }

                while (true)
                {
                    result.Add(ParseValue(depth + 1));
                    SkipWhitespace();
                    char next = Peek();
                    _position++;
                    if (next == ']')
                    {
                        return result;
                    }

                    if (next != ',')
                    {
                        throw Error("expected ',' or ']'");
                    }
                }
            }

            private string ParseString()
            {
                _position++;
                var builder = new StringBuilder();
                while (true)
                {
                    if (_position >= _text.Length)
                    {
                        throw Error("unterminated string");
                    }

                    char c = _text[_position++];
                    if (c == '"')
                    {
                        return builder.ToString();
                    }

                    if (c < 0x20)
                    {
                        throw Error("control character in a string");
                    }

                    if (c != '\\')
                    {
                        builder.Append(c);
                        continue;
                    }

                    char escape = Peek();
                    _position++;
                    switch (escape)
                    {
                        case '"': builder.Append('"'); break;
                        case '\\': builder.Append('\\'); break;
                        case '/': builder.Append('/'); break;
                        case 'b': builder.Append('\b'); break;
                        case 'f': builder.Append('\f'); break;
                        case 'n': builder.Append('\n'); break;
                        case 'r': builder.Append('\r'); break;
                        case 't': builder.Append('\t'); break;
                        case 'u':
                            if (_position + 4 > _text.Length || !int.TryParse(_text.Substring(_position, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int code))
                            {
                                throw Error("bad \\u escape");
                            }

                            builder.Append((char)code);
                            _position += 4;
                            break;
                        default:
                            throw Error("bad escape");
                    }
                }
            }

            private JsonValue ParseNumber()
            {
                int start = _position;
                if (Peek() == '-')
                {
                    _position++;
                }

                while (_position < _text.Length && "0123456789.eE+-".IndexOf(_text[_position]) >= 0)
                {
                    _position++;
                }

                string number = _text.Substring(start, _position - start);
                if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                {
                    throw Error("bad number '" + number + "'");
                }

                return new JsonValue(JsonKind.Number, number);
            }

            private void Expect(string word)
            {
                if (string.CompareOrdinal(_text, _position, word, 0, word.Length) != 0)
                {
                    throw Error("unexpected text");
                }

                _position += word.Length;
            }

            private char Peek() => _position < _text.Length ? _text[_position] : '\0';

            private void SkipWhitespace()
            {
                while (_position < _text.Length && (_text[_position] == ' ' || _text[_position] == '\t' || _text[_position] == '\n' || _text[_position] == '\r'))
                {
                    _position++;
                }
            }

            private FormatException Error(string what) =>
                new FormatException("Invalid JSON at character " + _position.ToString(CultureInfo.InvariantCulture) + ": " + what + ".");
        }
    }
}
