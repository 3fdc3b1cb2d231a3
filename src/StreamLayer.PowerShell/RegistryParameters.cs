using System;
using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using StreamLayer.Registry;
using StreamLayer.Registry.Auth;

namespace StreamLayer.Commands
{
    /// <summary>
    /// How to reach a registry: the parameters Push-StreamLayer and Push-ImageIndex share, declared once. The two
    /// cmdlets have different bases (one makes layers, one does not), and PowerShell binds only a cmdlet's own
    /// properties or its dynamic parameters, so both give this object as their dynamic parameters: names, types,
    /// validation, completion and splatting behave as for declared parameters, and Get-Command lists them.
    /// </summary>
    internal sealed class RegistryParameters
    {
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

        /// <summary>The registry options these parameters give; each HTTP step is logged to <paramref name="messages"/>.</summary>
        public RegistryOptions ToOptions(PSCmdlet cmdlet, HostMessages messages)
        {
            var options = new RegistryOptions
            {
                PlainHttp = PlainHttp,
                SkipCertificateCheck = SkipCertificateCheck,
                MaximumRetryCount = MaximumRetryCount,
                RetryInterval = TimeSpan.FromSeconds(RetryIntervalSec),
                Timeout = TimeSpan.FromSeconds(TimeoutSec),
                Log = messages.Verbose,
                AllowUnencryptedAuthentication = AllowUnencryptedAuthentication,
                ClientCertificate = Certificate,
                CertificateDirectory = CertificateDirectory == null ? null : cmdlet.GetUnresolvedProviderPathFromPSPath(CertificateDirectory),
            };

            // -Credential wins; otherwise the registry's challenge makes the core look in docker's and podman's files.
            if (Credential != null && Credential != PSCredential.Empty)
            {
                options.Credential = RegistryCredential.FromPassword(Credential.UserName, Credential.GetNetworkCredential().Password, "-Credential");
            }
            else
            {
                options.CredentialSource = new DockerCredentialStore(options.Timeout, messages.Verbose);
            }

            return options;
        }
    }
}
