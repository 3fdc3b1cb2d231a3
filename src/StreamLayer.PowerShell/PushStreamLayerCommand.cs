using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry;
using StreamLayer.Registry.Auth;
using StreamLayer.Registry.Blobs;
using StreamLayer.Registry.Images;

namespace StreamLayer.Commands
{
    /// <summary>
    /// Computes a layer exactly as Get-LayerDigest does and uploads its compressed bytes to a registry while the
    /// input is still being read: no temporary file, no whole-layer buffer.
    /// </summary>
    [Cmdlet(VerbsCommon.Push, "StreamLayer", DefaultParameterSetName = InputObjectSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(PushedLayer))]
    public sealed class PushStreamLayerCommand : LayerCommand
    {
        private readonly ConcurrentQueue<string> _httpLog = new ConcurrentQueue<string>();
        private readonly List<LayerDigest> _imageLayers = new List<LayerDigest>();
        private ImageReference _repository;
        private RegistryOptions _registryOptions;
        private RegistryClient _client;
        private RegistrySink _upload;

        // With -Tag: the image the layers are appended to.
        private bool _writeImage;
        private ImagePlatform _platform;
        private DateTimeOffset? _created;
        private RegistryClient _baseClient;
        private BaseImage _baseImage;

        /// <summary>Where to push: [registry[:port]/]name, as docker names repositories (ubuntu is index.docker.io/library/ubuntu).</summary>
        [Parameter(Mandatory = true)]
        [ValidateNotNullOrEmpty]
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
        public string BaseImage { get; set; }

        /// <summary>os/architecture[/variant] of the image; picks the base's entry when the base is an index.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Platform { get; set; } = "linux/amd64";

        /// <summary>The time written into the image's config and history; else SOURCE_DATE_EPOCH; else the base's (scratch: 1970-01-01).</summary>
        [Parameter]
        public DateTime Created { get; set; }

        protected override string ProgressActivity => "Push-StreamLayer to " + _repository;

        protected override void BeginLayers()
        {
            try
            {
                _repository = ImageReference.Parse(Repository);
            }
            catch (FormatException e)
            {
                throw InvalidRepository(e.Message);
            }

            if (_repository.Tag != null || _repository.Digest != null)
            {
                throw InvalidRepository("-Repository names a repository, without a tag or digest; the layer's digest is its name in the repository.");
            }

            // -ChunkSize alone asks for chunks; with -UploadMode Stream it sizes the chunks of a fallback.
            CheckImageOptions();

            bool chunked = MyInvocation.BoundParameters.ContainsKey(nameof(UploadMode))
                ? UploadMode == UploadMode.Chunked
                : MyInvocation.BoundParameters.ContainsKey(nameof(ChunkSize));
            var options = new RegistryOptions
            {
                PlainHttp = PlainHttp,
                SkipCertificateCheck = SkipCertificateCheck,
                MaximumRetryCount = MaximumRetryCount,
                RetryInterval = TimeSpan.FromSeconds(RetryIntervalSec),
                Timeout = TimeSpan.FromSeconds(TimeoutSec),
                UploadMode = chunked ? UploadMode.Chunked : UploadMode.Stream,
                ChunkSize = ChunkSize,
                Log = _httpLog.Enqueue,
                AllowUnencryptedAuthentication = AllowUnencryptedAuthentication,
                ClientCertificate = Certificate,
                CertificateDirectory = CertificateDirectory == null ? null : GetUnresolvedProviderPathFromPSPath(CertificateDirectory),
            };
            _registryOptions = options;

            // -Credential wins; otherwise the registry's challenge makes the core look in docker's and podman's files.
            if (Credential != null && Credential != PSCredential.Empty)
            {
                options.Credential = RegistryCredential.FromPassword(Credential.UserName, Credential.GetNetworkCredential().Password, "-Credential");
            }
            else
            {
                options.CredentialSource = new DockerCredentialStore(options.Timeout, _httpLog.Enqueue);
            }

            _client = new RegistryClient(_repository, options);
            OnPipelineThread();
            WriteVerbose(string.Format(
                CultureInfo.InvariantCulture,
                "Pushing to {0} over {1}, {2} upload{3}",
                _repository.Name,
                _client.BaseUri.Scheme,
                options.UploadMode == UploadMode.Stream ? "streamed" : "chunked",
                options.UploadMode == UploadMode.Chunked ? " (" + FormatBytes(options.ChunkSize) + " chunks)" : string.Empty));

            if (_writeImage && BaseImage != null && ShouldProcess(BaseImage, "Read the base image and make its layers available in " + _repository.Name))
            {
                PrepareBaseImage();
            }
        }

        protected override void EndLayers()
        {
            // Nothing to write when no layer was pushed, or the base was declined (-WhatIf, -Confirm).
            if (!_writeImage || _imageLayers.Count == 0 || (BaseImage != null && _baseImage == null))
            {
                return;
            }

            string tags = string.Join(", ", Array.ConvertAll(Tag, t => _repository.WithTag(t).ToString()));
            if (!ShouldProcess(tags, "Write image" + (_baseImage != null ? " on " + _baseImage.Reference : " from scratch")))
            {
                return;
            }

            Task<PublishedImage> publishing = ImagePublisher.PublishAsync(_client, _baseImage, _platform, _imageLayers, Tag, _created, StopToken);
            WaitFor(publishing);
            PublishedImage image = publishing.Result;
            int first = image.Layers.Count - _imageLayers.Count;
            for (int i = 0; i < _imageLayers.Count; i++)
            {
                WriteObject(new PushedLayer(_imageLayers[i], _repository, image, image.Layers[first + i]["mediaType"]?.AsString));
            }
        }

        protected override bool ShouldStartLayer(string source) =>
            ShouldProcess(source + " to " + _repository.Name, "Push layer");

        /// <summary>With -Tag: checks the tags, platform and time, and reads the base image before any input is read.</summary>
        private void CheckImageOptions()
        {
            var bound = MyInvocation.BoundParameters;
            _writeImage = Tag != null;
            if (!_writeImage)
            {
                foreach (string name in new[] { nameof(BaseImage), nameof(Platform), nameof(Created) })
                {
                    if (bound.ContainsKey(name))
                    {
                        throw CommandFailure.Create(ErrorIds.TagRequired, ErrorCategory.InvalidArgument, name, "-" + name + " describes the image that -Tag writes; give -Tag too.");
                    }
                }

                return;
            }

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

            try
            {
                _platform = ImagePlatform.Parse(Platform);
            }
            catch (FormatException e)
            {
                throw CommandFailure.Create(ErrorIds.InvalidOption, ErrorCategory.InvalidArgument, Platform, e.Message);
            }

            // A time without a zone is UTC, so the image does not depend on the machine's time zone.
            DateTime created = Created.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(Created, DateTimeKind.Utc) : Created.ToUniversalTime();
            _created = bound.ContainsKey(nameof(Created)) ? new DateTimeOffset(created, TimeSpan.Zero) : SourceDateEpoch();
        }

        /// <summary>SOURCE_DATE_EPOCH (seconds since 1970, the reproducible-builds convention), when set.</summary>
        private static DateTimeOffset? SourceDateEpoch()
        {
            string value = Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
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

        /// <summary>Reads the base image and makes its layers available in the target repository.</summary>
        private void PrepareBaseImage()
        {
            ImageReference reference;
            try
            {
                reference = ImageReference.Parse(BaseImage);
            }
            catch (FormatException e)
            {
                throw CommandFailure.Create(ErrorIds.InvalidBaseImage, ErrorCategory.InvalidArgument, BaseImage, "'" + BaseImage + "' is not an image reference. " + e.Message);
            }

            // -Credential and the certificate parameters are for -Repository's registry; a base elsewhere uses the stores.
            bool sameRegistry = string.Equals(reference.Registry, _repository.Registry, StringComparison.OrdinalIgnoreCase);
            _baseClient = new RegistryClient(ImageReference.Parse(reference.Name), sameRegistry ? _registryOptions : _registryOptions.ForOtherRegistry())
            {
                RepositoryActions = "pull",
            };
            Task<BaseImage> resolving = StreamLayer.Registry.Images.BaseImage.ResolveAsync(_baseClient, reference, _platform, StopToken);
            WaitFor(resolving);
            _baseImage = resolving.Result;
            WriteVerbose("Base image " + reference + ": " + _baseImage.ManifestDigest + " (" + _baseImage.ManifestMediaType + ", " + _baseImage.Layers.Count + " layers)");
            WaitFor(ImagePublisher.PrepareBaseLayersAsync(_baseClient, _client, _baseImage, StopToken));
        }

        internal override ILayerSink CreateSink(string path)
        {
            var upload = new RegistrySink(_client);
            _upload = upload;
            return upload;
        }

        protected override object CreateOutput(LayerDigest layer)
        {
            if (_writeImage)
            {
                // Written with the image, once it exists.
                _imageLayers.Add(layer);
                return null;
            }

            return new PushedLayer(layer, _repository);
        }

        protected override string ProgressStatus(LayerEncoder input, double seconds) =>
            string.Format(
                CultureInfo.CurrentCulture,
                "{0} read, {1} uploaded, {2}/s",
                FormatBytes(input.BytesIn),
                FormatBytes(_upload?.BytesUploaded ?? 0),
                FormatBytes(seconds > 0 ? (long)(input.BytesIn / seconds) : 0));

        protected override void OnPipelineThread()
        {
            while (_httpLog.TryDequeue(out string line))
            {
                WriteVerbose(line);
            }
        }

        protected override ErrorRecord ToErrorRecord(Exception error)
        {
            if (error is ImageException image)
            {
                OnPipelineThread();
                return new ErrorRecord(image, image.Failure.ToString(), ImageCategoryFor(image.Failure), BaseImage ?? _repository?.Name);
            }

            if (error is RegistryException registry)
            {
                OnPipelineThread();
                return new ErrorRecord(registry, ErrorIdFor(registry.Failure), CategoryFor(registry.Failure), _repository?.Name);
            }

            if (error is AggregateException aggregate && aggregate.InnerExceptions.Count == 1)
            {
                return ToErrorRecord(aggregate.InnerException);
            }

            return base.ToErrorRecord(error);
        }

        protected override void DisposeResources()
        {
            _client?.Dispose();
            _baseClient?.Dispose();
        }

        private static ErrorCategory ImageCategoryFor(ImageFailure failure)
        {
            switch (failure)
            {
                case ImageFailure.BaseImageNotFound:
                case ImageFailure.PlatformNotFound:
                    return ErrorCategory.ObjectNotFound;
                case ImageFailure.BaseImageInvalid:
                    return ErrorCategory.InvalidData;
                default:
                    return ErrorCategory.InvalidOperation;
            }
        }

        private CommandFailure InvalidRepository(string why) => CommandFailure.Create(
            ErrorIds.InvalidRepository,
            ErrorCategory.InvalidArgument,
            Repository,
            "'" + Repository + "' is not a repository name. " + why + " Examples: localhost:5000/stream, registry.example.com/team/app, ubuntu.");

        private static string ErrorIdFor(RegistryFailure failure)
        {
            switch (failure)
            {
                case RegistryFailure.Unauthorized: return ErrorIds.RegistryUnauthorized;
                case RegistryFailure.Denied: return ErrorIds.RegistryDenied;
                case RegistryFailure.NameUnknown: return ErrorIds.RegistryNameUnknown;
                case RegistryFailure.NameInvalid: return ErrorIds.RegistryNameInvalid;
                case RegistryFailure.BlobRejected: return ErrorIds.RegistryBlobRejected;
                case RegistryFailure.Unsupported: return ErrorIds.RegistryUnsupported;
                case RegistryFailure.TooManyRequests: return ErrorIds.RegistryTooManyRequests;
                case RegistryFailure.Unavailable: return ErrorIds.RegistryUnavailable;
                case RegistryFailure.Timeout: return ErrorIds.RegistryTimeout;
                case RegistryFailure.ProtocolError: return ErrorIds.RegistryProtocolError;
                case RegistryFailure.ConnectionFailed: return ErrorIds.RegistryConnectionFailed;
                case RegistryFailure.AuthenticationFailed: return ErrorIds.RegistryAuthenticationFailed;
                case RegistryFailure.TokenRealmUnreachable: return ErrorIds.RegistryTokenRealmUnreachable;
                case RegistryFailure.ChallengeInvalid: return ErrorIds.RegistryChallengeInvalid;
                case RegistryFailure.UnencryptedAuthentication: return ErrorIds.UnencryptedAuthenticationRefused;
                case RegistryFailure.CredentialFileInvalid: return ErrorIds.CredentialFileInvalid;
                case RegistryFailure.CredentialHelperNotFound: return ErrorIds.CredentialHelperNotFound;
                case RegistryFailure.CredentialHelperFailed: return ErrorIds.CredentialHelperFailed;
                case RegistryFailure.CertificateUntrusted: return ErrorIds.RegistryCertificateUntrusted;
                case RegistryFailure.CertificateInvalid: return ErrorIds.CertificateInvalid;
                default: return ErrorIds.RegistryRejected;
            }
        }

        private static ErrorCategory CategoryFor(RegistryFailure failure)
        {
            switch (failure)
            {
                case RegistryFailure.Unauthorized: return ErrorCategory.AuthenticationError;
                case RegistryFailure.Denied: return ErrorCategory.PermissionDenied;
                case RegistryFailure.NameUnknown: return ErrorCategory.ObjectNotFound;
                case RegistryFailure.NameInvalid: return ErrorCategory.InvalidArgument;
                case RegistryFailure.BlobRejected: return ErrorCategory.InvalidData;
                case RegistryFailure.Unsupported: return ErrorCategory.NotImplemented;
                case RegistryFailure.TooManyRequests: return ErrorCategory.LimitsExceeded;
                case RegistryFailure.Unavailable: return ErrorCategory.ResourceUnavailable;
                case RegistryFailure.Timeout: return ErrorCategory.OperationTimeout;
                case RegistryFailure.ProtocolError: return ErrorCategory.ProtocolError;
                case RegistryFailure.ConnectionFailed: return ErrorCategory.ConnectionError;
                case RegistryFailure.AuthenticationFailed: return ErrorCategory.AuthenticationError;
                case RegistryFailure.TokenRealmUnreachable: return ErrorCategory.ConnectionError;
                case RegistryFailure.ChallengeInvalid: return ErrorCategory.ProtocolError;
                case RegistryFailure.UnencryptedAuthentication: return ErrorCategory.SecurityError;
                case RegistryFailure.CredentialFileInvalid: return ErrorCategory.InvalidData;
                case RegistryFailure.CredentialHelperNotFound: return ErrorCategory.ObjectNotFound;
                case RegistryFailure.CredentialHelperFailed: return ErrorCategory.AuthenticationError;
                case RegistryFailure.CertificateUntrusted: return ErrorCategory.SecurityError;
                case RegistryFailure.CertificateInvalid: return ErrorCategory.InvalidData;
                default: return ErrorCategory.InvalidResult;
            }
        }
    }
}
