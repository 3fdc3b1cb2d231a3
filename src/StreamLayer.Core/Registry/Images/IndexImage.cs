using System;

namespace StreamLayer.Registry.Images
{
    /// <summary>
    /// An image asked for an index: its reference, and the platform its image object names (null: the platform of
    /// its config). Asked for by reference (text) or by an image object, whose Reference and Platform say it all.
    /// </summary>
    internal sealed class IndexImage
    {
        private IndexImage(ImageReference reference, ImagePlatform platform)
        {
            Reference = reference;
            Platform = platform;
        }

        public ImageReference Reference { get; }

        public ImagePlatform Platform { get; }

        /// <summary>An image by reference as written, or a bare digest in the index's repository.</summary>
        public static IndexImage Named(string text, ImageReference repository) => new IndexImage(Parse(text, repository), null);

        /// <summary>
        /// An image object: the image Push-StreamLayer -Tag wrote, or one deserialized from a job or a remote session.
        /// </summary>
        /// <param name="subject">The object itself, for the error; <paramref name="kind"/> its type's name.</param>
        public static IndexImage Of(string reference, string platform, ImageReference repository, object subject, string kind)
        {
            if (string.IsNullOrEmpty(reference))
            {
                throw new ImageException(
                    ImageFailure.IndexChildInvalid,
                    subject,
                    "Push-ImageIndex takes the image objects of Push-StreamLayer -Tag, or image references; a " + kind + " with no Reference is neither.");
            }

            if (string.IsNullOrEmpty(platform))
            {
                throw new ImageException(
                    ImageFailure.IndexPlatformMissing,
                    reference,
                    "The image " + reference + " has no Platform, so it cannot serve a platform in an index. Push it with -Platform, or name it with -Image to take the platform from its config.");
            }

            ImageReference parsed = Parse(reference, repository);
            try
            {
                return new IndexImage(parsed, ImagePlatform.Parse(platform));
            }
            catch (FormatException e)
            {
                throw new ImageException(ImageFailure.IndexPlatformMissing, reference, "The image " + reference + " has no usable Platform: " + e.Message);
            }
        }

        private static ImageReference Parse(string text, ImageReference repository)
        {
            try
            {
                return text.StartsWith("sha256:", StringComparison.Ordinal) ? ImageReference.Parse(repository.Name + "@" + text) : ImageReference.Parse(text);
            }
            catch (FormatException e)
            {
                throw new ImageException(ImageFailure.IndexChildInvalid, text, "'" + text + "' is not an image reference. " + e.Message);
            }
        }
    }
}
