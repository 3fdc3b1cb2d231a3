using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Registry.Auth
{
    /// <summary>
    /// The credentials that docker login and podman login leave behind, looked up as those tools do. First the
    /// docker config ($DOCKER_CONFIG/config.json, else ~/.docker/config.json): the registry's credHelpers entry,
    /// else credsStore, runs docker-credential-&lt;name&gt;; without a helper, the "auths" entry. Then the
    /// containers auth file ($REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json and
    /// ~/.config/containers/auth.json) the same way, where a key may also name a repository.
    /// The first source with credentials wins. Files are read when credentials are first needed.
    /// </summary>
    internal sealed class DockerCredentialStore : IRegistryCredentialSource
    {
        private readonly TimeSpan _helperTimeout;
        private readonly Action<string> _log;

        /// <param name="helperTimeout">How long a credential helper may take to answer.</param>
        /// <param name="log">Receives a line for each file and helper consulted (never a secret).</param>
        /// <param name="environment">Reads environment variables; the process's own by default.</param>
        public DockerCredentialStore(TimeSpan helperTimeout, Action<string> log = null, Func<string, string> environment = null)
        {
            _helperTimeout = helperTimeout;
            _log = log;
            Func<string, string> variable = environment ?? Environment.GetEnvironmentVariable;
            string home = HomeFolder(variable);

            string dockerConfig = variable("DOCKER_CONFIG");
            DockerConfigPath = !string.IsNullOrEmpty(dockerConfig)
                ? Path.Combine(dockerConfig, "config.json")
                : Path.Combine(home, ".docker", "config.json");

            var authFiles = new List<string>();
            string authFile = variable("REGISTRY_AUTH_FILE");
            if (!string.IsNullOrEmpty(authFile))
            {
                authFiles.Add(authFile);
            }
            else
            {
                string runtime = variable("XDG_RUNTIME_DIR");
                if (!string.IsNullOrEmpty(runtime))
                {
                    authFiles.Add(Path.Combine(runtime, "containers", "auth.json"));
                }

                string config = variable("XDG_CONFIG_HOME");
                authFiles.Add(Path.Combine(!string.IsNullOrEmpty(config) ? config : Path.Combine(home, ".config"), "containers", "auth.json"));
            }

            ContainersAuthPaths = authFiles;
        }

        public string DockerConfigPath { get; }

        public IReadOnlyList<string> ContainersAuthPaths { get; }

        public string Description => "the docker config " + DockerConfigPath + " and the containers auth file " + string.Join(" or ", ContainersAuthPaths);

        public async Task<RegistryCredential> FindAsync(ImageReference repository, CancellationToken cancellationToken)
        {
            if (repository == null)
            {
                throw new ArgumentNullException(nameof(repository));
            }

            var files = new List<KeyValuePair<string, bool>> { new KeyValuePair<string, bool>(DockerConfigPath, false) };
            files.AddRange(ContainersAuthPaths.Select(p => new KeyValuePair<string, bool>(p, true)));
            bool sawContainersFile = false;
            foreach (KeyValuePair<string, bool> candidate in files)
            {
                bool containers = candidate.Value;
                if (containers && sawContainersFile)
                {
                    break; // podman uses the first containers auth file that exists
                }

                CredentialFile file = CredentialFile.Load(candidate.Key, containers ? "containers auth file" : "docker config");
                if (file == null)
                {
                    continue;
                }

                sawContainersFile |= containers;
                string helper = file.HelperFor(repository);
                if (helper != null)
                {
                    string server = CredentialFile.DockerServerAddress(repository);
                    _log?.Invoke("asking the credential helper " + CredentialHelper.ExecutableName(helper) + " for " + server + " (named by the " + file.Description + ")");
                    RegistryCredential fromHelper = await CredentialHelper.GetAsync(helper, server, file.Description, _helperTimeout, cancellationToken).ConfigureAwait(false);
                    if (fromHelper != null)
                    {
                        return fromHelper;
                    }

                    // As in docker, a registry with a helper takes its credentials from the helper alone.
                    _log?.Invoke("the credential helper " + CredentialHelper.ExecutableName(helper) + " has no credentials for " + server);
                    continue;
                }

                RegistryCredential fromFile = file.CredentialFor(repository, containers);
                if (fromFile != null)
                {
                    return fromFile;
                }
            }

            return null;
        }

        /// <summary>
        /// The registries docker login and podman login stored something for, in file order, each once; files
        /// that are missing or cannot be read are passed over (this feeds tab completion, not a push).
        /// </summary>
        public IReadOnlyList<string> KnownRegistries()
        {
            var registries = new List<string>();
            foreach (string path in new[] { DockerConfigPath }.Concat(ContainersAuthPaths))
            {
                CredentialFile file;
                try
                {
                    file = CredentialFile.Load(path, "credential file");
                }
                catch (RegistryException)
                {
                    continue;
                }

                foreach (string registry in file?.Registries ?? Enumerable.Empty<string>())
                {
                    if (registry.Length > 0 && !registries.Contains(registry))
                    {
                        registries.Add(registry);
                    }
                }
            }

            return registries;
        }

        private static string HomeFolder(Func<string, string> variable)
        {
            string home = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? variable("USERPROFILE") : variable("HOME");
            return !string.IsNullOrEmpty(home) ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        }
    }
}
