using System;

namespace StreamLayer.Registry.Http
{
    /// <summary>How requests are sent: the TLS check, how long an attempt may go without progress, how often and how long to wait before a retry, and where each step is logged.</summary>
    internal sealed class SendSettings
    {
        public bool SkipCertificateCheck { get; set; }

        public TimeSpan Timeout { get; set; }

        public int MaximumRetryCount { get; set; }

        public TimeSpan RetryInterval { get; set; }

        public TimeSpan MaximumRetryAfter { get; set; }

        /// <summary>How long one request may go on with its retries: no retry (nor its wait) starts past it.</summary>
        public TimeSpan Deadline { get; set; } = TimeSpan.MaxValue;

        /// <summary>Receives one line per attempt (method, redacted URL, status, time) and per retry; null for none.</summary>
        public Action<string> Log { get; set; }
    }
}
