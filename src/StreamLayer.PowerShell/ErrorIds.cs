namespace StreamLayer.Commands
{
    /// <summary>
    /// The stable error ids the cmdlets report. PowerShell appends the command's name, so a FullyQualifiedErrorId
    /// reads e.g. "InputNotBytes,StreamLayer.Commands.GetLayerDigestCommand". Scripts may rely on these.
    /// </summary>
    internal static class ErrorIds
    {
        public const string InputNotBytes = "InputNotBytes";
        public const string InputMissing = "InputMissing";
        public const string InputEmpty = "InputEmpty";
        public const string InputMixed = "InputMixed";
        public const string InputReadFailed = "InputReadFailed";
        public const string PathNotFound = "PathNotFound";
        public const string PathIsDirectory = "PathIsDirectory";
        public const string OutFileMultipleLayers = "OutFileMultipleLayers";
        public const string OutFileWriteFailed = "OutFileWriteFailed";
        public const string InvalidOption = "InvalidOption";
        public const string InputCorrupt = "InputCorrupt";
        public const string InputNotTar = "InputNotTar";
        public const string InputNotReadable = "InputNotReadable";
        public const string InputClosed = "InputClosed";
        public const string LayerFailed = "LayerFailed";
        public const string PathNotDirectory = "PathNotDirectory";
        public const string DirectoryEntryUnreadable = "DirectoryEntryUnreadable";
        public const string DirectoryEntryNameInvalid = "DirectoryEntryNameInvalid";
        public const string DirectoryEntryChanged = "DirectoryEntryChanged";
        public const string DirectoryEntryVanished = "DirectoryEntryVanished";
        public const string LayerPathInvalid = "LayerPathInvalid";

        public const string InvalidRepository = "InvalidRepository";
        public const string RegistryRejected = "RegistryRejected";
        public const string RegistryUnauthorized = "RegistryUnauthorized";
        public const string RegistryDenied = "RegistryDenied";
        public const string RegistryNameUnknown = "RegistryNameUnknown";
        public const string RegistryNameInvalid = "RegistryNameInvalid";
        public const string RegistryBlobRejected = "RegistryBlobRejected";
        public const string RegistryUnsupported = "RegistryUnsupported";
        public const string RegistryTooManyRequests = "RegistryTooManyRequests";
        public const string RegistryUnavailable = "RegistryUnavailable";
        public const string RegistryTimeout = "RegistryTimeout";
        public const string RegistryProtocolError = "RegistryProtocolError";
        public const string RegistryConnectionFailed = "RegistryConnectionFailed";

        public const string RegistryAuthenticationFailed = "RegistryAuthenticationFailed";
        public const string RegistryTokenRealmUnreachable = "RegistryTokenRealmUnreachable";
        public const string RegistryChallengeInvalid = "RegistryChallengeInvalid";
        public const string RegistryCertificateUntrusted = "RegistryCertificateUntrusted";
        public const string UnencryptedAuthenticationRefused = "UnencryptedAuthenticationRefused";
        public const string CredentialFileInvalid = "CredentialFileInvalid";
        public const string CredentialHelperNotFound = "CredentialHelperNotFound";
        public const string CredentialHelperFailed = "CredentialHelperFailed";
        public const string CertificateInvalid = "CertificateInvalid";
        public const string RegistryStorageFull = "RegistryStorageFull";
        public const string RegistryLocationInvalid = "RegistryLocationInvalid";
        public const string RegistryDigestMismatch = "RegistryDigestMismatch";
        public const string RegistryRedirectNotFollowed = "RegistryRedirectNotFollowed";
        public const string RegistryTokenRejected = "RegistryTokenRejected";

        public const string TagRequired = "TagRequired";
        public const string InvalidTag = "InvalidTag";
        public const string InvalidBaseImage = "InvalidBaseImage";

        public const string BaseImageNotFound = "BaseImageNotFound";
        public const string PlatformNotFound = "PlatformNotFound";
        public const string BaseImageInvalid = "BaseImageInvalid";
        public const string FormatConflict = "FormatConflict";
        public const string IndexEmpty = "IndexEmpty";
        public const string IndexPlatformMissing = "IndexPlatformMissing";
        public const string IndexPlatformDuplicate = "IndexPlatformDuplicate";
        public const string IndexChildNotFound = "IndexChildNotFound";
        public const string IndexChildInvalid = "IndexChildInvalid";
        public const string IndexChildUnavailable = "IndexChildUnavailable";

        public const string DestinationConflict = "DestinationConflict";
        public const string LayoutPathIsFile = "LayoutPathIsFile";
        public const string LayoutFolderNotEmpty = "LayoutFolderNotEmpty";
        public const string LayoutInvalid = "LayoutInvalid";
        public const string LayoutWriteFailed = "LayoutWriteFailed";
        public const string LayoutBusy = "LayoutBusy";
    }
}
