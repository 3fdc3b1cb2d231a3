using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Security;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;

namespace StreamLayer.Registry.Http
{
    /// <summary>
    /// The extra certificate authorities and client certificates for one host, found as docker and podman find
    /// them: a certs.d/&lt;host:port&gt;/ folder with *.crt CA bundles and *.cert/*.key client pairs (the first
    /// folder that exists of ~/.config/containers/certs.d, ~/.docker/certs.d, /etc/containers/certs.d and
    /// /etc/docker/certs.d), or a folder given by the caller. A server certificate is trusted when the system
    /// trusts it, or when its chain leads to one of the extra CAs.
    /// </summary>
    internal sealed class RegistryCertificates
    {
        private const X509ChainStatusFlags Tolerated =
            X509ChainStatusFlags.NoError | X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain
            | X509ChainStatusFlags.RevocationStatusUnknown | X509ChainStatusFlags.OfflineRevocation;

        private readonly HashSet<string> _thumbprints;
        private volatile string _lastRejection;

        private RegistryCertificates(string host, string folder, X509Certificate2Collection authorities, X509Certificate2Collection clientCertificates)
        {
            Host = host;
            Folder = folder;
            Authorities = authorities;
            ClientCertificates = clientCertificates;
            _thumbprints = new HashSet<string>(authorities.Cast<X509Certificate2>().Select(c => c.Thumbprint), StringComparer.OrdinalIgnoreCase);
        }

        /// <summary>host[:port] as the registry is named.</summary>
        public string Host { get; }

        /// <summary>The certs.d-style folder the certificates came from; null when there was none.</summary>
        public string Folder { get; }

        public X509Certificate2Collection Authorities { get; }

        public X509Certificate2Collection ClientCertificates { get; }

        /// <summary>Whether TLS material exists for this host: then even a loopback registry is spoken to over https.</summary>
        public bool ConfiguresTls => Folder != null || ClientCertificates.Count > 0;

        /// <summary>Why the last server certificate was refused, for the error message.</summary>
        internal string LastRejection => _lastRejection;

        /// <summary>The certs.d roots searched, in order: user folders before system ones.</summary>
        private static IReadOnlyList<string> DefaultRoots()
        {
            Func<string, string> variable = Environment.GetEnvironmentVariable;
            bool windows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
            string home = windows ? variable("USERPROFILE") : variable("HOME");
            if (string.IsNullOrEmpty(home))
            {
                home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            }

            var roots = new List<string>();
            if (windows)
            {
                roots.Add(Path.Combine(home, ".docker", "certs.d"));
                string programData = variable("ProgramData");
                if (!string.IsNullOrEmpty(programData))
                {
                    roots.Add(Path.Combine(programData, "docker", "certs.d"));
                }
            }
            else
            {
                string config = variable("XDG_CONFIG_HOME");
                roots.Add(Path.Combine(!string.IsNullOrEmpty(config) ? config : Path.Combine(home, ".config"), "containers", "certs.d"));
                roots.Add(Path.Combine(home, ".docker", "certs.d"));
                roots.Add("/etc/containers/certs.d");
                roots.Add("/etc/docker/certs.d");
            }

            return roots;
        }

        /// <summary>
        /// The certificates for <paramref name="host"/>: from <paramref name="folder"/> when given (instead of the
        /// certs.d roots, as skopeo's --cert-dir), else from the first &lt;root&gt;/&lt;host&gt; folder that exists.
        /// <paramref name="clientCertificate"/>, when given, replaces the folder's client certificates.
        /// </summary>
        public static RegistryCertificates Find(string host, string folder, X509Certificate2 clientCertificate)
        {
            string found = folder;
            if (found != null && !Directory.Exists(found))
            {
                throw new RegistryException(RegistryFailure.CertificateInvalid, "The certificate folder " + found + " does not exist.");
            }

            if (found == null)
            {
                foreach (string root in DefaultRoots())
                {
                    string candidate;
                    try
                    {
                        candidate = Path.Combine(root, host);
                    }
                    catch (ArgumentException)
                    {
                        continue;
                    }

                    if (SafeDirectoryExists(candidate))
                    {
                        found = candidate;
                        break;
                    }
                }
            }

            var authorities = new X509Certificate2Collection();
            var clients = new X509Certificate2Collection();
            if (found != null)
            {
                CertificateFiles.ReadFolder(found, authorities, clients);
            }

            if (clientCertificate != null)
            {
                if (!clientCertificate.HasPrivateKey)
                {
                    throw new RegistryException(RegistryFailure.CertificateInvalid, "The client certificate " + clientCertificate.Subject + " has no private key, so it cannot authenticate. Import it with its key (a .pfx, e.g. with Get-PfxCertificate).");
                }

                clients = new X509Certificate2Collection(clientCertificate);
            }

            return new RegistryCertificates(host, found, authorities, clients);
        }

        /// <summary>Sets the handler up to trust the extra CAs and offer the client certificates.</summary>
        internal void Configure(HttpClientHandler handler, bool skipCertificateCheck)
        {
            if (skipCertificateCheck)
            {
                handler.ServerCertificateCustomValidationCallback = (message, certificate, chain, errors) => true;
            }
            else
            {
                handler.ServerCertificateCustomValidationCallback = Validate;
            }

            if (ClientCertificates.Count > 0)
            {
                handler.ClientCertificateOptions = ClientCertificateOption.Manual;
                handler.ClientCertificates.AddRange(ClientCertificates);
            }
        }

        /// <summary>
        /// netstandard2.0 has no custom root trust: a chain the system does not trust is built again with the
        /// extra CAs and accepted when it leads to one of them with no other fault (expiry, a wrong name).
        /// </summary>
        internal bool Validate(HttpRequestMessage request, X509Certificate2 certificate, X509Chain presented, SslPolicyErrors errors)
        {
            if (errors == SslPolicyErrors.None)
            {
                _lastRejection = null;
                return true;
            }

            if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            {
                _lastRejection = "its certificate (" + certificate?.Subject + ") is not for the name " + request?.RequestUri?.Host;
                return false;
            }

            if (certificate == null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
            {
                _lastRejection = "it presented no certificate";
                return false;
            }

            if (Authorities.Count == 0)
            {
                _lastRejection = "its certificate (" + certificate.Subject + ", issued by " + certificate.Issuer + ") is not trusted by this system, and no CA was found for " + Host + " in a certs.d folder or -CertificateDirectory";
                return false;
            }

            using (var chain = new X509Chain())
            {
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                chain.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
                chain.ChainPolicy.ExtraStore.AddRange(Authorities);
                if (presented != null)
                {
                    foreach (X509ChainElement element in presented.ChainElements)
                    {
                        chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                    }
                }

                chain.Build(certificate);
                foreach (X509ChainElement element in chain.ChainElements)
                {
                    X509ChainStatusFlags faults = element.ChainElementStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status) & ~Tolerated;
                    if (faults != X509ChainStatusFlags.NoError)
                    {
                        _lastRejection = "the certificate " + element.Certificate.Subject + " in its chain is not valid (" + faults + ")";
                        return false;
                    }

                    if (_thumbprints.Contains(element.Certificate.Thumbprint))
                    {
                        _lastRejection = null;
                        return true;
                    }
                }

                X509Certificate2 top = chain.ChainElements.Count > 0 ? chain.ChainElements[chain.ChainElements.Count - 1].Certificate : certificate;
                _lastRejection = "its certificate (" + certificate.Subject + ") leads to " + top.Issuer + ", which is neither trusted by this system nor one of the CAs in " + Folder;
                return false;
            }
        }

        private static bool SafeDirectoryExists(string path)
        {
            try
            {
                return Directory.Exists(path);
            }
            catch (Exception e) when (e is ArgumentException || e is NotSupportedException || e is IOException || e is UnauthorizedAccessException)
            {
                return false;
            }
        }
    }
}
