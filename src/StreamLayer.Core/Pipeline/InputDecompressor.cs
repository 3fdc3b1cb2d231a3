using System;
using System.Collections.Concurrent;
using System.IO;
using System.Threading;
using StreamLayer.Compression;

namespace StreamLayer.Pipeline
{
    /// <summary>
    /// Decompresses gzip or zstd input on its own thread as its blocks arrive, and checks it to the end. What
    /// happens to the decompressed bytes is up to <c>readAll</c> (hash them, or compress them again); the final
    /// input block is handed to <c>finished</c> only after the whole input has checked out, so whatever waits for
    /// that block cannot complete a layer from bad input.
    /// </summary>
    internal sealed class InputDecompressor : IDisposable
    {
        private readonly BlockingCollection<Block> _blocks = new BlockingCollection<Block>();
        private readonly LayerCompression _format;
        private readonly Action<Stream> _readAll;
        private readonly Action<Block> _consumed;
        private readonly Action<Block> _finished;
        private readonly Action<Exception> _fail;
        private readonly CancellationToken _abort;
        private readonly Thread _thread;

        /// <param name="format">Gzip or Zstd.</param>
        /// <param name="readAll">Reads the decompressed input to its end (the stream throws if the input is corrupt).</param>
        /// <param name="consumed">Takes back each input block but the last once the decompressor is past it.</param>
        /// <param name="finished">Takes the last input block once the input has checked out to its end.</param>
        /// <param name="fail">Stops the layer with the first failure.</param>
        /// <param name="abort">Cancelled when the layer stops.</param>
        public InputDecompressor(
            LayerCompression format,
            Action<Stream> readAll,
            Action<Block> consumed,
            Action<Block> finished,
            Action<Exception> fail,
            CancellationToken abort)
        {
            _format = format;
            _readAll = readAll;
            _consumed = consumed;
            _finished = finished;
            _fail = fail;
            _abort = abort;
            _thread = new Thread(Run) { IsBackground = true, Name = "StreamLayer decompression" };
            _thread.Start();
        }

        /// <summary>Passes the next input block, in order; the caller bounds how many are outstanding.</summary>
        public void Feed(Block block) => _blocks.Add(block);

        public void Dispose()
        {
            _blocks.CompleteAdding();
            _thread.Join();
            _blocks.Dispose();
        }

        private void Run()
        {
            try
            {
                var source = new BlockFeedStream(_blocks, _consumed, _abort);
                using (Stream decompressed = CheckedDecompression.Open(_format, source))
                {
                    _readAll(decompressed);
                }

                // The checked streams read their input to its end; this guards that promise.
                if (source.Read(new byte[1], 0, 1) != 0 || source.FinalBlock == null)
                {
                    throw LayerInputException.Corrupt(_format, "it has bytes after the end of the compressed data.");
                }

                _finished(source.FinalBlock);
            }
            catch (OperationCanceledException) when (_abort.IsCancellationRequested)
            {
                // The layer stopped for another reason, which the encoder already holds.
            }
            catch (Exception e)
            {
                _fail(e);
            }
        }
    }
}
