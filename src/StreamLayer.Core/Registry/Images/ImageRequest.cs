using System;
using System.Collections.Generic;

namespace StreamLayer.Registry.Images
{
    /// <summary>
    /// An image as a command asks for it, before anything of it is checked: tags, base, platform, time and config
    /// settings, as the user gave them (null for what was not given). <see cref="Check"/> holds every rule of what
    /// may be asked, so a host binds its parameters, hands them over, and reports what comes back.
    /// </summary>
    internal sealed class ImageRequest
    {
        public const string DefaultPlatform = "linux/amd64";

        /// <summary>The tags to write the image under; null for no image at all (the layers alone).</summary>
        public IReadOnlyList<string> Tags { get; set; }

        public string BaseImage { get; set; }

        /// <summary>os/architecture[/variant]; null for <see cref="DefaultPlatform"/>.</summary>
        public string Platform { get; set; }

        /// <summary>The time of the config and its history; a time without a zone is UTC. Null: SOURCE_DATE_EPOCH, else the base's (scratch: 1970).</summary>
        public DateTime? Created { get; set; }

        /// <summary>SOURCE_DATE_EPOCH as the environment has it (null or empty: unset).</summary>
        public string SourceDateEpoch { get; set; }

        public IReadOnlyList<string> Entrypoint { get; set; }

        public IReadOnlyList<string> Cmd { get; set; }

        public string WorkingDirectory { get; set; }

        public string User { get; set; }

        /// <summary>Names and values, a null value removing the name from the base's.</summary>
        public IReadOnlyList<KeyValuePair<string, string>> Environment { get; set; }

        public IReadOnlyList<KeyValuePair<string, string>> Labels { get; set; }

        public IReadOnlyList<KeyValuePair<string, string>> Annotations { get; set; }

        /// <summary>
        /// The image to build around the layers, checked before any input is read; null when no tag was asked for,
        /// in which case nothing else of an image may be given either.
        /// </summary>
        /// <param name="repository">The repository it is written to; null for an OCI image layout.</param>
        public ImageBuild Check(ImageReference repository)
        {
            if (Tags == null)
            {
                RefuseSettingsWithoutTags();
                return null;
            }

            ImageReference.CheckTagNames(Tags);
            ImagePlatform platform;
            try
            {
                platform = ImagePlatform.Parse(Platform ?? DefaultPlatform);
            }
            catch (FormatException e)
            {
                throw new ImageException(ImageFailure.SettingInvalid, Platform, e.Message);
            }

            ImageReference baseReference = null;
            if (BaseImage != null)
            {
                try
                {
                    baseReference = ImageReference.Parse(BaseImage);
                }
                catch (FormatException e)
                {
                    throw new ImageException(ImageFailure.BaseImageReferenceInvalid, BaseImage, "'" + BaseImage + "' is not an image reference. " + e.Message);
                }
            }

            return new ImageBuild(repository, Tags, platform, CreatedTime(), baseReference, Settings());
        }

        private void RefuseSettingsWithoutTags()
        {
            var given = new (string Name, bool Given)[]
            {
                ("BaseImage", BaseImage != null), ("Platform", Platform != null), ("Created", Created != null), ("Entrypoint", Entrypoint != null), ("Cmd", Cmd != null),
                ("Environment", Environment != null), ("WorkingDirectory", WorkingDirectory != null), ("User", User != null), ("Label", Labels != null), ("Annotation", Annotations != null),
            };
            foreach ((string name, bool isGiven) in given)
            {
                if (isGiven)
                {
                    throw new ImageException(ImageFailure.TagRequired, name, "-" + name + " describes the image that -Tag writes; give -Tag too.");
                }
            }
        }

        private DateTimeOffset? CreatedTime()
        {
            if (Created is DateTime created)
            {
                // A time without a zone is UTC, so the image does not depend on the machine's time zone.
                DateTime utc = created.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(created, DateTimeKind.Utc) : created.ToUniversalTime();
                return new DateTimeOffset(utc, TimeSpan.Zero);
            }

            try
            {
                return StreamLayer.SourceDateEpoch.Parse(SourceDateEpoch);
            }
            catch (FormatException e)
            {
                throw new ImageException(ImageFailure.SettingInvalid, SourceDateEpoch, e.Message);
            }
        }

        private ImageSettings Settings()
        {
            var settings = new ImageSettings { Entrypoint = Entrypoint, Cmd = Cmd, WorkingDirectory = WorkingDirectory, User = User };
            for (int i = 0; i < (Entrypoint?.Count ?? 0); i++)
            {
                NamedValues.CheckText(Entrypoint[i] ?? string.Empty, "-Entrypoint's item " + (i + 1), forProcess: true);
            }

            for (int i = 0; i < (Cmd?.Count ?? 0); i++)
            {
                NamedValues.CheckText(Cmd[i] ?? string.Empty, "-Cmd's item " + (i + 1), forProcess: true);
            }

            NamedValues.CheckText(WorkingDirectory ?? string.Empty, "-WorkingDirectory", forProcess: true);
            NamedValues.CheckText(User ?? string.Empty, "-User", forProcess: true);
            NamedValues.CopyTo(Environment, settings.Environment, "Environment", "=", forProcess: true);
            NamedValues.CopyTo(Labels, settings.Labels, "Label");
            NamedValues.CopyTo(Annotations, settings.Annotations, "Annotation");
            NamedValues.CheckAnnotationSize(settings.Annotations, "Annotation");
            return settings;
        }
    }
}
