using System.Threading.Tasks;

namespace StreamLayer.Compression
{
    /// <summary>One block of input on its way to the blob: its raw bytes and, once <see cref="Done"/>, the blob bytes it stands for.</summary>
    internal sealed class Block
    {
        public byte[] Raw;
        public int RawCount;
        public bool Final;

        /// <summary>Where a compressor writes the block's output (null when the output is the raw bytes themselves).</summary>
        public BlockBuffer Output;

        // The block's part of the blob, and the CRC of its raw bytes where the format needs one.
        public byte[] Data;
        public int DataOffset;
        public int DataCount;
        public uint Crc;

        /// <summary>Completes when Data is ready: compressed, or (for compressed input) checked by the decompressor.</summary>
        public readonly TaskCompletionSource<bool> Done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
