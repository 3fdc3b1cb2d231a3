using System.Collections.Concurrent;
using System.Management.Automation;

namespace StreamLayer.Commands
{
    /// <summary>
    /// Messages from the core's threads (each HTTP step, a file that could not be removed), held until the
    /// pipeline thread writes them: PowerShell takes records only there.
    /// </summary>
    internal sealed class HostMessages
    {
        private readonly ConcurrentQueue<Message> _queue = new ConcurrentQueue<Message>();

        public void Verbose(string text) => _queue.Enqueue(new Message(false, text));

        public void Warning(string text) => _queue.Enqueue(new Message(true, text));

        /// <summary>Writes what is queued; call on the pipeline thread only.</summary>
        public void WriteTo(Cmdlet cmdlet)
        {
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
