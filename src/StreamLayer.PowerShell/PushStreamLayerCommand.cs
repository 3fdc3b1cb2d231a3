using System;
using System.Collections.Concurrent;
using System.Globalization;
using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry;

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
        private ImageReference _repository;
        private RegistryClient _client;
        private BlobUpload _upload;

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
        }

        protected override bool ShouldStartLayer(string source) =>
            ShouldProcess(source + " to " + _repository.Name, "Push layer");

        protected override Func<LayerEncoder, CancellationToken, Task> CreateConsumer(string path)
        {
            var upload = new BlobUpload(_client);
            _upload = upload;
            return upload.UploadAsync;
        }

        protected override object CreateOutput(LayerDigest layer) => new PushedLayer(layer, _repository);

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

        protected override void DisposeResources() => _client?.Dispose();

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
