using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Management.Automation;
using StreamLayer.Folders;
using StreamLayer.Layers;

namespace StreamLayer.Commands
{
    /// <summary>
    /// What a cmdlet receives, as layer input: paths resolved to files, pipeline objects sorted into loose bytes
    /// (bytes, byte arrays, object arrays of bytes) and whole sources (streams, files), and everything else refused
    /// with a message that says what to send instead.
    /// </summary>
    internal static class LayerInputs
    {
        /// <summary>
        /// The files -Path names, wildcards expanded, in order; a path that names no file is a failure in its place
        /// (a <see cref="LayerInputException"/>), so one bad path among several can be reported while the others are read.
        /// </summary>
        public static List<object> FromPaths(PSCmdlet cmdlet, string[] paths)
        {
            var files = new List<object>();
            foreach (string path in paths)
            {
                Collection<string> resolved;
                ProviderInfo provider;
                try
                {
                    resolved = cmdlet.GetResolvedProviderPathFromPSPath(path, out provider);
                }
                catch (ItemNotFoundException)
                {
                    files.Add(PathNotFound(path));
                    continue;
                }

                if (provider.ImplementingType != typeof(Microsoft.PowerShell.Commands.FileSystemProvider))
                {
                    files.Add(new LayerInputException(LayerInputProblem.PathNotFileSystem, path, null, "'" + path + "' is not a file-system path."));
                    continue;
                }

                if (resolved.Count == 0)
                {
                    files.Add(PathNotFound(path));
                    continue;
                }

                foreach (string file in resolved)
                {
                    files.Add(CheckFile(file));
                }
            }

            return files;
        }

        /// <summary>The files -LiteralPath names, as they are; like <see cref="FromPaths"/>, a failure in place of a path that names no file.</summary>
        public static List<object> FromLiteralPaths(PSCmdlet cmdlet, string[] paths)
        {
            var files = new List<object>();
            foreach (string path in paths)
            {
                files.Add(CheckFile(cmdlet.GetUnresolvedProviderPathFromPSPath(path)));
            }

            return files;
        }

        /// <summary>The folders -Directory names, each a layer of its own; like <see cref="FromPaths"/>, a failure in place of a path that names no folder.</summary>
        public static List<object> FromDirectories(PSCmdlet cmdlet, string[] paths, FolderLayer folders)
        {
            var sources = new List<object>();
            foreach (string path in paths)
            {
                string full = cmdlet.GetUnresolvedProviderPathFromPSPath(path);
                if (Directory.Exists(full))
                {
                    sources.Add(folders.Source(full));
                }
                else
                {
                    sources.Add(File.Exists(full) ? FolderProblems.NotDirectory(full) : FolderProblems.NotFound(full));
                }
            }

            return sources;
        }

        /// <summary>
        /// A pipeline object that is a layer of its own (a stream, a file, a folder); null for loose bytes, which the caller
        /// writes into the layer of loose bytes. Anything else is refused.
        /// </summary>
        public static LayerSource WholeSourceOf(object input, object wrapped, PSCmdlet cmdlet, FolderLayer folders)
        {
            switch (input)
            {
                case byte _:
                case byte[] _:
                case object[] _:
                    return null;
                case Stream stream:
                    return LayerSource.FromStream(stream, "a stream (" + stream.GetType().Name + ")");
                case FileInfo file:
                    return CheckedFile(file.FullName);
                case DirectoryInfo directory:
                    return folders.Source(directory.FullName);
                case string _:
                    throw new LayerInputException(
                        LayerInputProblem.NotBytes,
                        input,
                        null,
                        "The pipeline sent text, but a layer is made of bytes. Read the tar with Get-Content " + ByteReading.Parameter + " (faster: add -ReadCount 1MB), or pass the file with -Path.");
                case object _ when PathProperty(wrapped) is string path:
                    // What -LiteralPath would bind by property name (PSPath, LP). Text is never a path here: Get-Content's
                    // lines carry the PSPath of their file, and text in the pipeline is a mistake to point out.
                    return CheckedFile(cmdlet.GetUnresolvedProviderPathFromPSPath(path));
                default:
                    throw NotBytes(input);
            }
        }

        /// <summary>No input at all: the command was given no path, no stream, and nothing is piped into it.</summary>
        public static LayerInputException Missing(string command) => new LayerInputException(
            LayerInputProblem.Missing,
            null,
            null,
            command + " has no input. Give the tar with -Path or -LiteralPath, a folder with -Directory, or a stream with -InputStream; or pipe the tar's bytes into it: "
            + "Get-Content " + ByteReading.Parameter + " -ReadCount 1MB app.tar | " + command + " ...");

        /// <summary>The pipeline ended without sending anything.</summary>
        public static LayerInputException NothingArrived() => new LayerInputException(
            LayerInputProblem.Empty,
            null,
            null,
            "No input arrived, so there is no layer. Pipe bytes (Get-Content " + ByteReading.Parameter + "), a stream or files into the command, or use -Path.");

        /// <summary>Writes loose bytes into the layer of loose bytes.</summary>
        public static void Write(LayerOperation layer, object input)
        {
            switch (input)
            {
                case byte value:
                    layer.WriteByte(value);
                    break;
                case byte[] bytes:
                    layer.Write(bytes, 0, bytes.Length);
                    break;
                default:
                    // Get-Content -ReadCount sends object[] arrays of boxed bytes.
                    foreach (object item in (object[])input)
                    {
                        object value = item is PSObject wrapped ? wrapped.BaseObject : item;
                        if (!(value is byte b))
                        {
                            throw NotBytes(value);
                        }

                        layer.WriteByte(b);
                    }

                    break;
            }
        }

        /// <summary>The file, or the failure that says why it is none.</summary>
        private static object CheckFile(string file)
        {
            try
            {
                return CheckedFile(file);
            }
            catch (LayerInputException failure)
            {
                return failure;
            }
        }

        /// <summary>The value of a PSPath, LiteralPath or LP property of a pipeline object, if it has one.</summary>
        private static string PathProperty(object wrapped)
        {
            if (!(wrapped is PSObject value))
            {
                return null;
            }

            foreach (string name in new[] { "PSPath", "LiteralPath", "LP" })
            {
                if (value.Properties[name]?.Value is object path && path.ToString().Length > 0)
                {
                    return path.ToString();
                }
            }

            return null;
        }

        private static LayerSource CheckedFile(string file)
        {
            if (Directory.Exists(file))
            {
                throw IsDirectory(file);
            }

            if (!File.Exists(file))
            {
                throw PathNotFound(file);
            }

            return LayerSource.FromFile(file);
        }

        private static LayerInputException NotBytes(object input)
        {
            string type = input == null ? "null" : input.GetType().FullName;
            return new LayerInputException(
                LayerInputProblem.NotBytes,
                input,
                null,
                "The pipeline sent " + type + ", but a layer is made of bytes. Pipe bytes (Get-Content " + ByteReading.Parameter + "), byte arrays, streams or files, or use -Path.");
        }

        private static LayerInputException IsDirectory(string path) => new LayerInputException(
            LayerInputProblem.PathIsDirectory,
            path,
            null,
            "'" + path + "' is a directory, and -Path takes a tar file. Give the folder with -Directory to make a layer of its files, or pipe Get-Item '" + path + "' into the command.");

        private static LayerInputException PathNotFound(string path) => new LayerInputException(
            LayerInputProblem.PathNotFound,
            path,
            null,
            "Cannot find a file at '" + path + "'. Check the path, or use -LiteralPath if it contains wildcard characters such as [ ].");
    }
}
