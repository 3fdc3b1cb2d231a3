using System;
using System.Collections;
using System.Globalization;
using System.Management.Automation;
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

        /// <summary>Where to push: [registry[:port]/]name, as docker names repositories (ubuntu is index.docker.io/library/ubuntu).</summary>
        /// <remarks>Second after -Path: Push-StreamLayer app.tar host/app. (A position of its own in the other sets would make the default set take app.tar as the repository.)</remarks>
        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(RegistryCompleter))]
        public string Repository { get; set; }

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

        /// <summary>
        /// The repository, with the image checked and the base's layers in place before any input is read. The base
        /// is read even under -WhatIf (only reads), so that a base that is missing or does not fit is reported.
        /// </summary>
        internal override ILayerDestination OpenDestination()
        {
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
                    Await(_image.PrepareBaseLayersAsync(_client, progress, StopToken), () => progress.WriteTo(this));
                    progress.Complete(this);
                }
            }

            return new RegistryDestination(_client, forImage: _image != null);
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
                        ShouldProcess(_repository.Name, "Write the image config (" + _image.Platform + on + ")");
                        ShouldProcess(_repository.Name, "Write the image manifest");
                        foreach (string tag in Tag)
                        {
                            ShouldProcess(_repository.WithTag(tag).ToString(), "Tag the image");
                        }
                    }

                    return;
                }

                string tags = string.Join(", ", Array.ConvertAll(Tag, t => _repository.WithTag(t).ToString()));
                if (!ShouldProcess(tags, "Write image" + (_image.Base != null ? " on " + _image.Base.Reference : " from scratch")))
                {
                    return;
                }

                var progress = new ImageProgress("Push-StreamLayer to " + _repository + ": the image");
                PushedImage image = Await(_image.PublishAsync(_client, progress, StopToken), () => progress.WriteTo(this));
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

            WriteObject(PushedLayers.Of(layer, _repository));
        }

        protected override void Release()
        {
            base.Release();
            _client?.Dispose();
            _image?.Dispose();
        }

        private static string Layers(int count) => count + (count == 1 ? " layer" : " layers");

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
