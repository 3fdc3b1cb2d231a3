using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using StreamLayer.Layouts;
using StreamLayer.Registry;
using StreamLayer.Registry.Client;
using StreamLayer.Registry.Images;

namespace StreamLayer.Commands
{
    /// <summary>
    /// Writes an image index (a multi-platform tag) of images that Push-StreamLayer -Tag wrote, or of images named
    /// by reference. Every image is read and checked before anything is written; images in other repositories
    /// are mounted or copied into -Repository.
    /// </summary>
    [Cmdlet(VerbsCommon.Push, "ImageIndex", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(PushedImageIndex))]
    public sealed class PushImageIndexCommand : StreamLayerCommand, IDynamicParameters
    {
        private readonly RegistryParameters _registry = new RegistryParameters();
        private readonly List<IndexImage> _images = new List<IndexImage>();
        private SortedDictionary<string, string> _annotations;
        private ImageReference _repository;
        private ImageLayout _layout;

        /// <summary>Where to write the index: [registry[:port]/]name; the first positional parameter. This or -LayoutPath.</summary>
        [Parameter(Position = 0)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(RegistryCompleter))]
        public string Repository { get; set; }

        /// <summary>An OCI image layout to write the index to instead of a registry, whose images it lists; as Push-StreamLayer -LayoutPath.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string LayoutPath { get; set; }

        /// <summary>The tags of the index; without any, the index is written by its digest only.</summary>
        [Parameter]
        [TagTransformation]
        [ValidateNotNullOrEmpty]
        public string[] Tag { get; set; }

        /// <summary>The image objects of Push-StreamLayer -Tag (or image references as strings).</summary>
        [Parameter(ValueFromPipeline = true)]
        [ValidateNotNull]
        public PSObject[] InputObject { get; set; }

        /// <summary>Images by reference: registry/repository@sha256:…, registry/repository:tag, or a digest in -Repository.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[] Image { get; set; }

        /// <summary>Annotations of the index; they make it an OCI index.</summary>
        [Parameter]
        [ValidateNotNull]
        public Hashtable Annotation { get; set; }

        /// <summary>The registry's connection parameters (-Credential, -TimeoutSec, ...), declared once for both push commands.</summary>
        public object GetDynamicParameters() => _registry;

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            Run(() =>
            {
                if (LayoutPath != null)
                {
                    if (Repository != null)
                    {
                        throw new ImageException(ImageFailure.DestinationConflict, Repository, "-Repository and -LayoutPath are two places to write to; give one of them.");
                    }

                    _layout = ImageLayout.Open(GetUnresolvedProviderPathFromPSPath(LayoutPath), create: false);
                    ErrorTarget = _layout.Name;
                    ImageReference.CheckTagNames(Tag ?? Array.Empty<string>());
                }
                else
                {
                    if (Repository == null)
                    {
                        throw new ImageException(ImageFailure.DestinationConflict, "Give -Repository (a registry's repository) or -LayoutPath (an OCI image layout on disk): where the index goes.");
                    }

                    _repository = ImageReference.ParseRepository(Repository, "index");
                    ErrorTarget = _repository.Name;
                    _repository.CheckTags(Tag ?? Array.Empty<string>());
                }

                _annotations = NamedValues.Of(KeyValueParameter.ToPairs(Annotation), nameof(Annotation));
                foreach (string image in Image ?? Array.Empty<string>())
                {
                    _images.Add(_layout != null ? IndexImage.OfLayout(image, null, _layout.Name, image) : IndexImage.Named(image, _repository));
                }
            });
        }

        protected override void ProcessRecord()
        {
            Run(() =>
            {
                foreach (PSObject input in InputObject ?? Array.Empty<PSObject>())
                {
                    _images.Add(ImageOf(input));
                }
            });
        }

        protected override void EndProcessing()
        {
            Run(() =>
            {
                if (_layout != null)
                {
                    using (var writer = new ImageIndexWriter(new LayoutImageTarget(_layout, Messages.Verbose)))
                    {
                        Write(writer, _layout.Name, t => _layout.Name + ":" + t);
                    }

                    return;
                }

                using (var client = new RegistryClient(_repository, _registry.ToOptions(this, Messages)))
                using (var writer = new ImageIndexWriter(client))
                {
                    Write(writer, _repository.Name, t => _repository.WithTag(t).ToString());
                }
            });
        }

        /// <summary>Reads and checks every image, then (unless -WhatIf) writes the index and its tags.</summary>
        private void Write(ImageIndexWriter writer, string name, Func<string, string> tagName)
        {
            foreach (IndexImage image in _images)
            {
                IndexChild read = Await(writer.AddAsync(image, StopToken));
                WriteVerbose(read.Platform + ": " + read.Asked + " (" + read.Manifest.Digest + (read.InTarget ? string.Empty : ", to be mounted or copied from " + read.Source.Repository.Name) + ")");
            }

            writer.ThrowIfEmpty();
            string tags = Tag == null ? name + " (by digest)" : string.Join(", ", Tag.Select(tagName));
            if (!ShouldProcess(tags, "Write image index of " + string.Join(", ", writer.Children.Select(c => c.Platform.ToString()))))
            {
                return;
            }

            WriteObject(Await(writer.PublishAsync(Tag ?? Array.Empty<string>(), _annotations, StopToken)));
        }

        /// <summary>An image object of Push-StreamLayer (or one deserialized from a job or remote session), or a reference.</summary>
        private IndexImage ImageOf(PSObject input)
        {
            if (input.BaseObject is string text)
            {
                return _layout != null ? IndexImage.OfLayout(text, null, _layout.Name, text) : IndexImage.Named(text, _repository);
            }

            string reference = input.BaseObject is PushedImage image ? image.Reference : input.Properties["Reference"]?.Value as string;
            string platform = input.BaseObject is PushedImage pushed ? pushed.Platform : input.Properties["Platform"]?.Value as string;
            return _layout != null
                ? IndexImage.OfLayout(reference, platform, _layout.Name, input)
                : IndexImage.Of(reference, platform, _repository, input, input.BaseObject.GetType().Name);
        }
    }
}
