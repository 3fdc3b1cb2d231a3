using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Compression;

namespace StreamLayer.Pipeline
{
    /// <summary>
    /// The read stage: fills fixed-size blocks from bytes, arrays or a stream, on the producer's thread, and hands
    /// each full block to the route, which the first block chooses. The per-byte path is one compare and one store.
    /// </summary>
    internal sealed class BlockWriter
    {
        private readonly BlockPool _pool;
        private readonly Func<Block, LayerRoute> _chooseRoute;
        private readonly TaskCompletionSource<LayerRoute> _routed = new TaskCompletionSource<LayerRoute>(TaskCreationOptions.RunContinuationsAsynchronously);
        private LayerRoute _route;
        private byte[] _block;
        private int _filled;
        private long _dispatched;
        private bool _completed;

        public BlockWriter(BlockPool pool, Func<Block, LayerRoute> chooseRoute)
        {
            _pool = pool;
            _chooseRoute = chooseRoute;
            _block = pool.RentRaw();
        }

        /// <summary>The route, once the first block has chosen it.</summary>
        public Task<LayerRoute> Routed => _routed.Task;

        /// <summary>Input bytes accepted so far.</summary>
        public long BytesIn => Volatile.Read(ref _dispatched) + Volatile.Read(ref _filled);

        public void WriteByte(byte value)
        {
            if (_filled < _block.Length)
            {
                _block[_filled++] = value;
                return;
            }

            NextBlock();
            _block[_filled++] = value;
        }

        public void Write(byte[] buffer, int offset, int count)
        {
            while (count > 0)
            {
                if (_filled == _block.Length)
                {
                    NextBlock();
                }

                int n = Math.Min(count, _block.Length - _filled);
                Buffer.BlockCopy(buffer, offset, _block, _filled, n);
                _filled += n;
                offset += n;
                count -= n;
            }
        }

        /// <summary>Reads a stream to its end straight into the blocks; returns the bytes read.</summary>
        public long ReadFrom(Stream input, Action<long> progress = null)
        {
            EnsureWritable();
            long total = 0;
            while (true)
            {
                int n;
                if (_filled == _block.Length)
                {
                    // Only more input makes a full block not the last one, so read ahead into a fresh block first.
                    byte[] next = _pool.RentRaw();
                    n = input.Read(next, 0, next.Length);
                    if (n == 0)
                    {
                        _pool.ReturnRaw(next);
                        return total;
                    }

                    Dispatch(final: false);
                    _block = next;
                    _filled = n;
                }
                else
                {
                    n = input.Read(_block, _filled, _block.Length - _filled);
                    if (n == 0)
                    {
                        return total;
                    }

                    _filled += n;
                }

                total += n;
                progress?.Invoke(total);
            }
        }

        /// <summary>Marks the end of the input: the last block goes out, flagged final.</summary>
        public void Complete()
        {
            EnsureWritable();
            Dispatch(final: true);
            _completed = true;

            // Any later byte takes the slow path, which refuses it.
            _block = Array.Empty<byte>();
        }

        private void NextBlock()
        {
            EnsureWritable();
            Dispatch(final: false);
            _block = _pool.RentRaw();
        }

        private void EnsureWritable()
        {
            if (_completed)
            {
                throw new InvalidOperationException("The layer's input is already complete.");
            }
        }

        private void Dispatch(bool final)
        {
            var block = new Block { Raw = _block, RawCount = _filled, Final = final };
            if (_route == null)
            {
                _route = _chooseRoute(block);
                _routed.TrySetResult(_route);
            }

            _route.Accept(block);
            Volatile.Write(ref _dispatched, _dispatched + _filled);
            _filled = 0;
        }
    }
}
