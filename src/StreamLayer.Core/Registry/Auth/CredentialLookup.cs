using System;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Registry.Auth
{
    /// <summary>The credentials for one registry, looked up once, when the registry first asks: the caller's own, else the credential source's.</summary>
    internal sealed class CredentialLookup
    {
        private readonly ImageReference _repository;
        private readonly RegistryCredential _given;
        private readonly IRegistryCredentialSource _source;
        private readonly Action<string> _log;
        private readonly Http.Secrets _secrets;
        private bool _resolved;
        private RegistryCredential _credential;

        /// <param name="repository">Whose registry the credentials are for (a containers auth file may name the repository).</param>
        /// <param name="given">The caller's credentials, which win; null for none.</param>
        /// <param name="source">Where to look when none were given; null for nowhere.</param>
        /// <param name="secrets">Where the credentials' secrets are kept out of messages, once found.</param>
        public CredentialLookup(ImageReference repository, RegistryCredential given, IRegistryCredentialSource source, Action<string> log, Http.Secrets secrets)
        {
            _secrets = secrets;
            secrets.Add(given);
            _repository = repository;
            _given = given;
            _source = source;
            _log = log;
        }

        /// <summary>What to tell a user whom the registry refuses for lack of credentials.</summary>
        public string NoneFoundAdvice =>
            "No credentials were found for " + _repository.Registry
            + (_source != null ? " in " + _source.Description : string.Empty)
            + ": give -Credential, or log in with docker login or podman login.";

        /// <summary>The credentials, or null. Not thread-safe: the authenticator calls it under its exclusive lock.</summary>
        public async Task<RegistryCredential> FindAsync(CancellationToken cancellationToken)
        {
            if (_resolved)
            {
                return _credential;
            }

            RegistryCredential credential = _given;
            if (credential == null && _source != null)
            {
                credential = await _source.FindAsync(_repository, cancellationToken).ConfigureAwait(false);
                _log(credential != null
                    ? "found credentials for " + _repository.Registry + ": " + credential
                    : "no credentials for " + _repository.Registry + " in " + _source.Description);
            }

            _secrets.Add(credential);
            _credential = credential;
            _resolved = true;
            return credential;
        }
    }
}
