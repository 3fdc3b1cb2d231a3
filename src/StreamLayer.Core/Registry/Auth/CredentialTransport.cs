using System;

namespace StreamLayer.Registry.Auth
{
    /// <summary>Where credentials may travel: over https, to this machine, or anywhere when the caller allowed plain http.</summary>
    internal static class CredentialTransport
    {
        /// <summary>Throws <see cref="RegistryFailure.UnencryptedAuthentication"/> unless credentials may go to <paramref name="uri"/>.</summary>
        /// <param name="what">What <paramref name="uri"/> is, for the message: "the registry", "the token server".</param>
        public static void EnsureEncrypted(string step, Uri uri, string what, bool allowUnencrypted)
        {
            if (uri.Scheme == Uri.UriSchemeHttps || uri.IsLoopback || allowUnencrypted)
            {
                return;
            }

            throw new RegistryException(
                RegistryFailure.UnencryptedAuthentication,
                step + ": " + what + " " + uri.Scheme + "://" + uri.Authority + " is reached over plain http, where credentials would travel unencrypted, so none were sent. "
                + "Use https, or give -AllowUnencryptedAuthentication if the network is trusted.");
        }
    }
}
