using System;

namespace StreamLayer.Registry.Http
{
    /// <summary>What a failed TLS handshake means, as SChannel, OpenSSL and Mono's BoringSSL word it, and the failure that says so.</summary>
    internal static class TlsFailures
    {
        public static bool IsTlsFailure(Exception e)
        {
            for (Exception inner = e; inner != null; inner = inner.InnerException)
            {
                // A refused server certificate; or, on OpenSSL, an alert from a server that wanted a client certificate.
                if (inner is System.Security.Authentication.AuthenticationException || inner.GetType().FullName.IndexOf("OpenSsl+SslException", StringComparison.Ordinal) >= 0)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// No TLS version in common (a connection failure, said as such), a server certificate that was refused, or
        /// else most likely a client certificate the server wanted.
        /// </summary>
        public static RegistryException Explain(RegistryRequest request, RegistryCertificates certificates, Exception e)
        {
            string authority = request.Uri.Authority;
            string failed = request.Step + ": " + request + " failed: the TLS connection to " + authority + " failed: ";
            string method = request.Method.Method;
            string url = RedactedUrl.Of(request.Uri);
            string rejection = certificates.LastRejection;
            if (rejection == null && IsProtocolMismatch(e))
            {
                return new RegistryException(
                    RegistryFailure.ConnectionFailed,
                    failed + "the server and this runtime have no TLS version in common (" + Innermost(e).Message + "). StreamLayer offers TLS 1.2 and 1.3; "
                    + "a server that speaks only older versions cannot be reached, and a registry that speaks plain http needs -PlainHttp.",
                    e)
                { Method = method, Url = url };
            }

            return new RegistryException(
                RegistryFailure.CertificateUntrusted,
                failed + (rejection ?? Innermost(e).Message + " (the server may require a client certificate)") + ". "
                + "Put its CA certificate (*.crt) and any client certificate (client.cert, client.key) in a certs.d folder for "
                + authority + " or in -CertificateDirectory, or give -Certificate.",
                e)
            { Method = method, Url = url };
        }

        public static Exception Innermost(Exception e)
        {
            while (e.InnerException != null)
            {
                e = e.InnerException;
            }

            return e;
        }

        /// <summary>Whether the handshake failed on the TLS version itself.</summary>
        private static bool IsProtocolMismatch(Exception e)
        {
            const int algorithmMismatch = unchecked((int)0x80090331); // SEC_E_ALGORITHM_MISMATCH: "do not possess a common algorithm"
            string[] words = { "protocol version", "unsupported protocol", "no protocols available", "wrong version number", "common algorithm", "PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL", "WRONG_VERSION_NUMBER" };
            for (Exception inner = e; inner != null; inner = inner.InnerException)
            {
                if ((inner is System.ComponentModel.Win32Exception win32 && win32.NativeErrorCode == algorithmMismatch) || inner.HResult == algorithmMismatch)
                {
                    return true;
                }

                foreach (string word in words)
                {
                    if (inner.Message.IndexOf(word, StringComparison.OrdinalIgnoreCase) >= 0)
                    {
                        return true;
                    }
                }
            }

            return false;
        }
    }
}
