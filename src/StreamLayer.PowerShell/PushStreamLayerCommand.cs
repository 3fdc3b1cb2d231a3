using System;
using System.Collections;
using System.Globalization;
using System.Management.Automation;
using StreamLayer.Layouts;
using StreamLayer.Registry;
using StreamLayer.Registry.Blobs;
using StreamLayer.Registry.Client;
using StreamLayer.Registry.Images;

namespace StreamLayer.Commands
{
    /// <summary>
    /// Computes a layer exactly as Get-LayerDigest does and uploads its compressed bytes to a registry while the
    /// input is still being read: no temporary file, no whole-layer buffer. With -Tag, also writes an image and
    /// outputs it instead of the layers.
    /// </summary>
    [Cmdlet(VerbsCommon.Push, "StreamLayer", DefaultParameterSetName = InputObjectSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(PushedLayer), typeof(PushedImage))]
    public sealed class PushStreamLayerCommand : LayerCommand, IDynamicParameters
    {
        private readonly RegistryParameters _registry = new RegistryParameters();
        private ImageReference _repository;
        private RegistryClient _client;
        private ImageBuild _image;
        private IImageTarget _target;
        private LayoutDestination _layout;

        /// <summary>Where to push: [registry[:port]/]name, as docker names repositories (ubuntu is index.docker.io/library/ubuntu).</summary>
        /// <remarks>
        /// Second after -Path: Push-StreamLayer app.tar host/app. (A position of its own in the other sets would make the default set take app.tar as the repository.)
        /// Not mandatory, as -LayoutPath is the other place to write to; one of the two is (a parameter set each would double every input set).
        /// </remarks>
        [Parameter(Position = 1)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(RegistryCompleter))]
        public string Repository { get; set; }

        /// <summary>
        /// An OCI image layout (a folder: oci-layout, index.json, blobs/sha256) to write to instead of a registry. A path
        /// as -OutFile takes one: relative to the current location, no wildcards; a new or empty folder becomes a layout.
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string LayoutPath { get; set; }

        [Parameter]
        public UploadMode UploadMode { get; set; }

        /// <summary>Bytes per PATCH request in chunked mode; giving it implies -UploadMode Chunked.</summary>
        [Parameter]
        [ValidateRange(1024, int.MaxValue)]
        public int ChunkSize { get; set; } = RegistryOptions.DefaultChunkSize;

        /// <summary>Also writes an image of the pushed layer(s) under these tags.</summary>
        [Parameter]
        [TagTransformation]
        [ValidateNotNullOrEmpty]
        public string[] Tag { get; set; }

        /// <summary>The image the layer is appended to (with -Tag); without it the image starts from scratch.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(RegistryCompleter))]
        public string BaseImage { get; set; }

        /// <summary>os/architecture[/variant] of the image; picks the base's entry when the base is an index.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(PlatformCompleter))]
        public string Platform { get; set; } = ImageRequest.DefaultPlatform;

        /// <summary>The time written into the image's config and history; else SOURCE_DATE_EPOCH; else the base's (scratch: 1970-01-01).</summary>
        [Parameter]
        public DateTime Created { get; set; }

        /// <summary>The image's Entrypoint; without -Cmd it also clears the base's Cmd, as docker does. An empty array clears it.</summary>
        [Parameter]
        [AllowEmptyCollection]
        [ValidateNotNull]
        public string[] Entrypoint { get; set; }

        /// <summary>The image's Cmd: the arguments of the entrypoint, or the command when there is none. An empty array clears it.</summary>
        [Parameter]
        [AllowEmptyCollection]
        [ValidateNotNull]
        public string[] Cmd { get; set; }

        /// <summary>Environment variables merged into the base's Env (a $null value removes one), as Start-Process -Environment takes them.</summary>
        [Parameter]
        [ValidateNotNull]
        public Hashtable Environment { get; set; }

        /// <summary>The image's WorkingDir.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string WorkingDirectory { get; set; }

        /// <summary>The image's User: a name or uid, with an optional :group or :gid.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string User { get; set; }

        /// <summary>Labels merged into the base's config Labels (a $null value removes one).</summary>
        [Parameter]
        [ValidateNotNull]
        public Hashtable Label { get; set; }

        /// <summary>Annotations merged into the base manifest's (a $null value removes one); they make a scratch image OCI.</summary>
        [Parameter]
        [ValidateNotNull]
        public Hashtable Annotation { get; set; }

        /// <summary>The registry's connection parameters (-Credential, -TimeoutSec, ...), declared once for both push commands.</summary>
        public object GetDynamicParameters() => _registry;

        /// <summary>An OCI layout's layers are OCI's (umoci reads no other); a registry's gzip layers are Docker's, as docker pushes them.</summary>
        internal override LayerMediaType? DefaultMediaType => LayoutPath != null ? LayerMediaType.Oci : (LayerMediaType?)null;

        /// <summary>
        /// The repository, with the image checked and the base's layers in place before any input is read. The base
        /// is read even under -WhatIf (only reads), so that a base that is missing or does not fit is reported.
        /// </summary>
        internal override ILayerDestination OpenDestination()
        {
            if (LayoutPath != null)
            {
                return OpenLayout();
            }

            if (Repository == null)
            {
                throw new ImageException(ImageFailure.DestinationConflict, "Give -Repository (a registry's repository) or -LayoutPath (an OCI image layout on disk): where the layers go.");
            }

            _repository = ImageReference.ParseRepository(Repository, "layer");
            ErrorTarget = _repository.Name;
            _image = NewImageRequest().Check(_repository);
            RegistryOptions options = _registry.ToOptions(this, Messages);
            if (Bound(nameof(UploadMode)))
            {
                options.UploadMode = UploadMode;
            }

            if (Bound(nameof(ChunkSize)))
            {
                options.ChunkSize = ChunkSize;
            }

            _client = new RegistryClient(_repository, options);
            _target = new RepositoryTarget(_client);
            Messages.WriteTo(this);
            WriteVerbose(string.Format(
                CultureInfo.InvariantCulture,
                "Pushing to {0} over {1}, {2} upload{3}",
                _repository.Name,
                _client.BaseUri.Scheme,
                options.EffectiveUploadMode == UploadMode.Stream ? "streamed" : "chunked",
                options.EffectiveUploadMode == UploadMode.Chunked ? " (" + LayerProgress.FormatBytes(options.EffectiveChunkSize) + " chunks)" : string.Empty));

            if (_image?.BaseReference != null)
            {
                Await(_image.ResolveBaseAsync(_client, StopToken));
                if (ShouldProcess(_repository.Name, "Make the base image " + BaseImage + "'s " + Layers(_image.BaseLayerCount) + " available"))
                {
                    var progress = new ImageProgress("Push-StreamLayer to " + _repository + ": the base image's layers");
                    Await(_image.PrepareBaseLayersAsync(_target, progress, StopToken), () => progress.WriteTo(this));
                    progress.Complete(this);
                }
            }

            return new RegistryDestination(_client, forImage: _image != null);
        }

        /// <summary>
        /// The OCI image layout, checked (or made) and with the base's layers copied into it before any input is read.
        /// Under -WhatIf a new layout is not made. The registry parameters are the base image's registry's then.
        /// </summary>
        private ILayerDestination OpenLayout()
        {
            if (Repository != null)
            {
                throw new ImageException(ImageFailure.DestinationConflict, Repository, "-Repository and -LayoutPath are two places to write to; give one of them.");
            }

            foreach (string upload in new[] { nameof(UploadMode), nameof(ChunkSize) })
            {
                if (Bound(upload))
                {
                    throw new ImageException(ImageFailure.DestinationConflict, upload, "-" + upload + " says how to upload to a registry; -LayoutPath writes to disk. Leave out -" + upload + ".");
                }
            }

            _image = NewImageRequest().Check(null);
            ImageLayout layout = ImageLayout.Open(GetUnresolvedProviderPathFromPSPath(LayoutPath), create: !IsWhatIf);
            ErrorTarget = layout.Name;
            _target = new LayoutImageTarget(layout, Messages.Verbose);
            WriteVerbose("Writing to the OCI image layout " + layout.Root);
            if (_image?.BaseReference != null)
            {
                Await(_image.ResolveBaseAsync(_registry.ToOptions(this, Messages), StopToken));
                Messages.WriteTo(this);
                if (ShouldProcess(layout.Name, "Copy the base image " + BaseImage + "'s " + Layers(_image.BaseLayerCount) + " into the layout"))
                {
                    var progress = new ImageProgress("Push-StreamLayer to " + layout.Name + ": the base image's layers");
                    Await(_image.PrepareBaseLayersAsync(_target, progress, StopToken), () => progress.WriteTo(this));
                    progress.Complete(this);
                }
            }

            return _layout = new LayoutDestination(layout, forImage: _image != null);
        }

        protected override void EndProcessing()
        {
            base.EndProcessing();
            Run(() =>
            {
                if (_image == null)
                {
                    return;
                }

                // Under -WhatIf nothing was pushed, so say what the image would be written as.
                if (!_image.IsReady)
                {
                    if (IsWhatIf)
                    {
                        string on = _image.Base != null ? " on " + _image.Base.Reference + ", " + Layers(_image.BaseLayerCount) : " from scratch";
                        ShouldProcess(_target.Name, "Write the image config (" + _image.Platform + on + ")");
                        ShouldProcess(_target.Name, "Write the image manifest");
                        foreach (string tag in Tag)
                        {
                            ShouldProcess(TagName(tag), "Tag the image");
                        }
                    }

                    return;
                }

                string tags = string.Join(", ", Array.ConvertAll(Tag, TagName));
                if (!ShouldProcess(tags, "Write image" + (_image.Base != null ? " on " + _image.Base.Reference : " from scratch")))
                {
                    return;
                }

                var progress = new ImageProgress("Push-StreamLayer to " + _target.Name + ": the image");
                PushedImage image = Await(_image.PublishAsync(_target, progress, StopToken), () => progress.WriteTo(this));
                progress.Complete(this);
                WriteObject(image);
            });
        }

        internal override void WriteLayer(LayerDigest layer)
        {
            if (_image != null)
            {
                // Written with the image, once it exists.
                _image.Add(layer);
                return;
            }

            WriteObject(_layout != null ? _layout.PushedLayerOf(layer) : PushedLayers.Of(layer, _repository));
        }

        protected override void Release()
        {
            base.Release();
            _client?.Dispose();
            _image?.Dispose();
        }

        private static string Layers(int count) => count + (count == 1 ? " layer" : " layers");

        /// <summary>A tag as users name it there: registry/repository:tag, or oci:&lt;path&gt;:tag as skopeo takes it.</summary>
        private string TagName(string tag) => _layout != null ? _layout.Layout.Name + ":" + tag : _repository.WithTag(tag).ToString();

        private bool Bound(string parameter) => MyInvocation.BoundParameters.ContainsKey(parameter);

        /// <summary>Whether this run only says what it would do (-WhatIf, or $WhatIfPreference).</summary>
        private bool IsWhatIf => MyInvocation.BoundParameters.TryGetValue("WhatIf", out object whatIf)
            ? ((SwitchParameter)whatIf).IsPresent
            : LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));

        /// <summary>The image parameters as given (null where not given), for the core to check.</summary>
        private ImageRequest NewImageRequest() => new ImageRequest
        {
            Tags = Tag,
            BaseImage = BaseImage,
            Platform = Bound(nameof(Platform)) ? Platform : null,
            Created = Bound(nameof(Created)) ? Created : (DateTime?)null,
            // A folder layer's -SourceDateEpoch is the image's time too, so that the two agree.
            SourceDateEpoch = Bound(nameof(SourceDateEpoch)) ? SourceDateEpoch.ToString(CultureInfo.InvariantCulture) : StreamLayer.SourceDateEpoch.FromEnvironment(),
            Entrypoint = Entrypoint,
            Cmd = Cmd,
            WorkingDirectory = WorkingDirectory,
            User = User,
            Environment = KeyValueParameter.ToPairs(Environment),
            Labels = KeyValueParameter.ToPairs(Label),
            Annotations = KeyValueParameter.ToPairs(Annotation),
        };
    }
}
