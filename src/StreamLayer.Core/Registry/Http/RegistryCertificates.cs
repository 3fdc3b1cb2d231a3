using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Security;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

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
        public static IReadOnlyList<string> DefaultRoots(Func<string, string> environment = null)
        {
            Func<string, string> variable = environment ?? Environment.GetEnvironmentVariable;
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
        public static RegistryCertificates Find(string host, string folder, X509Certificate2 clientCertificate, IEnumerable<string> roots = null)
        {
            string found = folder;
            if (found != null && !Directory.Exists(found))
            {
                throw new RegistryException(RegistryFailure.CertificateInvalid, "The certificate folder " + found + " does not exist.");
            }

            if (found == null)
            {
                foreach (string root in roots ?? DefaultRoots())
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
                ReadFolder(found, authorities, clients);
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

        private static void ReadFolder(string folder, X509Certificate2Collection authorities, X509Certificate2Collection clients)
        {
            string[] files;
            try
            {
                files = Directory.GetFiles(folder).OrderBy(f => f, StringComparer.Ordinal).ToArray();
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new RegistryException(RegistryFailure.CertificateInvalid, "The certificate folder " + folder + " cannot be read: " + e.Message, e);
            }

            foreach (string file in files)
            {
                string extension = Path.GetExtension(file);
                if (extension.Equals(".crt", StringComparison.OrdinalIgnoreCase))
                {
                    authorities.AddRange(ReadCertificates(file));
                }
                else if (extension.Equals(".cert", StringComparison.OrdinalIgnoreCase))
                {
                    string key = Path.ChangeExtension(file, ".key");
                    if (!File.Exists(key))
                    {
                        throw new RegistryException(RegistryFailure.CertificateInvalid, "The client certificate " + file + " has no key: " + Path.GetFileName(key) + " is missing beside it.");
                    }

                    clients.Add(ReadClientCertificate(file, key));
                }
                else if (extension.Equals(".key", StringComparison.OrdinalIgnoreCase) && !File.Exists(Path.ChangeExtension(file, ".cert")))
                {
                    throw new RegistryException(RegistryFailure.CertificateInvalid, "The key " + file + " has no client certificate: " + Path.GetFileName(Path.ChangeExtension(file, ".cert")) + " is missing beside it.");
                }
            }
        }

        /// <summary>Every certificate of a PEM bundle, or the one certificate of a DER file.</summary>
        internal static X509Certificate2Collection ReadCertificates(string file)
        {
            const string begin = "-----BEGIN CERTIFICATE-----";
            const string end = "-----END CERTIFICATE-----";
            var certificates = new X509Certificate2Collection();
            try
            {
                byte[] bytes = File.ReadAllBytes(file);
                string text = Encoding.ASCII.GetString(bytes);
                int start = text.IndexOf(begin, StringComparison.Ordinal);
                if (start < 0)
                {
                    certificates.Add(new X509Certificate2(bytes));
                    return certificates;
                }

                while (start >= 0)
                {
                    int stop = text.IndexOf(end, start, StringComparison.Ordinal);
                    if (stop < 0)
                    {
                        throw new FormatException("a PEM certificate has no END line");
                    }

                    string base64 = text.Substring(start + begin.Length, stop - start - begin.Length);
                    certificates.Add(new X509Certificate2(Convert.FromBase64String(base64)));
                    start = text.IndexOf(begin, stop, StringComparison.Ordinal);
                }

                return certificates;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is CryptographicException || e is FormatException)
            {
                throw new RegistryException(RegistryFailure.CertificateInvalid, "The CA certificate file " + file + " cannot be loaded: " + e.Message, e);
            }
        }

        /// <summary>
        /// A PEM certificate and its PEM private key. netstandard2.0 cannot read PEM keys; .NET 5 and later
        /// (PowerShell 7) can, through X509Certificate2.CreateFromPemFile, reached by reflection.
        /// </summary>
        internal static X509Certificate2 ReadClientCertificate(string certificateFile, string keyFile)
        {
            MethodInfo fromPem = typeof(X509Certificate2).GetMethod(
                "CreateFromPemFile",
                BindingFlags.Public | BindingFlags.Static,
                null,
                new[] { typeof(string), typeof(string) },
                null);
            if (fromPem == null)
            {
                throw new RegistryException(
                    RegistryFailure.CertificateInvalid,
                    "The client certificate " + certificateFile + " has a PEM key, which this PowerShell cannot read (PowerShell 7 can). " +
                    "Convert the pair to a .pfx (openssl pkcs12 -export -in client.cert -inkey client.key -out client.pfx) and pass it with -Certificate (Get-PfxCertificate client.pfx).");
            }

            try
            {
                using (var pem = (X509Certificate2)fromPem.Invoke(null, new object[] { certificateFile, keyFile }))
                {
                    // A key read from PEM is ephemeral, which Windows' TLS stack cannot use: a PKCS#12 round trip keeps it usable everywhere.
                    return new X509Certificate2(pem.Export(X509ContentType.Pkcs12));
                }
            }
            catch (TargetInvocationException e) when (e.InnerException != null)
            {
                throw new RegistryException(RegistryFailure.CertificateInvalid, "The client certificate " + certificateFile + " and key " + keyFile + " cannot be loaded: " + e.InnerException.Message, e.InnerException);
            }
            catch (CryptographicException e)
            {
                throw new RegistryException(RegistryFailure.CertificateInvalid, "The client certificate " + certificateFile + " and key " + keyFile + " cannot be loaded: " + e.Message, e);
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
