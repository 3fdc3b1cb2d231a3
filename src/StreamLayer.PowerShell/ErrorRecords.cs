using System;
using System.Management.Automation;
using StreamLayer.Registry;

namespace StreamLayer.Commands
{
    /// <summary>
    /// The one table from a failure to the error record a user sees: a stable id (see <see cref="ErrorIds"/>), a
    /// category, a target, and where the core's words are not enough, a message in PowerShell's terms. Every id a
    /// cmdlet reports comes from here: the core and the cmdlets throw failures with a kind, never ids.
    /// </summary>
    internal static class ErrorRecords
    {
        /// <param name="target">The target of failures that name no input of their own: the repository, say.</param>
        public static ErrorRecord For(Exception error, object target)
        {
            switch (error)
            {
                case AggregateException aggregate when aggregate.InnerExceptions.Count == 1:
                    return For(aggregate.InnerException, target);
                case LayerInputException input:
                    return ForInput(input);
                case LayerOutputException output:
                    return new ErrorRecord(output, ErrorIds.OutFileWriteFailed, ErrorCategory.WriteError, output.Path);
                case LayerOptionsException options:
                    // Options that the input itself rules out, such as Docker media types for zstd input.
                    return new ErrorRecord(options, ErrorIds.InvalidOption, ErrorCategory.InvalidArgument, null);
                case ImageException image:
                    return new ErrorRecord(image, IdOf(image.Failure), CategoryOf(image.Failure), image.Subject ?? target);
                case RegistryException registry:
                    return new ErrorRecord(registry, IdOf(registry.Failure), CategoryOf(registry.Failure), target);
                default:
                    return new ErrorRecord(error, ErrorIds.LayerFailed, ErrorCategory.NotSpecified, target);
            }
        }

        private static ErrorRecord ForInput(LayerInputException input)
        {
            object target = input.Subject ?? input.Input;
            switch (input.Problem)
            {
                case LayerInputProblem.Empty:
                    return new ErrorRecord(input, ErrorIds.InputEmpty, ErrorCategory.InvalidData, target);
                case LayerInputProblem.Mixed:
                    return new ErrorRecord(input, ErrorIds.InputMixed, ErrorCategory.InvalidArgument, null);
                case LayerInputProblem.ReadFailed:
                    return new ErrorRecord(input, ErrorIds.InputReadFailed, ErrorCategory.ReadError, target);
                case LayerInputProblem.NotTar:
                    return new ErrorRecord(input, ErrorIds.InputNotTar, ErrorCategory.InvalidData, target);
                case LayerInputProblem.NotReadable:
                    return new ErrorRecord(input, ErrorIds.InputNotReadable, ErrorCategory.InvalidArgument, target);
                case LayerInputProblem.Closed:
                    // As PowerShell files an ObjectDisposedException: an operation the object's state rules out.
                    return new ErrorRecord(input, ErrorIds.InputClosed, ErrorCategory.InvalidOperation, target);
                case LayerInputProblem.NotBytes:
                    return new ErrorRecord(input, ErrorIds.InputNotBytes, ErrorCategory.InvalidType, target);
                case LayerInputProblem.PathNotFound:
                    // An ItemNotFoundException, as a missing path is everywhere in PowerShell, so scripts can catch it as one.
                    return new ErrorRecord(new ItemNotFoundException(input.Message, input), ErrorIds.PathNotFound, ErrorCategory.ObjectNotFound, target);
                case LayerInputProblem.PathNotFileSystem:
                    return new ErrorRecord(input, ErrorIds.PathNotFound, ErrorCategory.InvalidArgument, target);
                case LayerInputProblem.PathIsDirectory:
                    return new ErrorRecord(input, ErrorIds.PathIsDirectory, ErrorCategory.InvalidArgument, target);
                case LayerInputProblem.Missing:
                    return new ErrorRecord(input, ErrorIds.InputMissing, ErrorCategory.InvalidArgument, null);
                case LayerInputProblem.NotDirectory:
                    return new ErrorRecord(input, ErrorIds.PathNotDirectory, ErrorCategory.InvalidArgument, target);
                case LayerInputProblem.EntryUnreadable:
                    return new ErrorRecord(input, ErrorIds.DirectoryEntryUnreadable, ErrorCategory.PermissionDenied, target);
                case LayerInputProblem.EntryNameInvalid:
                    return new ErrorRecord(input, ErrorIds.DirectoryEntryNameInvalid, ErrorCategory.InvalidData, target);
                case LayerInputProblem.EntryChanged:
                    return new ErrorRecord(input, ErrorIds.DirectoryEntryChanged, ErrorCategory.InvalidData, target);
                case LayerInputProblem.EntryVanished:
                    return new ErrorRecord(input, ErrorIds.DirectoryEntryVanished, ErrorCategory.ObjectNotFound, target);
                case LayerInputProblem.LayerPathInvalid:
                    return new ErrorRecord(input, ErrorIds.LayerPathInvalid, ErrorCategory.InvalidArgument, target);
                case LayerInputProblem.TooManyLayers:
                    return new ErrorRecord(
                        new InvalidOperationException("-OutFile holds one layer, but the input makes two or more. Run the command once per layer, each with its own -OutFile.", input),
                        ErrorIds.OutFileMultipleLayers,
                        ErrorCategory.InvalidArgument,
                        null);
                default:
                    return new ErrorRecord(input, ErrorIds.InputCorrupt, ErrorCategory.InvalidData, target);
            }
        }

        private static string IdOf(ImageFailure failure)
        {
            switch (failure)
            {
                case ImageFailure.BaseImageNotFound: return ErrorIds.BaseImageNotFound;
                case ImageFailure.PlatformNotFound: return ErrorIds.PlatformNotFound;
                case ImageFailure.BaseImageInvalid: return ErrorIds.BaseImageInvalid;
                case ImageFailure.FormatConflict: return ErrorIds.FormatConflict;
                case ImageFailure.IndexEmpty: return ErrorIds.IndexEmpty;
                case ImageFailure.IndexPlatformMissing: return ErrorIds.IndexPlatformMissing;
                case ImageFailure.IndexPlatformDuplicate: return ErrorIds.IndexPlatformDuplicate;
                case ImageFailure.IndexChildNotFound: return ErrorIds.IndexChildNotFound;
                case ImageFailure.IndexChildInvalid: return ErrorIds.IndexChildInvalid;
                case ImageFailure.IndexChildUnavailable: return ErrorIds.IndexChildUnavailable;
                case ImageFailure.RepositoryInvalid: return ErrorIds.InvalidRepository;
                case ImageFailure.TagInvalid: return ErrorIds.InvalidTag;
                case ImageFailure.TagRequired: return ErrorIds.TagRequired;
                case ImageFailure.BaseImageReferenceInvalid: return ErrorIds.InvalidBaseImage;
                case ImageFailure.SettingInvalid: return ErrorIds.InvalidOption;
                case ImageFailure.DestinationConflict: return ErrorIds.DestinationConflict;
                case ImageFailure.LayoutPathIsFile: return ErrorIds.LayoutPathIsFile;
                case ImageFailure.LayoutFolderNotEmpty: return ErrorIds.LayoutFolderNotEmpty;
                case ImageFailure.LayoutInvalid: return ErrorIds.LayoutInvalid;
                case ImageFailure.LayoutWriteFailed: return ErrorIds.LayoutWriteFailed;
                case ImageFailure.LayoutBusy: return ErrorIds.LayoutBusy;
                default: return ErrorIds.LayerFailed;
            }
        }

        private static string IdOf(RegistryFailure failure)
        {
            switch (failure)
            {
                case RegistryFailure.Unauthorized: return ErrorIds.RegistryUnauthorized;
                case RegistryFailure.Denied: return ErrorIds.RegistryDenied;
                case RegistryFailure.NameUnknown: return ErrorIds.RegistryNameUnknown;
                case RegistryFailure.NameInvalid: return ErrorIds.RegistryNameInvalid;
                case RegistryFailure.BlobRejected: return ErrorIds.RegistryBlobRejected;
                case RegistryFailure.Unsupported: return ErrorIds.RegistryUnsupported;
                case RegistryFailure.TooManyRequests: return ErrorIds.RegistryTooManyRequests;
                case RegistryFailure.Unavailable: return ErrorIds.RegistryUnavailable;
                case RegistryFailure.Timeout: return ErrorIds.RegistryTimeout;
                case RegistryFailure.ProtocolError: return ErrorIds.RegistryProtocolError;
                case RegistryFailure.ConnectionFailed: return ErrorIds.RegistryConnectionFailed;
                case RegistryFailure.AuthenticationFailed: return ErrorIds.RegistryAuthenticationFailed;
                case RegistryFailure.TokenRealmUnreachable: return ErrorIds.RegistryTokenRealmUnreachable;
                case RegistryFailure.ChallengeInvalid: return ErrorIds.RegistryChallengeInvalid;
                case RegistryFailure.UnencryptedAuthentication: return ErrorIds.UnencryptedAuthenticationRefused;
                case RegistryFailure.CredentialFileInvalid: return ErrorIds.CredentialFileInvalid;
                case RegistryFailure.CredentialHelperNotFound: return ErrorIds.CredentialHelperNotFound;
                case RegistryFailure.CredentialHelperFailed: return ErrorIds.CredentialHelperFailed;
                case RegistryFailure.CertificateUntrusted: return ErrorIds.RegistryCertificateUntrusted;
                case RegistryFailure.CertificateInvalid: return ErrorIds.CertificateInvalid;
                case RegistryFailure.StorageFull: return ErrorIds.RegistryStorageFull;
                case RegistryFailure.LocationInvalid: return ErrorIds.RegistryLocationInvalid;
                case RegistryFailure.DigestMismatch: return ErrorIds.RegistryDigestMismatch;
                case RegistryFailure.RedirectNotFollowed: return ErrorIds.RegistryRedirectNotFollowed;
                case RegistryFailure.TokenRejected: return ErrorIds.RegistryTokenRejected;
                default: return ErrorIds.RegistryRejected;
            }
        }

        private static ErrorCategory CategoryOf(RegistryFailure failure)
        {
            switch (failure)
            {
                case RegistryFailure.Unauthorized:
                case RegistryFailure.AuthenticationFailed:
                case RegistryFailure.CredentialHelperFailed:
                case RegistryFailure.TokenRejected:
                    return ErrorCategory.AuthenticationError;
                case RegistryFailure.StorageFull: return ErrorCategory.ResourceUnavailable;
                case RegistryFailure.DigestMismatch: return ErrorCategory.InvalidResult;
                case RegistryFailure.LocationInvalid:
                case RegistryFailure.RedirectNotFollowed:
                    return ErrorCategory.ProtocolError;
                case RegistryFailure.Denied: return ErrorCategory.PermissionDenied;
                case RegistryFailure.NameUnknown:
                case RegistryFailure.CredentialHelperNotFound:
                    return ErrorCategory.ObjectNotFound;
                case RegistryFailure.NameInvalid: return ErrorCategory.InvalidArgument;
                case RegistryFailure.BlobRejected:
                case RegistryFailure.CredentialFileInvalid:
                case RegistryFailure.CertificateInvalid:
                    return ErrorCategory.InvalidData;
                case RegistryFailure.Unsupported: return ErrorCategory.NotImplemented;
                case RegistryFailure.TooManyRequests: return ErrorCategory.LimitsExceeded;
                case RegistryFailure.Unavailable: return ErrorCategory.ResourceUnavailable;
                case RegistryFailure.Timeout: return ErrorCategory.OperationTimeout;
                case RegistryFailure.ProtocolError:
                case RegistryFailure.ChallengeInvalid:
                    return ErrorCategory.ProtocolError;
                case RegistryFailure.ConnectionFailed:
                case RegistryFailure.TokenRealmUnreachable:
                    return ErrorCategory.ConnectionError;
                case RegistryFailure.UnencryptedAuthentication:
                case RegistryFailure.CertificateUntrusted:
                    return ErrorCategory.SecurityError;
                default: return ErrorCategory.InvalidResult;
            }
        }

        private static ErrorCategory CategoryOf(ImageFailure failure)
        {
            switch (failure)
            {
                case ImageFailure.BaseImageNotFound:
                case ImageFailure.PlatformNotFound:
                case ImageFailure.IndexChildNotFound:
                    return ErrorCategory.ObjectNotFound;
                case ImageFailure.BaseImageInvalid:
                case ImageFailure.IndexChildInvalid:
                case ImageFailure.IndexPlatformMissing:
                case ImageFailure.LayoutInvalid:
                    return ErrorCategory.InvalidData;
                case ImageFailure.IndexEmpty:
                case ImageFailure.IndexPlatformDuplicate:
                case ImageFailure.RepositoryInvalid:
                case ImageFailure.TagInvalid:
                case ImageFailure.TagRequired:
                case ImageFailure.BaseImageReferenceInvalid:
                case ImageFailure.SettingInvalid:
                case ImageFailure.DestinationConflict:
                case ImageFailure.LayoutPathIsFile:
                case ImageFailure.LayoutFolderNotEmpty:
                    return ErrorCategory.InvalidArgument;
                case ImageFailure.IndexChildUnavailable:
                    return ErrorCategory.ResourceUnavailable;
                case ImageFailure.LayoutWriteFailed:
                    return ErrorCategory.WriteError;
                case ImageFailure.LayoutBusy:
                    return ErrorCategory.ResourceBusy;
                default:
                    return ErrorCategory.InvalidOperation;
            }
        }
    }
}
