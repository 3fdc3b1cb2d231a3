using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Commands
{
    /// <summary>
    /// What every StreamLayer cmdlet does the same way: it runs its steps on the pipeline thread and waits for the
    /// core's work there, writing the core's messages meanwhile; Ctrl+C and SIGTERM stop it and give what it started
    /// a bounded time to be undone; and a failure ends it with the error record of <see cref="ErrorRecords"/>, or as
    /// a stopped pipeline when it was stopped.
    /// </summary>
    public abstract class StreamLayerCommand : PSCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private volatile Task _awaiting;

        /// <summary>Cancelled when the user presses Ctrl+C, the pipeline stops, or the process gets SIGTERM.</summary>
        protected CancellationToken StopToken => _stop.Token;

        /// <summary>Messages from the core's threads, written on the pipeline thread during every wait.</summary>
        internal HostMessages Messages { get; } = new HostMessages();

        /// <summary>The target of error records that name nothing of their own: the repository, say.</summary>
        internal object ErrorTarget { get; set; }

        /// <summary>What must end before the process may on SIGTERM: by default the work being awaited.</summary>
        internal virtual Task PendingWork => _awaiting;

        protected override void BeginProcessing() => TerminationSignal.Add(this);

        protected override void StopProcessing() => _stop.Cancel();

        public void Dispose()
        {
            TerminationSignal.Remove(this);
            Release();
            _stop.Dispose();
        }

        /// <summary>
        /// On SIGTERM, from the signal's thread: stops the command as Ctrl+C does. The task ends once what it
        /// started is undone (an upload session deleted, a partial file removed).
        /// </summary>
        internal Task Terminate()
        {
            try
            {
                _stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
                return Task.CompletedTask;
            }

            return PendingWork ?? Task.CompletedTask;
        }

        /// <summary>Runs a step on the pipeline thread; its failure ends the command (see <see cref="Fail"/>).</summary>
        internal void Run(Action step)
        {
            try
            {
                step();
            }
            catch (PipelineStoppedException)
            {
                // Stopped while writing a record: what is open (a layer, its partial file or upload) is undone now,
                // before the stop is reported, not whenever PowerShell disposes the command.
                Abandon();
                throw;
            }
            catch (Exception e) when (!(e is ParameterBindingException) && !(e is ActionPreferenceStopException))
            {
                Fail(e);
            }
        }

        /// <summary>
        /// Waits on the pipeline thread for work of the core, writing its messages meanwhile; rethrows its failure.
        /// Ctrl+C ends the wait even when the work cannot end (a read that blocks): after a short grace it is left behind.
        /// </summary>
        internal T Await<T>(Task<T> work, Action tick = null)
        {
            _awaiting = work;
            try
            {
                return Messages.Await(this, work, tick, StopToken);
            }
            finally
            {
                _awaiting = null;
            }
        }

        internal void Await(Task work, Action tick = null) =>
            Await(work.ContinueWith(t => { t.GetAwaiter().GetResult(); return true; }, TaskScheduler.Default), tick);

        /// <summary>
        /// Ends the command with <paramref name="error"/>: what is open is abandoned (and cleans up), the core's last
        /// messages are written, then a stopped command ends as a stopped pipeline and any other with its error record.
        /// </summary>
        internal void Fail(Exception error)
        {
            Abandon();
            Messages.WriteTo(this);
            if (Stopping || error is OperationCanceledException)
            {
                throw new PipelineStoppedException();
            }

            ThrowTerminatingError(ErrorRecords.For(error, ErrorTarget));
        }

        /// <summary>Abandons what the command has open, before a failure is reported.</summary>
        protected virtual void Abandon()
        {
        }

        /// <summary>Releases what the command holds (clients, an image's base), once it is over.</summary>
        protected virtual void Release()
        {
        }
    }
}
