using System;
using System.Collections.Concurrent;
using System.Threading;
using StreamLayer.Compression;

namespace StreamLayer.Pipeline
{
    /// <summary>Threads that compress blocks as they arrive, each block on its own, in any order.</summary>
    internal sealed class CompressionWorkers : IDisposable
    {
        private readonly BlockingCollection<Block> _work = new BlockingCollection<Block>();
        private readonly BlockCompressor _compressor;
        private readonly Action<Exception> _fail;
        private readonly CancellationToken _stopped;
        private readonly Thread[] _threads;

        public CompressionWorkers(BlockCompressor compressor, int count, Action<Exception> fail, CancellationToken stopped)
        {
            _compressor = compressor;
            _fail = fail;
            _stopped = stopped;
            _threads = new Thread[count];
            for (int i = 0; i < count; i++)
            {
                _threads[i] = new Thread(Run) { IsBackground = true, Name = "StreamLayer compression " + i };
                _threads[i].Start();
            }
        }

        public void Add(Block block) => _work.Add(block);

        /// <summary>Lets the threads finish the block in hand and waits for them.</summary>
        public void Dispose()
        {
            _work.CompleteAdding();
            foreach (Thread thread in _threads)
            {
                thread.Join();
            }

            _work.Dispose();
        }

        private void Run()
        {
            try
            {
                foreach (Block block in _work.GetConsumingEnumerable(_stopped))
                {
                    try
                    {
                        _compressor.Compress(block);
                        block.Done.TrySetResult(true);
                    }
                    catch (Exception e)
                    {
                        _fail(e);
                        block.Done.TrySetException(e);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The layer stopped; its owner already holds the reason.
            }
        }
    }
}
