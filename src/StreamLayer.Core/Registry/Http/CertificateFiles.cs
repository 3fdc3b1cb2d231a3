using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace StreamLayer.Registry.Http
{
    /// <summary>The certificate files of a certs.d-style folder, read as docker and podman read them; a file that cannot be used is an error, never skipped.</summary>
    internal static class CertificateFiles
    {
        /// <summary>A certs.d-style folder: *.crt CA bundles into <paramref name="authorities"/>, *.cert/*.key pairs into <paramref name="clients"/>.</summary>
        public static void ReadFolder(string folder, X509Certificate2Collection authorities, X509Certificate2Collection clients)
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
        private static X509Certificate2Collection ReadCertificates(string file)
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
        private static X509Certificate2 ReadClientCertificate(string certificateFile, string keyFile)
        {
            MethodInfo fromPem = FrameworkCodePaths.ForceNoPemKeys
                ? null
                : typeof(X509Certificate2).GetMethod("CreateFromPemFile", BindingFlags.Public | BindingFlags.Static, null, new[] { typeof(string), typeof(string) }, null);
            if (fromPem == null)
            {
                throw new RegistryException(
                    RegistryFailure.CertificateInvalid,
                    "The client certificate " + certificateFile + " has a PEM key, which this runtime cannot read (PowerShell 7 can; Windows PowerShell 5.1 cannot). " +
                    "Convert the pair to a .pfx with the older PKCS#12 algorithms, which more readers take than OpenSSL 3's AES default (openssl pkcs12 -export -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1 -in client.cert -inkey client.key -out client.pfx) " +
                    "and pass it with -Certificate (Get-PfxCertificate client.pfx).");
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
    }
}
