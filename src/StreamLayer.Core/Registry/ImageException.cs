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
    }

    /// <summary>An image cannot be written as asked: its base is missing or unusable, or a layer does not fit its format.</summary>
    public sealed class ImageException : Exception
    {
        public ImageException(ImageFailure failure, string message, Exception inner = null)
            : base(message, inner) => Failure = failure;

        public ImageFailure Failure { get; }
    }
}
