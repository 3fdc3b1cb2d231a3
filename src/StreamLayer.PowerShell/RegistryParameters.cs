using System;
using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using StreamLayer.Registry;
using StreamLayer.Registry.Auth;

namespace StreamLayer.Commands
{
    /// <summary>
    /// The connection parameters every registry cmdlet declares (PowerShell binds only a cmdlet's own
    /// properties, so each declares them), and the one place they become <see cref="RegistryOptions"/>.
    /// </summary>
    internal interface IRegistryParameters
    {
        SwitchParameter PlainHttp { get; }

        SwitchParameter SkipCertificateCheck { get; }

        PSCredential Credential { get; }

        SwitchParameter AllowUnencryptedAuthentication { get; }

        X509Certificate2 Certificate { get; }

        string CertificateDirectory { get; }

        int MaximumRetryCount { get; }

        int RetryIntervalSec { get; }

        int TimeoutSec { get; }
    }

    internal static class RegistryParameters
    {
        public static RegistryOptions ToOptions(this IRegistryParameters parameters, PSCmdlet cmdlet, HostMessages messages)
        {
            var options = new RegistryOptions
            {
                PlainHttp = parameters.PlainHttp,
                SkipCertificateCheck = parameters.SkipCertificateCheck,
                MaximumRetryCount = parameters.MaximumRetryCount,
                RetryInterval = TimeSpan.FromSeconds(parameters.RetryIntervalSec),
                Timeout = TimeSpan.FromSeconds(parameters.TimeoutSec),
                Log = messages.Verbose,
                AllowUnencryptedAuthentication = parameters.AllowUnencryptedAuthentication,
                ClientCertificate = parameters.Certificate,
                CertificateDirectory = parameters.CertificateDirectory == null ? null : cmdlet.GetUnresolvedProviderPathFromPSPath(parameters.CertificateDirectory),
            };

            // -Credential wins; otherwise the registry's challenge makes the core look in docker's and podman's files.
            if (parameters.Credential != null && parameters.Credential != PSCredential.Empty)
            {
                options.Credential = RegistryCredential.FromPassword(parameters.Credential.UserName, parameters.Credential.GetNetworkCredential().Password, "-Credential");
            }
            else
            {
                options.CredentialSource = new DockerCredentialStore(options.Timeout, messages.Verbose);
            }

            return options;
        }
    }
}
