using System;
using System.Collections.Generic;
using System.Net;

namespace StreamLayer.Registry
{
    /// <summary>What kind of failure a registry operation ended in; the cmdlets turn each into a stable error id.</summary>
    public enum RegistryFailure
    {
        /// <summary>The registry answered with an error that fits no other kind.</summary>
        Rejected,
        Unauthorized,
        Denied,
        NameUnknown,
        NameInvalid,
        BlobRejected,
        Unsupported,
        TooManyRequests,
        Unavailable,
        Timeout,
        ProtocolError,
        ConnectionFailed,

        /// <summary>Credentials were sent and refused: a wrong user name, password or token.</summary>
        AuthenticationFailed,

        /// <summary>The token server named by the registry's challenge could not be reached.</summary>
        TokenRealmUnreachable,

        /// <summary>A WWW-Authenticate challenge that cannot be parsed, or asks for a scheme other than Basic and Bearer.</summary>
        ChallengeInvalid,

        /// <summary>Credentials would have gone over plain http to a host that is not this machine.</summary>
        UnencryptedAuthentication,

        /// <summary>A docker config or containers auth file that cannot be read as one.</summary>
        CredentialFileInvalid,

        /// <summary>A credential helper named by a config file is not on PATH.</summary>
        CredentialHelperNotFound,

        /// <summary>A credential helper ran and failed, or answered with something other than credentials.</summary>
        CredentialHelperFailed,

        /// <summary>The TLS connection failed: the server's certificate is not trusted, or a client certificate was required.</summary>
        CertificateUntrusted,

        /// <summary>A CA or client certificate file (certs.d, -CertificateDirectory) cannot be loaded.</summary>
        CertificateInvalid,

        /// <summary>The registry's storage is full: it said so (no space left on device, a quota, 507).</summary>
        StorageFull,

        /// <summary>The registry sent a Location that cannot be followed (a scheme other than http or https).</summary>
        LocationInvalid,

        /// <summary>The registry holds (or says it stored) a blob under another digest than the one pushed.</summary>
        DigestMismatch,

        /// <summary>A request whose body cannot be sent again (a streamed upload) was redirected after it was sent.</summary>
        RedirectNotFollowed,

        /// <summary>The registry refused a token the token server had just issued (clock skew, an untrusted signing certificate).</summary>
        TokenRejected,
    }

    /// <summary>
    /// A registry operation failed. Carries the registry's own error code and message (from its JSON error body),
    /// the HTTP method and status, and a URL with no credentials in it.
    /// </summary>
    public sealed class RegistryException : Exception
    {
        public RegistryException(RegistryFailure failure, string message, Exception inner = null)
            : base(message, inner)
        {
            Failure = failure;
        }

        public RegistryFailure Failure { get; }

        public HttpStatusCode? StatusCode { get; internal set; }

        /// <summary>The first error code in the registry's error body, e.g. BLOB_UPLOAD_INVALID; null when there was none.</summary>
        public string ErrorCode { get; internal set; }

        /// <summary>The registry's message for <see cref="ErrorCode"/>.</summary>
        public string RegistryMessage { get; internal set; }

        public string Method { get; internal set; }

        /// <summary>The request's URL with query values and credentials removed.</summary>
        public string Url { get; internal set; }

        /// <summary>Every (code, message) pair of the error body.</summary>
        public IReadOnlyList<KeyValuePair<string, string>> Errors { get; internal set; } = Array.Empty<KeyValuePair<string, string>>();

        /// <summary>The same registry answer told with another message (and kind); <paramref name="inner"/> may be null.</summary>
        internal RegistryException Rephrased(RegistryFailure failure, string message, Exception inner) =>
            new RegistryException(failure, message, inner)
            {
                StatusCode = StatusCode,
                ErrorCode = ErrorCode,
                RegistryMessage = RegistryMessage,
                Method = Method,
                Url = Url,
                Errors = Errors,
            };
    }
}
