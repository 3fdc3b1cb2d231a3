using System;

namespace StreamLayer.Registry
{
    /// <summary>What went wrong with an image as a whole (as opposed to one HTTP request).</summary>
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
    }

    /// <summary>An image or index cannot be written as asked: its base or a child is missing or unusable, or a part does not fit its format.</summary>
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
