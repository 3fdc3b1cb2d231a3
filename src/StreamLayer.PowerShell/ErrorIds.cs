namespace StreamLayer.Commands
{
    /// <summary>
    /// The stable error ids the cmdlets report. PowerShell appends the command's name, so a FullyQualifiedErrorId
    /// reads e.g. "InputNotBytes,StreamLayer.Commands.GetLayerDigestCommand". Scripts may rely on these.
    /// </summary>
    internal static class ErrorIds
    {
        public const string InputNotBytes = "InputNotBytes";
        public const string InputEmpty = "InputEmpty";
        public const string InputMixed = "InputMixed";
        public const string InputReadFailed = "InputReadFailed";
        public const string PathNotFound = "PathNotFound";
        public const string PathIsDirectory = "PathIsDirectory";
        public const string OutFileMultipleLayers = "OutFileMultipleLayers";
        public const string OutFileWriteFailed = "OutFileWriteFailed";
        public const string InvalidOption = "InvalidOption";
        public const string InputCorrupt = "InputCorrupt";
        public const string LayerFailed = "LayerFailed";
    }
}
