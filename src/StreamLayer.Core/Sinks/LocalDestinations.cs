using System;

namespace StreamLayer.Sinks
{
    /// <summary>The digests alone: each layer's blob is computed and dropped.</summary>
    internal sealed class DigestOnly : ILayerDestination
    {
        public string Target => null;

        public string Verb => "compressed";

        public string Action => null;

        public int MaxLayers => int.MaxValue;

        public bool AllOrNothing => false;

        public ILayerSink OpenSink(LayerSource source) => new StreamSink(null);
    }

    /// <summary>One file that holds the one layer's blob; it is removed again if the layer fails.</summary>
    internal sealed class FileDestination : ILayerDestination
    {
        private readonly Action<string> _warn;

        /// <param name="warn">Told when a partial file cannot be removed.</param>
        public FileDestination(string path, Action<string> warn)
        {
            Path = path;
            _warn = warn;
        }

        public string Path { get; }

        /// <summary>None: the command's own name says where its one layer goes.</summary>
        public string Target => null;

        public string Verb => "compressed";

        public string Action => null;

        public int MaxLayers => 1;

        public bool AllOrNothing => false;

        public ILayerSink OpenSink(LayerSource source)
        {
            // Replacing the input with its own blob would lose the tar the moment the blob is complete.
            if (source.Path != null && string.Equals(System.IO.Path.GetFullPath(source.Path), System.IO.Path.GetFullPath(Path), PathComparison))
            {
                throw new LayerOutputException(Path, new System.IO.IOException("it is the input itself. Give -OutFile another path, such as '" + Path + ".gz'."));
            }

            return new FileSink(Path, _warn);
        }

        private static StringComparison PathComparison =>
            System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Linux) ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
    }
}
