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

        /// <summary>An image for an index is not an image manifest (an index, say).</summary>
        IndexChildInvalid,

        /// <summary>An image for an index is in another repository and cannot be mounted or copied into the index's.</summary>
        IndexChildUnavailable,
    }

    /// <summary>An image or index cannot be written as asked: its base or a child is missing or unusable, or a part does not fit its format.</summary>
    public sealed class ImageException : Exception
    {
        public ImageException(ImageFailure failure, string message, Exception inner = null)
            : base(message, inner) => Failure = failure;

        public ImageFailure Failure { get; }
    }
}
