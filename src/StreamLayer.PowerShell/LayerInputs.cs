using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Management.Automation;

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
        /// (a <see cref="CommandFailure"/>), so one bad path among several can be reported while the others are read.
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
                    files.Add(CommandFailure.Create(ErrorIds.PathNotFound, ErrorCategory.InvalidArgument, path, "'" + path + "' is not a file-system path."));
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

        /// <summary>
        /// A pipeline object that is a layer of its own (a stream, a file); null for loose bytes, which the caller
        /// writes into the layer of loose bytes. Anything else is refused.
        /// </summary>
        public static LayerSource WholeSourceOf(object input, object wrapped, PSCmdlet cmdlet)
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
                    throw IsDirectory(directory.FullName);
                case string _:
                    throw CommandFailure.Create(
                        ErrorIds.InputNotBytes,
                        ErrorCategory.InvalidType,
                        input,
                        "The pipeline sent text, but a layer is made of bytes. Read the tar with Get-Content " + ByteReading.Parameter + " (faster: add -ReadCount 1MB), or pass the file with -Path.");
                case object _ when PathProperty(wrapped) is string path:
                    // What -LiteralPath would bind by property name (PSPath, LP). Text is never a path here: Get-Content's
                    // lines carry the PSPath of their file, and text in the pipeline is a mistake to point out.
                    return CheckedFile(cmdlet.GetUnresolvedProviderPathFromPSPath(path));
                default:
                    throw NotBytes(input);
            }
        }

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
            catch (CommandFailure failure)
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

        private static CommandFailure NotBytes(object input)
        {
            string type = input == null ? "null" : input.GetType().FullName;
            return CommandFailure.Create(
                ErrorIds.InputNotBytes,
                ErrorCategory.InvalidType,
                input,
                "The pipeline sent " + type + ", but a layer is made of bytes. Pipe bytes (Get-Content " + ByteReading.Parameter + "), byte arrays, streams or files, or use -Path.");
        }

        private static CommandFailure IsDirectory(string path) => CommandFailure.Create(
            ErrorIds.PathIsDirectory,
            ErrorCategory.InvalidArgument,
            path,
            "'" + path + "' is a directory. A layer is read from a tar file: create one first (tar -cf layer.tar -C <directory> .) and pass that.");

        private static CommandFailure PathNotFound(string path) => CommandFailure.Create(
            ErrorIds.PathNotFound,
            ErrorCategory.ObjectNotFound,
            path,
            new ItemNotFoundException("Cannot find a file at '" + path + "'. Check the path, or use -LiteralPath if it contains wildcard characters such as [ ]."));
    }
}
