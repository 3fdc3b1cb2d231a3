using System;

namespace StreamLayer.Registry
{
    /// <summary>What went wrong with an image as a whole, or with the layout it is written to (as opposed to one HTTP request).</summary>
    public enum ImageFailure
    {
        BaseImageNotFound,
        PlatformNotFound,
        BaseImageInvalid,
        FormatConflict,

        /// <summary>An index was asked for with no image in it.</summary>
        IndexEmpty,

        /// <summary>An image for an index does not say which platform it is for.</summary>
        IndexPlatformMissing,

        /// <summary>Two images for an index are for the same platform.</summary>
        IndexPlatformDuplicate,

        /// <summary>An image for an index does not exist.</summary>
        IndexChildNotFound,

        /// <summary>An image for an index is not an image manifest (an index, say), or what was given for one is neither an image object nor a reference.</summary>
        IndexChildInvalid,

        /// <summary>An image for an index is in another repository and cannot be mounted or copied into the index's.</summary>
        IndexChildUnavailable,

        /// <summary>The repository to write to is not a repository name (a URL, a name with a tag or a digest, bad characters).</summary>
        RepositoryInvalid,

        /// <summary>A tag that a registry would refuse.</summary>
        TagInvalid,

        /// <summary>Settings of an image (a base, a platform, a config field) were given without a tag to write the image under.</summary>
        TagRequired,

        /// <summary>The base image is not an image reference.</summary>
        BaseImageReferenceInvalid,

        /// <summary>An image setting cannot be used: a platform, a time, a name of an environment variable, label or annotation.</summary>
        SettingInvalid,

        /// <summary>No place, or two, to write to (a repository and an OCI layout), or a setting the chosen place has no use for.</summary>
        DestinationConflict,

        /// <summary>The OCI image layout's path names a file, not a folder.</summary>
        LayoutPathIsFile,

        /// <summary>The OCI image layout's path is a folder that holds other things and no layout; it is left alone.</summary>
        LayoutFolderNotEmpty,

        /// <summary>The folder has an oci-layout file, but the layout is not one that can be read or added to (its index.json, its version).</summary>
        LayoutInvalid,

        /// <summary>A file of the OCI image layout cannot be written (permissions, a full disk, a read-only file system).</summary>
        LayoutWriteFailed,

        /// <summary>Another process kept the OCI image layout's index locked for longer than the wait.</summary>
        LayoutBusy,
    }

    /// <summary>
    /// An image or index cannot be written as asked: its base or a child is missing or unusable, a part does not fit
    /// its format, or the OCI image layout it goes to cannot be used.
    /// </summary>
    public sealed class ImageException : Exception
    {
        public ImageException(ImageFailure failure, string message, Exception inner = null)
            : base(message, inner) => Failure = failure;

        internal ImageException(ImageFailure failure, object subject, string message, Exception inner = null)
            : this(failure, message, inner) => Subject = subject;

        public ImageFailure Failure { get; }

        /// <summary>What the failure is about, as it was given (a tag, a platform, the text of a reference); null for the image as a whole.</summary>
        internal object Subject { get; }
    }
}
