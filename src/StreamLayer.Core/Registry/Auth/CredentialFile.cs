using System;
using System.Collections.Generic;

namespace StreamLayer.Registry.Auth
{
    /// <summary>
    /// A docker config.json or a containers auth.json, read and checked as a whole: "auths" entries (auth,
    /// username/password, identitytoken, registrytoken), "credHelpers" and "credsStore". A file that is there
    /// but cannot be read as one is an error, never silently skipped. Messages name keys, never values.
    /// </summary>
    internal sealed partial class CredentialFile
    {
        private static readonly string[] s_dockerHubNames = { "docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com" };

        private readonly List<Entry> _auths = new List<Entry>();
        private readonly List<KeyValuePair<string, string>> _helpers = new List<KeyValuePair<string, string>>();

        private CredentialFile(string path, string kind)
        {
            Path = path;
            Kind = kind;
        }

        public string Path { get; }

        /// <summary>"docker config" or "containers auth file".</summary>
        public string Kind { get; }

        /// <summary>The default credential helper for every registry (docker's credsStore).</summary>
        public string CredsStore { get; private set; }

        public string Description => Kind + " " + Path;

        /// <summary>The registries the file has logins or helpers for, as host[:port] (Docker Hub as docker.io).</summary>
        public IEnumerable<string> Registries
        {
            get
            {
                foreach (Entry entry in _auths)
                {
                    yield return CanonicalHost(HostOf(entry.Key));
                }

                foreach (KeyValuePair<string, string> helper in _helpers)
                {
                    yield return CanonicalHost(HostOf(helper.Key));
                }
            }
        }

        /// <summary>The credential helper configured for the registry: its credHelpers entry, else credsStore.</summary>
        public string HelperFor(ImageReference repository)
        {
            string registry = CanonicalHost(repository.Registry);
            foreach (KeyValuePair<string, string> helper in _helpers)
            {
                if (CanonicalHost(HostOf(helper.Key)) == registry)
                {
                    return helper.Value;
                }
            }

            return CredsStore;
        }

        /// <summary>
        /// The credentials of the "auths" entry for the repository, or null. Keys match as docker matches them
        /// (https://index.docker.io/v1/ for Docker Hub, host:port otherwise, also with a scheme or path); with
        /// <paramref name="repositoryKeys"/>, a key with a repository path (containers auth files) matches that
        /// repository and those under it, the longest such key winning.
        /// </summary>
        public RegistryCredential CredentialFor(ImageReference repository, bool repositoryKeys)
        {
            string registry = CanonicalHost(repository.Registry);
            Entry best = null;
            int bestLength = -1;
            foreach (Entry entry in _auths)
            {
                string key = StripScheme(entry.Key).TrimEnd('/');
                int slash = key.IndexOf('/');
                string host = CanonicalHost(slash < 0 ? key : key.Substring(0, slash));
                if (host != registry)
                {
                    continue;
                }

                // A key with a scheme is docker's legacy URL form (https://index.docker.io/v1/): its path is no repository.
                bool url = key.Length != entry.Key.TrimEnd('/').Length;
                string path = slash < 0 || !repositoryKeys || url ? string.Empty : key.Substring(slash + 1);
                if (path.Length > 0 && repository.Repository != path && !repository.Repository.StartsWith(path + "/", StringComparison.Ordinal))
                {
                    continue;
                }

                // docker's own key for Docker Hub, or the registry exactly as named, before looser forms.
                int length = path.Length * 4 + (entry.Key == DockerServerAddress(repository) ? 2 : 0) + (entry.Key == repository.Registry ? 1 : 0);
                if (length > bestLength && entry.HasCredential)
                {
                    best = entry;
                    bestLength = length;
                }
            }

            return best?.ToCredential(Description);
        }

        /// <summary>What docker calls the registry in its config and passes to credential helpers.</summary>
        public static string DockerServerAddress(ImageReference repository) =>
            CanonicalHost(repository.Registry) == "docker.io" ? "https://index.docker.io/v1/" : repository.Registry;

        internal static string CanonicalHost(string host)
        {
            string lower = host.ToLowerInvariant();
            return Array.IndexOf(s_dockerHubNames, lower) >= 0 ? "docker.io" : lower;
        }

        private static string HostOf(string key)
        {
            string rest = StripScheme(key);
            int slash = rest.IndexOf('/');
            return slash < 0 ? rest : rest.Substring(0, slash);
        }

        private static string StripScheme(string key)
        {
            foreach (string scheme in new[] { "https://", "http://" })
            {
                if (key.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
                {
                    return key.Substring(scheme.Length);
                }
            }

            return key;
        }

        private sealed class Entry
        {
            public string Key;
            public string UserName;
            public string Password;
            public string IdentityToken;
            public string RegistryToken;

            public bool HasCredential =>
                !string.IsNullOrEmpty(RegistryToken) || !string.IsNullOrEmpty(IdentityToken) || (!string.IsNullOrEmpty(UserName) && Password != null);

            public RegistryCredential ToCredential(string description)
            {
                string source = description + " (\"auths\" entry '" + Key + "')";
                if (!string.IsNullOrEmpty(RegistryToken))
                {
                    return RegistryCredential.FromRegistryToken(RegistryToken, source);
                }

                if (!string.IsNullOrEmpty(IdentityToken))
                {
                    return RegistryCredential.FromIdentityToken(IdentityToken, source, UserName);
                }

                return RegistryCredential.FromPassword(UserName, Password, source);
            }
        }
    }
}
