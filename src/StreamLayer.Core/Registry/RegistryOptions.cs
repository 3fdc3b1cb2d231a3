using System;

namespace StreamLayer.Registry
{
    /// <summary>How to talk to a registry.</summary>
    internal sealed class RegistryOptions
    {
        /// <summary>Talk http instead of https to a registry that is not on this machine (loopback registries always get http).</summary>
        public bool PlainHttp { get; set; }

        public bool SkipCertificateCheck { get; set; }

        /// <summary>How many times a request that failed in a way worth retrying (408, 429, 5xx, a dropped connection) is sent again.</summary>
        public int MaximumRetryCount { get; set; } = 4;

        /// <summary>The first wait before a retry; it doubles for each further retry. A Retry-After header takes precedence.</summary>
        public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(1);

        /// <summary>How long the registry may take to answer, and how long an upload may go without progress.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(100);

        /// <summary>
        /// How long one request may go on with its retries, waits included: no retry starts past it. Null for twice
        /// <see cref="Timeout"/>, so a registry that never answers is given up after two attempts (about 201 s by default).
        /// </summary>
        public TimeSpan? Deadline { get; set; }

        /// <summary>The deadline in force: <see cref="Deadline"/>, or twice <see cref="Timeout"/>.</summary>
        public TimeSpan EffectiveDeadline => Deadline ?? TimeSpan.FromTicks(2 * Timeout.Ticks);

        /// <summary>The longest Retry-After that is honoured as given; longer ones are cut to this.</summary>
        public TimeSpan MaximumRetryAfter { get; set; } = TimeSpan.FromMinutes(2);

        public const int DefaultChunkSize = 16 << 20;

        // GHCR refuses chunks over 4 MiB, so the chunks of a streamed upload's fallback are no larger.
        private const int LargestFallbackChunk = 4 << 20;

        /// <summary>How blobs travel; null for the choice of <see cref="EffectiveUploadMode"/>.</summary>
        public UploadMode? UploadMode { get; set; }

        /// <summary>Bytes per PATCH in chunked mode; null for <see cref="DefaultChunkSize"/>.</summary>
        public int? ChunkSize { get; set; }

        /// <summary>
        /// The upload mode, decided here only: the one asked for; else chunks when a chunk size was given (a size
        /// asks for chunks); else one streamed PATCH, as docker, skopeo and go-containerregistry send.
        /// </summary>
        public UploadMode EffectiveUploadMode => UploadMode ?? (ChunkSize.HasValue ? Registry.UploadMode.Chunked : Registry.UploadMode.Stream);

        public int EffectiveChunkSize => ChunkSize ?? DefaultChunkSize;

        /// <summary>The chunks a streamed upload falls back to when a front end refuses a streamed body before any of it was sent.</summary>
        public int FallbackChunkSize => Math.Min(EffectiveChunkSize, LargestFallbackChunk);

        /// <summary>Credentials given by the caller; they win over any <see cref="CredentialSource"/>.</summary>
        public RegistryCredential Credential { get; set; }

        /// <summary>Where to look for stored credentials when the registry asks for some (e.g. <see cref="DockerCredentialStore"/>); null for none.</summary>
        public IRegistryCredentialSource CredentialSource { get; set; }

        /// <summary>Allows credentials over plain http to a host that is not this machine (loopback hosts are always allowed).</summary>
        public bool AllowUnencryptedAuthentication { get; set; }

        /// <summary>A certs.d-style folder (*.crt CAs, *.cert/*.key client pairs) used for the registry instead of the certs.d folders.</summary>
        public string CertificateDirectory { get; set; }

        /// <summary>A client certificate with its private key for the registry; replaces any from a certs.d folder.</summary>
        public System.Security.Cryptography.X509Certificates.X509Certificate2 ClientCertificate { get; set; }

        /// <summary>Receives one line per HTTP step (method, URL without credentials or query values, status). Called on any thread.</summary>
        public Action<string> Log { get; set; }

        /// <summary>
        /// These options for another registry: the same retries, timeouts, credential stores and log, without what
        /// the caller gave for this registry alone (its credential and certificates).
        /// </summary>
        public RegistryOptions ForOtherRegistry()
        {
            var other = (RegistryOptions)MemberwiseClone();
            other.Credential = null;
            other.ClientCertificate = null;
            other.CertificateDirectory = null;
            return other;
        }

        public void Validate()
        {
            if (MaximumRetryCount < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(MaximumRetryCount), MaximumRetryCount, "The retry count cannot be negative.");
            }

            if (EffectiveChunkSize < 1024)
            {
                throw new ArgumentOutOfRangeException(nameof(ChunkSize), ChunkSize, "A chunk must be at least 1 KiB.");
            }

            if (Timeout <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "The timeout must be positive.");
            }
        }
    }
}
