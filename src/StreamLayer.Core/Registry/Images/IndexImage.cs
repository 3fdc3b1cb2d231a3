using System;

namespace StreamLayer.Registry.Images
{
    /// <summary>
    /// An image asked for an index: its reference, and the platform its image object names (null: the platform of
    /// its config). Asked for by reference (text) or by an image object, whose Reference and Platform say it all.
    /// </summary>
    internal sealed class IndexImage
    {
        private IndexImage(ImageReference reference, ImagePlatform platform, string inLayout = null)
        {
            Reference = reference;
            Platform = platform;
            InLayout = inLayout;
            Asked = reference?.ToString() ?? inLayout;
        }

        /// <summary>The image in a registry; null for one in the index's OCI layout.</summary>
        public ImageReference Reference { get; }

        /// <summary>For an index written to an OCI layout: the image's digest or name (ref.name) in that layout; null for one in a registry.</summary>
        public string InLayout { get; }

        /// <summary>The image as messages name it.</summary>
        public string Asked { get; }

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

        /// <summary>
        /// An image for an index written to an OCI layout, as text or an image object's Reference and Platform (null:
        /// its config's): a digest, a name index.json gives it, or oci:&lt;that layout&gt;@digest. Anything else names an
        /// image elsewhere, which such an index cannot list (<see cref="ImageFailure.IndexChildUnavailable"/>).
        /// </summary>
        public static IndexImage OfLayout(string text, string platform, string layoutName, object subject)
        {
            if (string.IsNullOrEmpty(text))
            {
                throw new ImageException(ImageFailure.IndexChildInvalid, subject, "Push-ImageIndex takes the image objects of Push-StreamLayer -Tag, or image references; this has no Reference.");
            }

            ImagePlatform parsed = null;
            if (!string.IsNullOrEmpty(platform))
            {
                try
                {
                    parsed = ImagePlatform.Parse(platform);
                }
                catch (FormatException e)
                {
                    throw new ImageException(ImageFailure.IndexPlatformMissing, text, "The image " + text + " has no usable Platform: " + e.Message);
                }
            }

            string inLayout = text.StartsWith(layoutName + "@", StringComparison.Ordinal) ? text.Substring(layoutName.Length + 1) : text;
            bool digest = inLayout.StartsWith("sha256:", StringComparison.Ordinal);
            bool name = !digest && !inLayout.StartsWith("oci:", StringComparison.Ordinal) && IsTag(inLayout);
            if (!digest && !name)
            {
                throw new ImageException(
                    ImageFailure.IndexChildUnavailable,
                    text,
                    "The image " + text + " is not in " + layoutName + "; an index written to an OCI layout lists images of that layout. Write it there with Push-StreamLayer -LayoutPath, or copy it in with skopeo copy <image> " + layoutName + ":<tag>.");
            }

            return new IndexImage(null, parsed, inLayout);
        }

        private static bool IsTag(string text)
        {
            try
            {
                ImageReference.CheckTagNames(new[] { text });
                return true;
            }
            catch (ImageException)
            {
                return false;
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
