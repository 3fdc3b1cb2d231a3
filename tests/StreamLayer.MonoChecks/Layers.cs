using System.IO;
using StreamLayer.Layers;
using StreamLayer.Sinks;

namespace StreamLayer.MonoChecks
{
    /// <summary>Makes layers with the core, the way Get-LayerDigest does, keeping the blob.</summary>
    internal static class Layers
    {
        public static LayerDigest Encode(byte[] input, LayerOptions options, out byte[] blob)
        {
            var output = new MemoryStream();
            using (var operation = new LayerOperation(options, new StreamSink(output)))
            {
                for (int i = 0; i < input.Length; i += 100000)
                {
                    operation.Write(input, i, System.Math.Min(100000, input.Length - i));
                }

                LayerDigest layer = operation.Complete().GetAwaiter().GetResult();
                blob = output.ToArray();
                return layer;
            }
        }
    }
}
