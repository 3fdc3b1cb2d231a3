using System;
using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
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
        /// <summary>Where to push: [registry[:port]/]name.</summary>
        string Repository { get; }

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
        /// <summary>
        /// -Repository as a repository name, or InvalidRepository with the way to write it: without a scheme
        /// (registries are named, not addressed), a tag (given apart, with -Tag) or a digest.
        /// </summary>
        /// <param name="pushed">What is pushed and named by its own digest, for the message: "layer", "index".</param>
        public static ImageReference ParseRepository(this IRegistryParameters parameters, string pushed)
        {
            string text = parameters.Repository;
            Match url = Regex.Match(text, "^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$");
            if (url.Success)
            {
                string name = url.Groups[2].Value.TrimEnd('/');
                bool http = url.Groups[1].Value.Equals("http", StringComparison.OrdinalIgnoreCase);
                throw InvalidRepository(
                    text,
                    "Leave out the scheme: -Repository " + name + "."
                    + (http ? " For a registry that speaks plain http, add -PlainHttp." : " StreamLayer talks https to it (add -PlainHttp for http)."));
            }

            ImageReference repository;
            try
            {
                repository = ImageReference.Parse(text);
            }
            catch (FormatException e)
            {
                throw InvalidRepository(text, e.Message);
            }

            if (repository.Digest != null)
            {
                throw InvalidRepository(text, "-Repository names a repository, without a digest: the " + pushed + "'s digest is its name in the repository. Use -Repository " + text.Substring(0, text.IndexOf('@')) + ".");
            }

            if (repository.Tag != null)
            {
                string name = text.Substring(0, text.LastIndexOf(':'));
                throw InvalidRepository(text, "-Repository names a repository, without a tag. Give the tag apart: -Repository " + name + " -Tag '" + repository.Tag + "'.");
            }

            return repository;
        }

        private static CommandFailure InvalidRepository(string text, string why) => CommandFailure.Create(
            ErrorIds.InvalidRepository,
            ErrorCategory.InvalidArgument,
            text,
            "'" + text + "' is not a repository name. " + why + " Examples: localhost:5000/stream, registry.example.com/team/app, ubuntu.");

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
