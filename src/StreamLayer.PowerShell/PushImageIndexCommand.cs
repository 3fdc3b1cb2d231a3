using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using StreamLayer.Registry;
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
    public sealed class PushImageIndexCommand : PSCmdlet, IRegistryParameters, IDisposable
    {
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly List<Child> _children = new List<Child>();
        private readonly HostMessages _messages = new HostMessages();
        private readonly SortedDictionary<string, string> _annotations = new SortedDictionary<string, string>(StringComparer.Ordinal);
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

        [Parameter]
        public SwitchParameter PlainHttp { get; set; }

        [Parameter]
        public SwitchParameter SkipCertificateCheck { get; set; }

        [Parameter]
        [Credential]
        public PSCredential Credential { get; set; } = PSCredential.Empty;

        [Parameter]
        public SwitchParameter AllowUnencryptedAuthentication { get; set; }

        [Parameter]
        [ValidateNotNull]
        public X509Certificate2 Certificate { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string CertificateDirectory { get; set; }

        [Parameter]
        [ValidateRange(0, 100)]
        public int MaximumRetryCount { get; set; } = 4;

        [Parameter]
        [ValidateRange(0, 3600)]
        public int RetryIntervalSec { get; set; } = 1;

        [Parameter]
        [ValidateRange(1, 86400)]
        public int TimeoutSec { get; set; } = 100;

        protected override void BeginProcessing()
        {
            Run(() =>
            {
                _repository = this.ParseRepository("index");
                foreach (string tag in Tag ?? Array.Empty<string>())
                {
                    try
                    {
                        _repository.WithTag(tag);
                    }
                    catch (FormatException e)
                    {
                        throw CommandFailure.Create(ErrorIds.InvalidTag, ErrorCategory.InvalidArgument, tag, e.Message);
                    }
                }

                KeyValueParameter.CopyTo(Annotation, _annotations, nameof(Annotation));
                foreach (string image in Image ?? Array.Empty<string>())
                {
                    _children.Add(new Child(ParseImage(image), null));
                }
            });
        }

        protected override void ProcessRecord()
        {
            Run(() =>
            {
                foreach (PSObject input in InputObject ?? Array.Empty<PSObject>())
                {
                    _children.Add(ChildOf(input));
                }
            });
        }

        protected override void EndProcessing()
        {
            Run(() =>
            {
                RegistryOptions options = this.ToOptions(this, _messages);
                using (var client = new RegistryClient(_repository, options))
                using (var writer = new ImageIndexWriter(client, options))
                {
                    foreach (Child child in _children)
                    {
                        IndexChild read = _messages.Await(this, writer.AddAsync(child.Reference, child.Platform, _stop.Token), stop: _stop.Token);
                        WriteVerbose(read.Platform + ": " + read.Asked + " (" + read.Manifest.Digest + (read.InTarget ? string.Empty : ", to be mounted or copied from " + read.Asked.Name) + ")");
                    }

                    writer.ThrowIfEmpty();
                    string tags = Tag == null ? _repository.Name + " (by digest)" : string.Join(", ", Tag.Select(t => _repository.WithTag(t).ToString()));
                    if (!ShouldProcess(tags, "Write image index of " + string.Join(", ", writer.Children.Select(c => c.Platform.ToString()))))
                    {
                        return;
                    }

                    WriteObject(_messages.Await(this, writer.PublishAsync(Tag ?? Array.Empty<string>(), _annotations, _stop.Token), stop: _stop.Token));
                }
            });
        }

        protected override void StopProcessing() => _stop.Cancel();

        public void Dispose() => _stop.Dispose();

        /// <summary>An image object of Push-StreamLayer (or one deserialized from a job or remote session), or a reference.</summary>
        private Child ChildOf(PSObject input)
        {
            if (input.BaseObject is string text)
            {
                return new Child(ParseImage(text), null);
            }

            string reference = input.BaseObject is PushedImage image ? image.Reference : input.Properties["Reference"]?.Value as string;
            if (string.IsNullOrEmpty(reference))
            {
                throw CommandFailure.Create(
                    ImageFailure.IndexChildInvalid.ToString(),
                    ErrorCategory.InvalidArgument,
                    input,
                    "Push-ImageIndex takes the image objects of Push-StreamLayer -Tag, or image references; a " + input.BaseObject.GetType().Name + " with no Reference is neither.");
            }

            string platform = input.BaseObject is PushedImage pushed ? pushed.Platform : input.Properties["Platform"]?.Value as string;
            if (string.IsNullOrEmpty(platform))
            {
                throw CommandFailure.Create(
                    ImageFailure.IndexPlatformMissing.ToString(),
                    ErrorCategory.InvalidData,
                    reference,
                    "The image " + reference + " has no Platform, so it cannot serve a platform in an index. Push it with -Platform, or name it with -Image to take the platform from its config.");
            }

            try
            {
                return new Child(ParseImage(reference), ImagePlatform.Parse(platform));
            }
            catch (FormatException e)
            {
                throw CommandFailure.Create(ImageFailure.IndexPlatformMissing.ToString(), ErrorCategory.InvalidData, reference, "The image " + reference + " has no usable Platform: " + e.Message);
            }
        }

        /// <summary>A reference as written, or a bare digest in -Repository.</summary>
        private ImageReference ParseImage(string text)
        {
            try
            {
                return text.StartsWith("sha256:", StringComparison.Ordinal) ? ImageReference.Parse(_repository.Name + "@" + text) : ImageReference.Parse(text);
            }
            catch (FormatException e)
            {
                throw CommandFailure.Create(ImageFailure.IndexChildInvalid.ToString(), ErrorCategory.InvalidArgument, text, "'" + text + "' is not an image reference. " + e.Message);
            }
        }

        private void Run(Action step)
        {
            try
            {
                step();
            }
            catch (Exception e) when (!(e is PipelineStoppedException) && !(e is ParameterBindingException))
            {
                _messages.WriteTo(this);
                if (Stopping || e is OperationCanceledException)
                {
                    throw new PipelineStoppedException();
                }

                ThrowTerminatingError(ErrorRecords.For(e, _repository?.Name));
            }
        }

        /// <summary>An image asked for: its reference, and the platform its image object names (null: from its config).</summary>
        private readonly struct Child
        {
            public Child(ImageReference reference, ImagePlatform platform)
            {
                Reference = reference;
                Platform = platform;
            }

            public ImageReference Reference { get; }

            public ImagePlatform Platform { get; }
        }
    }
}
