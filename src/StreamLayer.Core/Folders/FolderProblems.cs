using System;

namespace StreamLayer.Folders
{
    /// <summary>Why a folder cannot make a layer: each a <see cref="LayerInputException"/> whose kind the host maps to an error id.</summary>
    internal static class FolderProblems
    {
        public static LayerInputException NotDirectory(string path) => new LayerInputException(
            LayerInputProblem.NotDirectory,
            path,
            Quoted(path),
            "'" + path + "' is a file, not a folder. Give a tar file with -Path, and a folder with -Directory.");

        public static LayerInputException NotFound(string path) => new LayerInputException(
            LayerInputProblem.PathNotFound,
            path,
            Quoted(path),
            "Cannot find a folder at '" + path + "'. Check the path.");

        public static LayerInputException Unreadable(string root, string entry, Exception inner) => new LayerInputException(
            LayerInputProblem.EntryUnreadable,
            entry,
            Quoted(root),
            "Cannot read '" + entry + "' in '" + root + "'" + (inner != null ? ": " + inner.Message : ": permission denied.") + " Give the command read access to it, or leave it out with -Exclude.",
            inner);

        public static LayerInputException NameInvalid(string root, string entry) => new LayerInputException(
            LayerInputProblem.EntryNameInvalid,
            entry,
            Quoted(root),
            "The name of '" + entry + "' in '" + root + "' is not valid UTF-8 (shown with U+FFFD where its bytes are not), and a layer's names are UTF-8. Rename it, or leave it out with -Exclude.");

        public static LayerInputException Changed(string root, string entry, long size, string what) => new LayerInputException(
            LayerInputProblem.EntryChanged,
            entry,
            Quoted(root),
            "'" + entry + "' in '" + root + "' changed while it was read: it had " + size + " bytes when it was opened, but " + what + ". The layer is not made, so that no tar says a size it does not hold; make it again when nothing writes to the folder.");

        public static LayerInputException Vanished(string root, string entry) => new LayerInputException(
            LayerInputProblem.EntryVanished,
            entry,
            Quoted(root),
            "'" + entry + "' in '" + root + "' was removed while the folder was read. Make the layer again when nothing changes the folder.");

        public static LayerInputException PathInvalid(string parameter, string value, string why) => new LayerInputException(
            LayerInputProblem.LayerPathInvalid,
            value,
            null,
            "-" + parameter + " '" + value + "' " + why);

        private static string Quoted(string path) => "the folder '" + path + "'";
    }
}
