using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace StreamLayer.Registry
{
    /// <summary>
    /// A JSON value that keeps object members in their order and numbers as written, so a document read and
    /// written again keeps every field it had. netstandard2.0 has no JSON DOM, and image manifests and configs
    /// need exact, stable bytes, so this small one is ours.
    /// </summary>
    public sealed class JsonValue
    {
        private JsonValue(JsonKind kind, object value)
        {
            Kind = kind;
            Value = value;
        }

        public JsonKind Kind { get; }

        private object Value { get; }

        public static JsonValue Null { get; } = new JsonValue(JsonKind.Null, null);

        public static JsonValue From(string text) => text == null ? Null : new JsonValue(JsonKind.String, text);

        public static JsonValue From(long number) => new JsonValue(JsonKind.Number, number.ToString(CultureInfo.InvariantCulture));

        public static JsonValue From(bool value) => new JsonValue(JsonKind.Boolean, value);

        public static JsonValue NewObject() => new JsonValue(JsonKind.Object, new List<KeyValuePair<string, JsonValue>>());

        public static JsonValue NewArray() => new JsonValue(JsonKind.Array, new List<JsonValue>());

        public string AsString => Kind == JsonKind.String ? (string)Value : null;

        public long? AsInt64 => Kind == JsonKind.Number && long.TryParse((string)Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) ? n : (long?)null;

        public IReadOnlyList<JsonValue> Items => Kind == JsonKind.Array ? (List<JsonValue>)Value : (IReadOnlyList<JsonValue>)Array.Empty<JsonValue>();

        public IEnumerable<KeyValuePair<string, JsonValue>> Members => Kind == JsonKind.Object ? (List<KeyValuePair<string, JsonValue>>)Value : Array.Empty<KeyValuePair<string, JsonValue>>();

        /// <summary>The member's value, or null when this is not an object or has no such member.</summary>
        public JsonValue this[string name]
        {
            get
            {
                if (Kind != JsonKind.Object)
                {
                    return null;
                }

                foreach (KeyValuePair<string, JsonValue> member in (List<KeyValuePair<string, JsonValue>>)Value)
                {
                    if (member.Key == name)
                    {
                        return member.Value;
                    }
                }

                return null;
            }
        }

        /// <summary>Sets a member, in place when it exists, appended otherwise. Returns this object.</summary>
        public JsonValue Set(string name, JsonValue value)
        {
            var members = ObjectMembers();
            for (int i = 0; i < members.Count; i++)
            {
                if (members[i].Key == name)
                {
                    members[i] = new KeyValuePair<string, JsonValue>(name, value);
                    return this;
                }
            }

            members.Add(new KeyValuePair<string, JsonValue>(name, value));
            return this;
        }

        public JsonValue Set(string name, string value) => Set(name, From(value));

        public JsonValue Set(string name, long value) => Set(name, From(value));

        public JsonValue Add(JsonValue item)
        {
            if (Kind != JsonKind.Array)
            {
                throw new InvalidOperationException("Only a JSON array takes items.");
            }

            ((List<JsonValue>)Value).Add(item);
            return this;
        }

        public static JsonValue Parse(string text) => new Parser(text).ParseDocument();

        public static bool TryParse(string text, out JsonValue value)
        {
            try
            {
                value = Parse(text);
                return true;
            }
            catch (FormatException)
            {
                value = null;
                return false;
            }
        }

        /// <summary>Compact JSON, members in their order: the same value always gives the same bytes.</summary>
        public override string ToString()
        {
            var builder = new StringBuilder();
            Write(builder);
            return builder.ToString();
        }

        public byte[] ToUtf8() => new UTF8Encoding(false).GetBytes(ToString());

        private List<KeyValuePair<string, JsonValue>> ObjectMembers() =>
            Kind == JsonKind.Object ? (List<KeyValuePair<string, JsonValue>>)Value : throw new InvalidOperationException("Only a JSON object has members.");

        private void Write(StringBuilder builder)
        {
            switch (Kind)
            {
                case JsonKind.Null:
                    builder.Append("null");
                    break;
                case JsonKind.Boolean:
                    builder.Append((bool)Value ? "true" : "false");
                    break;
                case JsonKind.Number:
                    builder.Append((string)Value);
                    break;
                case JsonKind.String:
                    WriteString(builder, (string)Value);
                    break;
                case JsonKind.Array:
                    builder.Append('[');
                    bool firstItem = true;
                    foreach (JsonValue item in (List<JsonValue>)Value)
                    {
                        if (!firstItem)
                        {
                            builder.Append(',');
                        }

                        firstItem = false;
                        item.Write(builder);
                    }

                    builder.Append(']');
                    break;
                default:
                    builder.Append('{');
                    bool firstMember = true;
                    foreach (KeyValuePair<string, JsonValue> member in (List<KeyValuePair<string, JsonValue>>)Value)
                    {
                        if (!firstMember)
                        {
                            builder.Append(',');
                        }

                        firstMember = false;
                        WriteString(builder, member.Key);
                        builder.Append(':');
                        member.Value.Write(builder);
                    }

                    builder.Append('}');
                    break;
            }
        }

        private static void WriteString(StringBuilder builder, string text)
        {
            builder.Append('"');
            foreach (char c in text)
            {
                switch (c)
                {
                    case '"': builder.Append("\\\""); break;
                    case '\\': builder.Append("\\\\"); break;
                    case '\n': builder.Append("\\n"); break;
                    case '\r': builder.Append("\\r"); break;
                    case '\t': builder.Append("\\t"); break;
                    case '\b': builder.Append("\\b"); break;
                    case '\f': builder.Append("\\f"); break;
                    default:
                        // Go's encoder escapes <, > and & too; doing the same keeps documents byte-compatible with it.
                        if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\u2028' || c == '\u2029')
                        {
                            builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            builder.Append(c);
                        }

                        break;
                }
            }

            builder.Append('"');
        }

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

    public enum JsonKind
    {
        Null,
        Boolean,
        Number,
        String,
        Array,
        Object,
    }
}
