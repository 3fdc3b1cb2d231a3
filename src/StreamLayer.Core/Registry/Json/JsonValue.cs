using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace StreamLayer.Registry.Json
{
    /// <summary>
    /// A JSON value that keeps object members in their order and numbers as written, so a document read and
    /// written again keeps every field it had. Reading is System.Text.Json's strict reader (see the Parser part);
    /// writing is this class's own, because image configs and manifests need exactly the bytes Go's encoder
    /// writes (it escapes &lt;, &gt; and &amp;, and nothing else beyond what JSON requires), which
    /// Utf8JsonWriter's encoders do not give.
    /// </summary>
    internal sealed partial class JsonValue
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

        /// <summary>Parses JSON text strictly; throws <see cref="FormatException"/> saying what is wrong.</summary>
        public static JsonValue Parse(string text)
        {
            byte[] utf8;
            try
            {
                utf8 = s_strictUtf8.GetBytes(text ?? throw new ArgumentNullException(nameof(text)));
            }
            catch (EncoderFallbackException e)
            {
                throw new FormatException("Invalid JSON: the text holds a lone surrogate.", e);
            }

            return ParseUtf8(utf8);
        }

        /// <summary>Parses JSON as the bytes a server sent (UTF-8) strictly; throws <see cref="FormatException"/>.</summary>
        public static JsonValue Parse(byte[] utf8) => ParseUtf8(utf8);

        public static bool TryParse(string text, out JsonValue value) => TryParse(() => Parse(text), out value);

        public static bool TryParse(byte[] utf8, out JsonValue value) => TryParse(() => Parse(utf8), out value);

        private static bool TryParse(Func<JsonValue> parse, out JsonValue value)
        {
            try
            {
                value = parse();
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
    }
}
