using System.Threading;

namespace StreamLayer.Registry.Blobs
{
    /// <summary>Blob bytes sent to the registry so far (in chunked mode: acknowledged by it); progress reads it from another thread.</summary>
    internal sealed class UploadedBytes
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public void Add(long count) => Interlocked.Add(ref _count, count);

        /// <summary>What the registry reports it holds, after resuming from it.</summary>
        public void Reset(long count) => Interlocked.Exchange(ref _count, count);
    }
}
