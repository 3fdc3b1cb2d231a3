using System;

namespace StreamLayer.Registry.Http
{
    /// <summary>
    /// An attempt that got no answer: the connection failed, or nothing came within the attempt's timeout. It goes
    /// from the sender to the retry handler, which sends again or turns it into a <see cref="RegistryException"/>;
    /// it never leaves a pipeline.
    /// </summary>
    internal sealed class TransportFailure : Exception
    {
        public TransportFailure(RegistryRequest request, bool timedOut, string what, Exception inner)
            : base(what, inner)
        {
            Request = request;
            TimedOut = timedOut;
        }

        /// <summary>The request as it was sent (after any redirect).</summary>
        public RegistryRequest Request { get; }

        public bool TimedOut { get; }

        /// <summary>The failure that ends the step, after <paramref name="attempts"/> (" (3 attempts in 201 s)", or empty).</summary>
        public RegistryException ToRegistryException(string step, string attempts) =>
            new RegistryException(
                TimedOut ? RegistryFailure.Timeout : RegistryFailure.ConnectionFailed,
                step + ": " + Request + " failed: " + Message + attempts + ".",
                InnerException)
            {
                Method = Request.Method.Method,
                Url = RedactedUrl.Of(Request.Uri),
            };
    }
}
