using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
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

        /// <summary>Where to write the index: [registry[:port]/]name; the first positional parameter.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(RegistryCompleter))]
        public string Repository { get; set; }

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
                _repository = ImageReference.ParseRepository(Repository, "index");
                ErrorTarget = _repository.Name;
                _repository.CheckTags(Tag ?? Array.Empty<string>());
                _annotations = NamedValues.Of(KeyValueParameter.ToPairs(Annotation), nameof(Annotation));
                foreach (string image in Image ?? Array.Empty<string>())
                {
                    _images.Add(IndexImage.Named(image, _repository));
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
                using (var client = new RegistryClient(_repository, _registry.ToOptions(this, Messages)))
                using (var writer = new ImageIndexWriter(client))
                {
                    foreach (IndexImage image in _images)
                    {
                        IndexChild read = Await(writer.AddAsync(image, StopToken));
                        WriteVerbose(read.Platform + ": " + read.Asked + " (" + read.Manifest.Digest + (read.InTarget ? string.Empty : ", to be mounted or copied from " + read.Asked.Name) + ")");
                    }

                    writer.ThrowIfEmpty();
                    string tags = Tag == null ? _repository.Name + " (by digest)" : string.Join(", ", Tag.Select(t => _repository.WithTag(t).ToString()));
                    if (!ShouldProcess(tags, "Write image index of " + string.Join(", ", writer.Children.Select(c => c.Platform.ToString()))))
                    {
                        return;
                    }

                    WriteObject(Await(writer.PublishAsync(Tag ?? Array.Empty<string>(), _annotations, StopToken)));
                }
            });
        }

        /// <summary>An image object of Push-StreamLayer (or one deserialized from a job or remote session), or a reference.</summary>
        private IndexImage ImageOf(PSObject input)
        {
            if (input.BaseObject is string text)
            {
                return IndexImage.Named(text, _repository);
            }

            string reference = input.BaseObject is PushedImage image ? image.Reference : input.Properties["Reference"]?.Value as string;
            string platform = input.BaseObject is PushedImage pushed ? pushed.Platform : input.Properties["Platform"]?.Value as string;
            return IndexImage.Of(reference, platform, _repository, input, input.BaseObject.GetType().Name);
        }
    }
}
