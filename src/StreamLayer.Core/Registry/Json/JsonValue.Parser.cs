using System;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;

namespace StreamLayer.Registry.Json
{
    /// <summary>
    /// Reading JSON strictly (RFC 8259) with System.Text.Json's reader: numbers as the grammar allows them (no
    /// leading zeros, no "1."), strings that are valid UTF-8 and UTF-16 (no lone surrogates), no comments or
    /// trailing commas, nesting at most 256 deep, and no member name twice in one object, so that what is read is
    /// exactly the document the registry stored. Numbers keep the text they were written with.
    /// </summary>
    internal sealed partial class JsonValue
    {
        private static readonly UTF8Encoding s_strictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

        private static readonly JsonReaderOptions s_options = new JsonReaderOptions
        {
            MaxDepth = 256,
            CommentHandling = JsonCommentHandling.Disallow,
            AllowTrailingCommas = false,
        };

        private static JsonValue ParseUtf8(byte[] utf8)
        {
            if (utf8 == null)
            {
                throw new ArgumentNullException(nameof(utf8));
            }

            // A byte order mark is not JSON, but editors write one into config files.
            int start = utf8.Length >= 3 && utf8[0] == 0xEF && utf8[1] == 0xBB && utf8[2] == 0xBF ? 3 : 0;
            var reader = new Utf8JsonReader(new ReadOnlySpan<byte>(utf8, start, utf8.Length - start), s_options);
            try
            {
                if (!reader.Read())
                {
                    throw Error(ref reader, "there is no JSON value");
                }

                JsonValue value = ReadValue(ref reader);
                if (reader.Read())
                {
                    throw Error(ref reader, "unexpected text after the JSON value");
                }

                return value;
            }
            catch (Syntax e)
            {
                throw new FormatException("Invalid JSON at " + Where(utf8, start, e.Offset) + ": " + e.Message + ".");
            }
            catch (JsonException e)
            {
                string where = e.LineNumber.HasValue
                    ? "line " + (e.LineNumber.Value + 1) + ", column " + (e.BytePositionInLine.GetValueOrDefault() + 1)
                    : Where(utf8, start, reader.TokenStartIndex);
                throw new FormatException("Invalid JSON at " + where + ": " + FirstSentence(e.Message) + ".", e);
            }
            catch (InvalidOperationException e)
            {
                // GetString on a string that is not valid UTF-8, or whose escapes make a lone surrogate.
                throw new FormatException("Invalid JSON at " + Where(utf8, start, reader.TokenStartIndex) + ": a string is not valid Unicode (" + FirstSentence(e.Message) + ").", e);
            }
        }

        /// <summary>"line L, column C" (from 1, columns in bytes) of a byte offset of the text after <paramref name="start"/>.</summary>
        private static string Where(byte[] utf8, int start, long offset)
        {
            int line = 1;
            long column = 1;
            for (long i = start; i < start + offset && i < utf8.Length; i++)
            {
                if (utf8[i] == (byte)'\n')
                {
                    line++;
                    column = 1;
                }
                else
                {
                    column++;
                }
            }

            return "line " + line + ", column " + column;
        }

        private static string FirstSentence(string message)
        {
            int end = message.IndexOf(". ", StringComparison.Ordinal);
            return (end < 0 ? message : message.Substring(0, end)).TrimEnd('.');
        }

        private static JsonValue ReadValue(ref Utf8JsonReader reader)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    return ReadObject(ref reader);
                case JsonTokenType.StartArray:
                    JsonValue array = NewArray();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        array.Add(ReadValue(ref reader));
                    }

                    return array;
                case JsonTokenType.String:
                    return new JsonValue(JsonKind.String, reader.GetString());
                case JsonTokenType.Number:
                    return new JsonValue(JsonKind.Number, Encoding.UTF8.GetString(reader.ValueSpan.ToArray()));
                case JsonTokenType.True:
                    return From(true);
                case JsonTokenType.False:
                    return From(false);
                case JsonTokenType.Null:
                    return Null;
                default:
                    throw Error(ref reader, "unexpected " + reader.TokenType);
            }
        }

        private static JsonValue ReadObject(ref Utf8JsonReader reader)
        {
            JsonValue result = NewObject();
            List<KeyValuePair<string, JsonValue>> members = result.ObjectMembers();
            var names = new HashSet<string>(StringComparer.Ordinal);
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                string name = reader.GetString();
                if (!names.Add(name))
                {
                    // Readers disagree on which of the two counts (Go's takes the last), so neither is taken.
                    throw Error(ref reader, "the member \"" + name + "\" appears twice in one object");
                }

                reader.Read();
                members.Add(new KeyValuePair<string, JsonValue>(name, ReadValue(ref reader)));
            }

            return result;
        }

        private static Syntax Error(ref Utf8JsonReader reader, string what) => new Syntax(reader.TokenStartIndex, what);

        /// <summary>A rule of this reader broken (a duplicate member), at a byte offset; reported as a <see cref="FormatException"/>.</summary>
        private sealed class Syntax : Exception
        {
            public Syntax(long offset, string what)
                : base(what) => Offset = offset;

            public long Offset { get; }
        }
    }
}
