using System;
using System.Management.Automation;

namespace StreamLayer.Commands
{
    /// <summary>Carries a finished ErrorRecord from deep in a command to the place that terminates it.</summary>
    internal sealed class CommandFailure : Exception
    {
        public CommandFailure(ErrorRecord record)
            : base(record.Exception.Message, record.Exception) => Record = record;

        public ErrorRecord Record { get; }

        public static CommandFailure Create(string errorId, ErrorCategory category, object target, string message, Exception inner = null)
        {
            Exception exception = inner == null ? new InvalidOperationException(message) : new InvalidOperationException(message, inner);
            return new CommandFailure(new ErrorRecord(exception, errorId, category, target));
        }

        /// <summary>A failure carrying an exception of a type scripts can catch (ItemNotFoundException, say).</summary>
        public static CommandFailure Create(string errorId, ErrorCategory category, object target, Exception exception) =>
            new CommandFailure(new ErrorRecord(exception, errorId, category, target));

        /// <summary>The error id of the record, to tell failures apart.</summary>
        public string ErrorId => Record.FullyQualifiedErrorId;
    }
}
