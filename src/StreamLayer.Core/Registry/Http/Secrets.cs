using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.RegularExpressions;

namespace StreamLayer.Registry.Http
{
    /// <summary>
    /// The secrets one registry client has sent or received (passwords, identity and registry tokens, issued
    /// tokens), in every form they travel in, and their removal from text a server wrote before it reaches a
    /// message. Every request carries the set, so whoever reads an answer, whatever its status, scrubs with it.
    /// </summary>
    internal sealed class Secrets
    {
        private const string PropertyKey = "StreamLayer.Secrets";

        // Shorter forms are scrubbed only where they stand alone: anywhere, they would blank out parts of ordinary words.
        private const int ShortestScrubbedAnywhere = 4;

        private readonly object _gate = new object();
        private string[] _forms = Array.Empty<string>();
        private Regex[] _shortForms = Array.Empty<Regex>();

        /// <summary>Adds a secret: as it is, URL- and form-encoded, JSON-escaped, and in base64.</summary>
        public void Add(string secret)
        {
            if (string.IsNullOrEmpty(secret))
            {
                return;
            }

            string json = Json.JsonValue.From(secret).ToString();
            AddForms(
                secret,
                Uri.EscapeDataString(secret),
                WebUtility.UrlEncode(secret),
                json.Substring(1, json.Length - 2),
                Convert.ToBase64String(Encoding.UTF8.GetBytes(secret)));
        }

        /// <summary>Adds a password and the Basic parameter (base64 of user:password) it travels in.</summary>
        public void AddPassword(string userName, string password)
        {
            Add(password);
            if (!string.IsNullOrEmpty(password))
            {
                AddForms(Convert.ToBase64String(Encoding.UTF8.GetBytes(userName + ":" + password)));
            }
        }

        /// <summary>Adds a credential's secret in every form it travels in.</summary>
        public void Add(RegistryCredential credential)
        {
            switch (credential?.Kind)
            {
                case null: return;
                case RegistryCredentialKind.Password: AddPassword(credential.UserName, credential.Password); break;
                case RegistryCredentialKind.IdentityToken: Add(credential.IdentityToken); AddPassword(RegistryCredential.IdentityTokenUser, credential.IdentityToken); break;
                default: Add(credential.RegistryToken); break;
            }
        }

        /// <summary>The text with every known secret replaced by ***.</summary>
        public string Scrub(string text)
        {
            if (string.IsNullOrEmpty(text))
            {
                return text;
            }

            foreach (string form in _forms)
            {
                text = text.Replace(form, "***");
            }

            foreach (Regex form in _shortForms)
            {
                text = form.Replace(text, "***");
            }

            return text;
        }

        /// <summary>Lets whoever reads the answer to <paramref name="request"/> scrub it.</summary>
        public void Attach(HttpRequestMessage request)
        {
#pragma warning disable CS0618 // Properties is what netstandard2.0 has; newer runtimes back it with Options.
            request.Properties[PropertyKey] = this;
#pragma warning restore CS0618
        }

        /// <summary>The text with the secrets of the client that sent <paramref name="response"/>'s request replaced.</summary>
        public static string ScrubFor(HttpResponseMessage response, string text)
        {
#pragma warning disable CS0618
            object secrets = null;
            response?.RequestMessage?.Properties.TryGetValue(PropertyKey, out secrets);
#pragma warning restore CS0618
            return secrets is Secrets known ? known.Scrub(text) : text;
        }

        private void AddForms(params string[] forms)
        {
            lock (_gate)
            {
                // Longest first, so that no shorter form cuts a longer one in half before it is replaced.
                _forms = _forms.Concat(forms.Where(f => f.Length >= ShortestScrubbedAnywhere)).Distinct(StringComparer.Ordinal)
                    .OrderByDescending(f => f.Length).ToArray();
                _shortForms = _shortForms.Concat(forms
                    .Where(f => f.Length > 0 && f.Length < ShortestScrubbedAnywhere)
                    .Distinct(StringComparer.Ordinal)
                    .Select(f => new Regex("(?<![\\p{L}\\p{N}])" + Regex.Escape(f) + "(?![\\p{L}\\p{N}])", RegexOptions.CultureInvariant)))
                    .ToArray();
            }
        }
    }
}
