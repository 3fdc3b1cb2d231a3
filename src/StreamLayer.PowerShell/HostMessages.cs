using System;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Commands
{
    /// <summary>
    /// Messages from the core's threads (each HTTP step, a file that could not be removed), held until the
    /// pipeline thread writes them: PowerShell takes records only there.
    /// </summary>
    internal sealed class HostMessages
    {
        private const int WaitSliceMs = 125;
        private const int StopGraceMs = 2000;

        private readonly ConcurrentQueue<Message> _queue = new ConcurrentQueue<Message>();

        public void Verbose(string text) => _queue.Enqueue(new Message(false, text));

        public void Warning(string text) => _queue.Enqueue(new Message(true, text));

        /// <summary>Writes what is queued; call on the pipeline thread only.</summary>
        public void WriteTo(Cmdlet cmdlet)
        {
            // A stopping command can write no record; they wait, and the stop goes on to its cleanup.
            if (cmdlet.Stopping)
            {
                return;
            }

            while (_queue.TryDequeue(out Message message))
            {
                if (message.IsWarning)
                {
                    cmdlet.WriteWarning(message.Text);
                }
                else
                {
                    cmdlet.WriteVerbose(message.Text);
                }
            }
        }

        /// <summary>
        /// Waits on the pipeline thread for work of the core, writing its messages meanwhile; rethrows its failure.
        /// Once <paramref name="stop"/> is cancelled (Ctrl+C), the wait ends even when the work cannot end (a read
        /// that blocks): after a short grace the work is left behind.
        /// </summary>
        public T Await<T>(Cmdlet cmdlet, Task<T> work, Action tick = null, CancellationToken stop = default)
        {
            while (!((IAsyncResult)work).AsyncWaitHandle.WaitOne(WaitSliceMs))
            {
                if (stop.IsCancellationRequested)
                {
                    ((IAsyncResult)work).AsyncWaitHandle.WaitOne(StopGraceMs);
                    if (!work.IsCompleted)
                    {
                        throw new OperationCanceledException(stop);
                    }
                }

                tick?.Invoke();
                WriteTo(cmdlet);
            }

            WriteTo(cmdlet);
            return work.GetAwaiter().GetResult();
        }

        public void Await(Cmdlet cmdlet, Task work, Action tick = null, CancellationToken stop = default) =>
            Await(cmdlet, work.ContinueWith(t => { t.GetAwaiter().GetResult(); return true; }, TaskScheduler.Default), tick, stop);

        private readonly struct Message
        {
            public Message(bool isWarning, string text)
            {
                IsWarning = isWarning;
                Text = text;
            }

            public bool IsWarning { get; }

            public string Text { get; }
        }
    }
}
