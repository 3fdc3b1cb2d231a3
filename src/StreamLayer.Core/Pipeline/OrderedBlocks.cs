using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Compression;

namespace StreamLayer.Pipeline
{
    /// <summary>
    /// A layer's blocks in input order, each handed out once it is done, with at most a fixed number between
    /// <see cref="Add"/> and <see cref="Release"/>: a slow sink slows the producer down, and memory does not grow
    /// with the layer. Every wait ends with an <see cref="OperationCanceledException"/> once the layer stops.
    /// </summary>
    internal sealed class OrderedBlocks : IDisposable
    {
        private readonly Queue<Block> _queue = new Queue<Block>();
        private readonly SemaphoreSlim _queued = new SemaphoreSlim(0);
        private readonly SemaphoreSlim _slots;
        private readonly CancellationToken _stopped;
        private readonly TaskCompletionSource<bool> _stoppedSignal = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenRegistration _registration;

        public OrderedBlocks(int capacity, CancellationToken stopped)
        {
            _slots = new SemaphoreSlim(capacity);
            _stopped = stopped;
            _registration = stopped.Register(() => _stoppedSignal.TrySetResult(true));
        }

        /// <summary>Waits for a free slot, then queues the block behind the ones before it.</summary>
        public void Add(Block block)
        {
            _slots.Wait(_stopped);
            lock (_queue)
            {
                _queue.Enqueue(block);
            }

            _queued.Release();
        }

        /// <summary>The next block in order, once it is done; a block that failed throws its failure.</summary>
        public async Task<Block> NextAsync(CancellationToken cancellationToken)
        {
            if (!_queued.Wait(0))
            {
                using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopped))
                {
                    await _queued.WaitAsync(linked.Token).ConfigureAwait(false);
                }
            }

            Block block;
            lock (_queue)
            {
                block = _queue.Dequeue();
            }

            if (!block.Done.Task.IsCompleted)
            {
                await Task.WhenAny(block.Done.Task, _stoppedSignal.Task).ConfigureAwait(false);
                if (!block.Done.Task.IsCompleted)
                {
                    _stopped.ThrowIfCancellationRequested();
                }
            }

            await block.Done.Task.ConfigureAwait(false);
            return block;
        }

        /// <summary>Frees the slot of a block the sink is done with.</summary>
        public void Release() => _slots.Release();

        public void Dispose() => _registration.Dispose();
    }
}
