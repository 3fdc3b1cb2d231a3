using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Json;

namespace StreamLayer.Registry.Auth
{
    /// <summary>Reading a docker config or containers auth file: every entry checked, errors that name keys and positions, never values.</summary>
    internal sealed partial class CredentialFile
    {
        /// <summary>The largest credential file read: one with thousands of logins is well under a MiB.</summary>
        public const int MostBytes = 4 << 20;

        /// <summary>How long opening and reading the file may take: a FIFO or a device in its place blocks or never ends.</summary>
        public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);

        private static readonly Regex s_helperName = new Regex(@"^[A-Za-z0-9][A-Za-z0-9._-]*$", RegexOptions.CultureInvariant);

        /// <summary>Reads the file (at most <see cref="MostBytes"/>, within <see cref="ReadTimeout"/>); null when it does not exist.</summary>
        public static CredentialFile Load(string path, string kind)
        {
            if (!File.Exists(path))
            {
                return null;
            }

            // Off the caller's thread: an open that never returns (a FIFO nobody writes) holds only its own thread.
            Task<byte[]> reading = Task.Factory.StartNew(() => ReadCapped(path), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            byte[] bytes;
            try
            {
                if (!reading.Wait(ReadTimeout))
                {
                    throw Invalid(kind, path, "it could not be read within " + ReadTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s (is it a FIFO or a device, not a file?)", null);
                }

                bytes = reading.Result;
            }
            catch (AggregateException e) when (e.InnerException is IOException || e.InnerException is UnauthorizedAccessException)
            {
                throw Invalid(kind, path, "it cannot be read (" + e.InnerException.Message + ")", e.InnerException);
            }

            if (bytes == null)
            {
                throw Invalid(kind, path, "it is larger than " + (MostBytes >> 20) + " MiB, far more than any credential file", null);
            }

            return Parse(new UTF8Encoding(false).GetString(bytes).TrimStart('\uFEFF'), path, kind);
        }

        /// <summary>The file's bytes, or null when there are more than <see cref="MostBytes"/>.</summary>
        private static byte[] ReadCapped(string path)
        {
            using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 12))
            using (var bytes = new MemoryStream())
            {
                var buffer = new byte[1 << 16];
                int n;
                while ((n = file.Read(buffer, 0, (int)Math.Min(buffer.Length, MostBytes + 1 - bytes.Length))) > 0)
                {
                    bytes.Write(buffer, 0, n);
                    if (bytes.Length > MostBytes)
                    {
                        return null;
                    }
                }

                return bytes.ToArray();
            }
        }

        public static CredentialFile Parse(string text, string path, string kind)
        {
            var file = new CredentialFile(path, kind);
            if (string.IsNullOrWhiteSpace(text))
            {
                return file; // docker treats an empty config as no config
            }

            JsonValue root;
            try
            {
                root = JsonValue.Parse(text);
            }
            catch (FormatException e)
            {
                throw Invalid(kind, path, "it is not valid JSON (" + Where(text, e.Message) + ")", null);
            }

            if (root.Kind != JsonKind.Object)
            {
                throw Invalid(kind, path, "it is not a JSON object", null);
            }

            JsonValue auths = root["auths"];
            if (auths != null && auths.Kind != JsonKind.Null)
            {
                if (auths.Kind != JsonKind.Object)
                {
                    throw Invalid(kind, path, "\"auths\" is not an object", null);
                }

                foreach (KeyValuePair<string, JsonValue> member in auths.Members)
                {
                    file._auths.Add(ReadEntry(file, member.Key, member.Value));
                }
            }

            JsonValue helpers = root["credHelpers"];
            if (helpers != null && helpers.Kind != JsonKind.Null)
            {
                if (helpers.Kind != JsonKind.Object)
                {
                    throw Invalid(kind, path, "\"credHelpers\" is not an object", null);
                }

                foreach (KeyValuePair<string, JsonValue> member in helpers.Members)
                {
                    string helper = member.Value.AsString;
                    if (helper == null || !s_helperName.IsMatch(helper))
                    {
                        throw Invalid(kind, path, "\"credHelpers\" names no valid helper for '" + member.Key + "' (a name like ecr-login, for docker-credential-ecr-login)", null);
                    }

                    file._helpers.Add(new KeyValuePair<string, string>(member.Key, helper));
                }
            }

            JsonValue store = root["credsStore"];
            if (store != null && store.Kind != JsonKind.Null)
            {
                string helper = store.AsString;
                if (helper == null || (helper.Length > 0 && !s_helperName.IsMatch(helper)))
                {
                    throw Invalid(kind, path, "\"credsStore\" is not a helper name (a name like desktop, for docker-credential-desktop)", null);
                }

                file.CredsStore = helper.Length == 0 ? null : helper;
            }

            return file;
        }

        private static Entry ReadEntry(CredentialFile file, string key, JsonValue value)
        {
            if (value.Kind != JsonKind.Object)
            {
                throw Invalid(file.Kind, file.Path, "the \"auths\" entry for '" + key + "' is not an object", null);
            }

            var entry = new Entry { Key = key };
            entry.IdentityToken = StringMember(file, key, value, "identitytoken");
            entry.RegistryToken = StringMember(file, key, value, "registrytoken");
            entry.UserName = StringMember(file, key, value, "username");
            entry.Password = StringMember(file, key, value, "password");
            string auth = StringMember(file, key, value, "auth");
            if (!string.IsNullOrEmpty(auth))
            {
                string decoded = DecodeBase64(auth);
                int colon = decoded?.IndexOf(':') ?? -1;
                if (colon <= 0)
                {
                    throw Invalid(file.Kind, file.Path, "the \"auth\" value of the \"auths\" entry for '" + key + "' is not base64 of user:password", null);
                }

                entry.UserName = decoded.Substring(0, colon);
                entry.Password = decoded.Substring(colon + 1);
            }

            return entry;
        }

        private static string StringMember(CredentialFile file, string key, JsonValue entry, string name)
        {
            JsonValue value = entry[name];
            if (value == null || value.Kind == JsonKind.Null)
            {
                return null;
            }

            if (value.Kind != JsonKind.String)
            {
                throw Invalid(file.Kind, file.Path, "\"" + name + "\" of the \"auths\" entry for '" + key + "' is not a string", null);
            }

            return value.AsString;
        }

        private static string DecodeBase64(string text)
        {
            string trimmed = text.Trim();
            if (trimmed.Length % 4 != 0)
            {
                trimmed = trimmed.PadRight(trimmed.Length + 4 - (trimmed.Length % 4), '=');
            }

            try
            {
                return new UTF8Encoding(false, true).GetString(Convert.FromBase64String(trimmed));
            }
            catch (Exception e) when (e is FormatException || e is ArgumentException)
            {
                return null;
            }
        }

        /// <summary>Line and column of a JSON error, from the parser's "at line L, column C"; nothing of the text itself.</summary>
        private static string Where(string text, string parserMessage)
        {
            // The parser names the place, never the text there (it could be a secret).
            Match match = Regex.Match(parserMessage, @"at (line \d+, column \d+)");
            return match.Success ? "at " + match.Groups[1].Value : "the JSON parser stopped";
        }

        private static RegistryException Invalid(string kind, string path, string why, Exception inner) =>
            new RegistryException(
                RegistryFailure.CredentialFileInvalid,
                "The " + kind + " " + path + " cannot be used: " + why + ". Fix or remove it (docker login and podman login rewrite it).",
                inner);
    }
}
