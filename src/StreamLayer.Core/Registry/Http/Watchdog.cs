using System;
using System.Threading;

namespace StreamLayer.Registry.Http
{
    /// <summary>
    /// One attempt's timeout: cancels when nothing has happened for the timeout. A request body that is
    /// still being sent calls <see cref="Kick"/> as it makes progress, so a long upload is not cut off. When
    /// the caller cancels, the request gets a short grace to finish: a request cut off mid-body can leave the
    /// registry with an upload session that nobody can delete any more.
    /// </summary>
    internal sealed class Watchdog : IDisposable
    {
        private static readonly TimeSpan s_grace = TimeSpan.FromSeconds(5);
        private readonly CancellationTokenSource _source = new CancellationTokenSource();
        private readonly CancellationTokenRegistration _registration;
        private readonly TimeSpan _timeout;
        private readonly CancellationToken _caller;

        public Watchdog(TimeSpan timeout, CancellationToken cancellationToken)
        {
            _timeout = timeout;
            _caller = cancellationToken;
            _source.CancelAfter(timeout);
            _registration = cancellationToken.Register(() => CancelAfter(timeout < s_grace ? timeout : s_grace));
        }

        public CancellationToken Token => _source.Token;

        public void Kick()
        {
            if (!_caller.IsCancellationRequested)
            {
                CancelAfter(_timeout);
            }
        }

        public void Dispose()
        {
            _registration.Dispose();
            _source.Dispose();
        }

        private void CancelAfter(TimeSpan delay)
        {
            try
            {
                _source.CancelAfter(delay);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }
}
