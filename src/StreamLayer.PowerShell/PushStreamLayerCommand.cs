using System;
using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using StreamLayer.Registry;
using StreamLayer.Registry.Blobs;
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
    public sealed class PushStreamLayerCommand : LayerCommand, IRegistryParameters
    {
        private ImageReference _repository;
        private RegistryOptions _registryOptions;
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
        public int ChunkSize { get; set; } = 16 << 20;

        [Parameter]
        public SwitchParameter PlainHttp { get; set; }

        [Parameter]
        public SwitchParameter SkipCertificateCheck { get; set; }

        /// <summary>Credentials for the registry. Without it, the logins that docker login and podman login stored are used.</summary>
        [Parameter]
        [Credential]
        public PSCredential Credential { get; set; } = PSCredential.Empty;

        /// <summary>Allows credentials over plain http to a registry or token server that is not on this machine.</summary>
        [Parameter]
        public SwitchParameter AllowUnencryptedAuthentication { get; set; }

        /// <summary>A client certificate (with its private key) for registries that ask for one.</summary>
        [Parameter]
        [ValidateNotNull]
        public X509Certificate2 Certificate { get; set; }

        /// <summary>A folder laid out like certs.d/&lt;host:port&gt;/: *.crt CA certificates, client.cert and client.key.</summary>
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
        public string Platform { get; set; } = "linux/amd64";

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

        internal override string ProgressActivity => "Push-StreamLayer to " + _repository;

        internal override string ProgressVerb => "uploaded";

        internal override object ErrorTarget => _repository?.Name;

        /// <summary>With -Tag, the layers make one image: a failed input stops the push before any image is written.</summary>
        internal override bool AllOrNothing => _image != null;

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            Run(() =>
            {
                _repository = this.ParseRepository("layer");
                _image = Tag != null ? NewImageBuild() : RefuseImageOptions();
                _registryOptions = NewRegistryOptions();
                _client = new RegistryClient(_repository, _registryOptions);
                Messages.WriteTo(this);
                WriteVerbose(string.Format(
                    CultureInfo.InvariantCulture,
                    "Pushing to {0} over {1}, {2} upload{3}",
                    _repository.Name,
                    _client.BaseUri.Scheme,
                    _registryOptions.UploadMode == UploadMode.Stream ? "streamed" : "chunked",
                    _registryOptions.UploadMode == UploadMode.Chunked ? " (" + LayerProgress.FormatBytes(_registryOptions.ChunkSize) + " chunks)" : string.Empty));

                if (_image?.BaseReference != null)
                {
                    // Only reads, so even -WhatIf reports a base that is missing or does not fit.
                    Await(_image.ResolveBaseAsync(_client, _registryOptions, Messages.Verbose, StopToken));
                    if (ShouldProcess(_repository.Name, "Make the base image " + BaseImage + "'s " + Layers(_image.Base.Layers.Count) + " available"))
                    {
                        var progress = new ImageProgress("Push-StreamLayer to " + _repository + ": the base image's layers");
                        Await(_image.PrepareBaseLayersAsync(_client, progress, StopToken), () => progress.WriteTo(this));
                        progress.Complete(this);
                        _image.BaseLayersMadeAvailable();
                    }
                }
            });
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
                        string on = _image.Base != null ? " on " + _image.Base.Reference + ", " + Layers(_image.Base.Layers.Count) : " from scratch";
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
                PublishedImage image = Await(_image.PublishAsync(_client, progress, StopToken), () => progress.WriteTo(this));
                progress.Complete(this);
                WriteObject(PushedImage.From(image, _image.Layers));
            });
        }

        internal override ILayerSink OpenSink(LayerSource source) => new RegistrySink(_client);

        private static string Layers(int count) => count + (count == 1 ? " layer" : " layers");

        /// <summary>Whether this run only says what it would do (-WhatIf, or $WhatIfPreference).</summary>
        private bool IsWhatIf => MyInvocation.BoundParameters.TryGetValue("WhatIf", out object whatIf)
            ? ((SwitchParameter)whatIf).IsPresent
            : LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));

        internal override bool ShouldStart(LayerSource source) =>
            ShouldProcess(source.Description + " to " + _repository.Name, "Push layer");

        internal override void WriteLayer(LayerDigest layer)
        {
            if (_image != null)
            {
                // Written with the image, once it exists.
                _image.Add(layer);
                return;
            }

            WriteObject(new PushedLayer(layer, _repository));
        }

        protected override void Dispose(bool disposing)
        {
            _client?.Dispose();
            _image?.Dispose();
        }

        private RegistryOptions NewRegistryOptions()
        {
            // -ChunkSize alone asks for chunks; with -UploadMode Stream it sizes the chunks of a fallback.
            bool chunked = MyInvocation.BoundParameters.ContainsKey(nameof(UploadMode))
                ? UploadMode == UploadMode.Chunked
                : MyInvocation.BoundParameters.ContainsKey(nameof(ChunkSize));
            RegistryOptions options = this.ToOptions(this, Messages);
            options.UploadMode = chunked ? UploadMode.Chunked : UploadMode.Stream;
            options.ChunkSize = ChunkSize;
            return options;
        }

        /// <summary>Without -Tag there is no image, so the parameters that describe one are mistakes.</summary>
        private ImageBuild RefuseImageOptions()
        {
            foreach (string name in new[] { nameof(BaseImage), nameof(Platform), nameof(Created), nameof(Entrypoint), nameof(Cmd), nameof(Environment), nameof(WorkingDirectory), nameof(User), nameof(Label), nameof(Annotation) })
            {
                if (MyInvocation.BoundParameters.ContainsKey(name))
                {
                    throw CommandFailure.Create(ErrorIds.TagRequired, ErrorCategory.InvalidArgument, name, "-" + name + " describes the image that -Tag writes; give -Tag too.");
                }
            }

            return null;
        }

        /// <summary>With -Tag: the tags, platform, time and base checked before any input is read.</summary>
        private ImageBuild NewImageBuild()
        {
            foreach (string tag in Tag)
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

            ImagePlatform platform;
            try
            {
                platform = ImagePlatform.Parse(Platform);
            }
            catch (FormatException e)
            {
                throw CommandFailure.Create(ErrorIds.InvalidOption, ErrorCategory.InvalidArgument, Platform, e.Message);
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
                    throw CommandFailure.Create(ErrorIds.InvalidBaseImage, ErrorCategory.InvalidArgument, BaseImage, "'" + BaseImage + "' is not an image reference. " + e.Message);
                }
            }

            // A time without a zone is UTC, so the image does not depend on the machine's time zone.
            DateTime created = Created.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(Created, DateTimeKind.Utc) : Created.ToUniversalTime();
            DateTimeOffset? time = MyInvocation.BoundParameters.ContainsKey(nameof(Created)) ? new DateTimeOffset(created, TimeSpan.Zero) : SourceDateEpoch();
            return new ImageBuild(Tag, platform, time, baseReference, NewImageSettings());
        }

        private ImageSettings NewImageSettings()
        {
            var settings = new ImageSettings { Entrypoint = Entrypoint, Cmd = Cmd, WorkingDirectory = WorkingDirectory, User = User };
            KeyValueParameter.CopyTo(Environment, settings.Environment, nameof(Environment), "=");
            KeyValueParameter.CopyTo(Label, settings.Labels, nameof(Label));
            KeyValueParameter.CopyTo(Annotation, settings.Annotations, nameof(Annotation));
            return settings;
        }

        /// <summary>SOURCE_DATE_EPOCH (seconds since 1970, the reproducible-builds convention), when set.</summary>
        private static DateTimeOffset? SourceDateEpoch()
        {
            string value = System.Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
            if (string.IsNullOrEmpty(value))
            {
                return null;
            }

            if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds) || seconds > 253402300799)
            {
                throw CommandFailure.Create(ErrorIds.InvalidOption, ErrorCategory.InvalidArgument, value, "SOURCE_DATE_EPOCH is '" + value + "'; it must be a whole number of seconds since 1970-01-01.");
            }

            return ImageDocument.DefaultCreated.AddSeconds(seconds);
        }
    }
}
