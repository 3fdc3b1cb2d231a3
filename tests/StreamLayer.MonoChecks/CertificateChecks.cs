using System;
using System.IO;
using System.Security.Cryptography.X509Certificates;
using StreamLayer.Registry;
using StreamLayer.Registry.Http;

namespace StreamLayer.MonoChecks
{
    /// <summary>certs.d files made by openssl: a CA bundle loads, a PEM client key is refused, the .pfx route works.</summary>
    internal sealed class CertificateChecks
    {
        private readonly string _folder;
        private string _pfxCommand;

        public CertificateChecks(string work)
        {
            _folder = Path.Combine(work, "certs.d-host");
            Directory.CreateDirectory(_folder);
            Tools.Bash("cd '" + _folder + "' && openssl req -x509 -newkey rsa:2048 -nodes -keyout client.key -out client.cert -subj /CN=streamlayer-client -days 2 2>/dev/null"
                + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -subj /CN=streamlayer-ca -days 2 2>/dev/null");
        }

        public void Run(CheckRunner checks)
        {
            checks.Run("a certs.d CA bundle (*.crt, PEM) loads", () =>
            {
                string folder = Path.Combine(_folder, "ca-only");
                Directory.CreateDirectory(folder);
                File.Copy(Path.Combine(_folder, "ca.pem"), Path.Combine(folder, "ca.crt"));
                var authorities = new X509Certificate2Collection();
                CertificateFiles.ReadFolder(folder, authorities, new X509Certificate2Collection());
                Expect.Equal(1, authorities.Count, "CA certificates");
                Expect.Equal("CN=streamlayer-ca", authorities[0].Subject, "the CA");
            });

            checks.Run("a PEM client key is refused here (no CreateFromPemFile), with the way to a .pfx", () =>
            {
                string folder = Path.Combine(_folder, "client");
                Directory.CreateDirectory(folder);
                File.Copy(Path.Combine(_folder, "client.cert"), Path.Combine(folder, "client.cert"));
                File.Copy(Path.Combine(_folder, "client.key"), Path.Combine(folder, "client.key"));
                var error = Expect.Throws<RegistryException>(
                    () => CertificateFiles.ReadFolder(folder, new X509Certificate2Collection(), new X509Certificate2Collection()),
                    "reading client.cert and client.key");
                Expect.Equal(RegistryFailure.CertificateInvalid, error.Failure, "the failure");
                Expect.True(error.Message.Contains("openssl pkcs12 -export") && error.Message.Contains("Get-PfxCertificate"), "the message names the .pfx route: " + error.Message);
                _pfxCommand = error.Message.Substring(error.Message.IndexOf("(openssl", StringComparison.Ordinal) + 1);
                _pfxCommand = _pfxCommand.Substring(0, _pfxCommand.IndexOf(')'));
            });

            checks.Run("the .pfx that message's own openssl command makes carries its key here and is taken as -Certificate", () =>
            {
                Expect.True(_pfxCommand != null, "the refusal gave no command");
                string pfx = Path.Combine(_folder, "client.pfx");
                Tools.Bash("cd '" + _folder + "' && " + _pfxCommand + " -passout pass:");
                var certificate = new X509Certificate2(pfx, string.Empty);
                Expect.True(certificate.HasPrivateKey, "the .pfx certificate has no private key");
                Expect.Equal(1, RegistryCertificates.Find("registry.example.com", null, certificate).ClientCertificates.Count, "client certificates");
            });
        }
    }
}
