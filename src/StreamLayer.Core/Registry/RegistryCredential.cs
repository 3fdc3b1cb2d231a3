using System;
using System.Text;

namespace StreamLayer.Registry
{
    /// <summary>
    /// Credentials for one registry: a user name and password, an identity token (an OAuth2 refresh token, what
    /// docker stores as identitytoken and credential helpers return with the user name &lt;token&gt;), or a
    /// registry token to send as it is. The secret is never shown: ToString and the public properties name only
    /// the user and where the credentials came from.
    /// </summary>
    internal sealed class RegistryCredential
    {
        /// <summary>The user name credential helpers give with an identity token.</summary>
        public const string IdentityTokenUser = "<token>";

        private RegistryCredential(string userName, string password, string identityToken, string registryToken, string source)
        {
            UserName = userName;
            Password = password;
            IdentityToken = identityToken;
            RegistryToken = registryToken;
            Source = source ?? throw new ArgumentNullException(nameof(source));
        }

        /// <summary>The user name; null for a bare token.</summary>
        public string UserName { get; }

        /// <summary>Where the credentials came from, e.g. "-Credential" or "docker config /home/me/.docker/config.json".</summary>
        public string Source { get; }

        public RegistryCredentialKind Kind =>
            Password != null ? RegistryCredentialKind.Password
            : IdentityToken != null ? RegistryCredentialKind.IdentityToken
            : RegistryCredentialKind.RegistryToken;

        internal string Password { get; }

        internal string IdentityToken { get; }

        internal string RegistryToken { get; }

        /// <summary>The value of an Authorization: Basic header (base64 of user:password).</summary>
        internal string BasicParameter => Convert.ToBase64String(Encoding.UTF8.GetBytes(UserName + ":" + Password));

        /// <summary>A user name and password. A user name of &lt;token&gt; makes the password an identity token, as docker does.</summary>
        public static RegistryCredential FromPassword(string userName, string password, string source)
        {
            if (string.IsNullOrEmpty(userName))
            {
                throw new ArgumentException("A user name is required.", nameof(userName));
            }

            if (password == null)
            {
                throw new ArgumentNullException(nameof(password));
            }

            return userName == IdentityTokenUser
                ? FromIdentityToken(password, source)
                : new RegistryCredential(userName, password, null, null, source);
        }

        /// <summary>An OAuth2 refresh token, exchanged at the registry's token server (grant_type=refresh_token).</summary>
        public static RegistryCredential FromIdentityToken(string identityToken, string source, string userName = null)
        {
            if (string.IsNullOrEmpty(identityToken))
            {
                throw new ArgumentException("An identity token is required.", nameof(identityToken));
            }

            return new RegistryCredential(userName == IdentityTokenUser ? null : userName, null, identityToken, null, source);
        }

        /// <summary>A bearer token to send to the registry as it is (docker config's registrytoken).</summary>
        public static RegistryCredential FromRegistryToken(string registryToken, string source)
        {
            if (string.IsNullOrEmpty(registryToken))
            {
                throw new ArgumentException("A registry token is required.", nameof(registryToken));
            }

            return new RegistryCredential(null, null, null, registryToken, source);
        }

        /// <summary>Who and from where, never the secret: "user alice (from -Credential)".</summary>
        public override string ToString()
        {
            string who;
            switch (Kind)
            {
                case RegistryCredentialKind.Password: who = "user '" + UserName + "'"; break;
                case RegistryCredentialKind.IdentityToken: who = UserName != null ? "an identity token of user '" + UserName + "'" : "an identity token"; break;
                default: who = "a registry token"; break;
            }

            return who + " (from " + Source + ")";
        }
    }

    internal enum RegistryCredentialKind
    {
        Password,
        IdentityToken,
        RegistryToken,
    }
}
