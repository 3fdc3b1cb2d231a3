using System;

namespace StreamLayer
{
    /// <summary>Why an input cannot make a layer.</summary>
    public enum LayerInputProblem
    {
        /// <summary>No bytes at all: a layer needs at least one byte of tar.</summary>
        Empty,

        /// <summary>Loose bytes and whole streams or files in one run: which bytes belong to which layer is unclear.</summary>
        Mixed,

        /// <summary>Opening or reading the input failed.</summary>
        ReadFailed,

        /// <summary>The input starts like gzip or zstd but does not decompress to its end.</summary>
        Corrupt,

        /// <summary>More layers than the destination holds (a single file holds one).</summary>
        TooManyLayers,

        /// <summary>The input (or what its gzip or zstd holds) is not a tar: another format, text, or too short.</summary>
        NotTar,

        /// <summary>A stream that cannot be read (opened for writing only).</summary>
        NotReadable,

        /// <summary>A stream that was closed (disposed) before the command read it.</summary>
        Closed,

        /// <summary>Input that is not bytes: text, or an object of another kind.</summary>
        NotBytes,

        /// <summary>A path that names no file.</summary>
        PathNotFound,

        /// <summary>A path of another PowerShell provider than the file system (Env:, Variable:).</summary>
        PathNotFileSystem,

        /// <summary>A path that names a directory where a file was expected.</summary>
        PathIsDirectory,

        /// <summary>No input was given at all: no path, no stream, nothing piped in.</summary>
        Missing,

        /// <summary>A folder was asked for (-Directory) but the path names a file.</summary>
        NotDirectory,

        /// <summary>A file or folder in the folder cannot be read (permission denied, an I/O error).</summary>
        EntryUnreadable,

        /// <summary>A name (or a symlink's target) in the folder is not valid UTF-8.</summary>
        EntryNameInvalid,

        /// <summary>A file in the folder changed its size while it was read.</summary>
        EntryChanged,

        /// <summary>A file or folder in the folder was removed while the folder was read.</summary>
        EntryVanished,

        /// <summary>A path in the layer (-Prefix, -Delete) that escapes with '..' or names nothing.</summary>
        LayerPathInvalid,
    }

    /// <summary>
    /// The input cannot make a layer. The layer fails before its blob is complete anywhere: no result is given, an
    /// upload is cancelled, a file is removed. Not an IOException: reading the same input again cannot help.
    /// </summary>
    public sealed class LayerInputException : Exception
    {
        internal LayerInputException(LayerInputProblem problem, string source, string message, Exception inner = null)
            : base(message, inner)
        {
            Problem = problem;
            Input = source;
        }

        /// <param name="subject">The input as it was given (a path, a pipeline object), for the host's error record.</param>
        internal LayerInputException(LayerInputProblem problem, object subject, string source, string message, Exception inner = null)
            : this(problem, source, message, inner) => Subject = subject;

        public LayerInputProblem Problem { get; }

        /// <summary>The input as messages name it: a quoted path, "the input stream", "the pipeline's bytes"; null when not one input.</summary>
        public string Input { get; }

        /// <summary>The input as it was given (a path, a pipeline object); null when <see cref="Input"/> says it all.</summary>
        internal object Subject { get; }

        /// <summary>For <see cref="LayerInputProblem.Corrupt"/> and <see cref="LayerInputProblem.NotTar"/>: the compression the input's first bytes announced.</summary>
        public LayerCompression? Format { get; private set; }

        internal static LayerInputException Corrupt(LayerCompression format, string problem, Exception inner = null)
        {
            string name = format == LayerCompression.Zstd ? "zstd" : "gzip";
            return new LayerInputException(LayerInputProblem.Corrupt, null, "The input starts like " + name + " but is not valid " + name + ": " + problem, inner)
            {
                Format = format,
            };
        }

        /// <param name="container">How the input was compressed around what should be a tar (None: not at all).</param>
        /// <param name="seen">What the bytes look like ("xz-compressed data", "text"), or null.</param>
        /// <param name="decompressor">The command that gives the tar inside <paramref name="seen"/>, or null.</param>
        /// <param name="length">How many bytes were looked at: fewer than 512 means the input ended there.</param>
        internal static LayerInputException NotTar(LayerCompression container, string seen, string decompressor, int length)
        {
            string what = container == LayerCompression.None
                ? "The input is not a tar"
                : "The input is " + (container == LayerCompression.Zstd ? "zstd" : "gzip") + "-compressed, but what it holds is not a tar";
            string why = length < 512
                ? "it has only " + length + " byte" + (length == 1 ? string.Empty : "s") + (seen != null ? " (" + seen + ")" : string.Empty) + ", and a tar is at least one 512-byte block"
                : seen != null ? "it starts like " + seen : "its first 512 bytes are not a tar header (the header's checksum does not match)";
            string todo = decompressor != null
                ? "Decompress it first (" + decompressor + " <file> > layer.tar) and give the tar."
                : "Make a tar of the files first (tar -cf layer.tar -C <folder> .) and give that.";
            return new LayerInputException(
                LayerInputProblem.NotTar,
                null,
                what + ": " + why + ". A layer is a tar, as it is or compressed with gzip or zstd; anything else makes an image that fails only when it is pulled. " + todo)
            {
                Format = container == LayerCompression.None ? (LayerCompression?)null : container,
            };
        }

        internal static LayerInputException NotReadable(LayerSource source) => new LayerInputException(
            LayerInputProblem.NotReadable,
            source.Description,
            Capitalized(source.Description) + " cannot be read (it was opened for writing only). Give a stream opened for reading, such as [System.IO.File]::OpenRead(<path>).");

        internal static LayerInputException Closed(LayerSource source) => new LayerInputException(
            LayerInputProblem.Closed,
            source.Description,
            Capitalized(source.Description) + " is closed: it was disposed before the command read it, so nothing of it can be read. Give a stream that is open, and dispose it only once the command is done (try { ... } finally { $stream.Dispose() }).");

        /// <summary>A stream that was closed (disposed) while the command was reading it.</summary>
        internal static LayerInputException ClosedWhileRead(LayerSource source, Exception inner) => new LayerInputException(
            LayerInputProblem.ReadFailed,
            source.Description,
            "Reading " + source.Description + " failed: it was closed (disposed) while the command was reading it. Dispose a stream only once the command is done.",
            inner);

        internal static LayerInputException Empty(LayerSource source) => new LayerInputException(
            LayerInputProblem.Empty,
            source.Description,
            (source == LayerSource.LooseBytes ? "The pipeline's bytes are empty" : Capitalized(source.Description) + " is empty")
            + ", so there is no layer. A layer needs at least one byte of tar.");

        internal static LayerInputException Mixed() => new LayerInputException(
            LayerInputProblem.Mixed,
            null,
            "The input mixed loose bytes with whole streams or files. Send one kind: bytes and byte arrays make one layer together; each stream or file makes a layer of its own.");

        internal static LayerInputException ReadFailed(LayerSource source, Exception inner) => new LayerInputException(
            LayerInputProblem.ReadFailed,
            source.Description,
            "Reading " + source.Description + " failed: " + inner.Message,
            inner);

        internal static LayerInputException OpenFailed(LayerSource source, Exception inner) => new LayerInputException(
            LayerInputProblem.ReadFailed,
            source.Description,
            "Cannot open " + source.Description + ": " + inner.Message,
            inner);

        internal static LayerInputException TooMany(int most, int count) => new LayerInputException(
            LayerInputProblem.TooManyLayers,
            null,
            "The destination holds " + (most == 1 ? "one layer" : most + " layers") + ", but the input makes " + count + " or more.");

        private static string Capitalized(string text) => text.Length > 0 && char.IsLower(text[0]) ? char.ToUpperInvariant(text[0]) + text.Substring(1) : text;
    }

    /// <summary>The layer's blob could not be written to its destination file.</summary>
    public sealed class LayerOutputException : Exception
    {
        internal LayerOutputException(string path, Exception inner)
            : base("Cannot write the layer to '" + path + "': " + inner.Message, inner) => Path = path;

        public string Path { get; }
    }
}
