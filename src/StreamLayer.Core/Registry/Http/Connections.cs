using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Reflection;
using System.Security.Authentication;

namespace StreamLayer.Registry.Http
{
    /// <summary>
    /// The connections of one registry client: the registry's (its certificates, client certificate included), and
    /// one per other host it talks to (a token server, blob storage) with that host's certs.d CAs and no client
    /// certificate.
    /// </summary>
    internal sealed class Connections : IDisposable
    {
        private static readonly string s_userAgent =
            "StreamLayer/" + typeof(Connections).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0];

        // netstandard2.0 does not name TLS 1.3.
        internal const SslProtocols Tls13 = (SslProtocols)12288;

        private readonly Uri _registry;
        private readonly SendSettings _settings;
        private readonly bool _injectedHandler;
        private readonly Dictionary<string, Connection> _otherHosts = new Dictionary<string, Connection>(StringComparer.OrdinalIgnoreCase);

        /// <param name="handler">A handler for every host (tests); null for real connections.</param>
        public Connections(Uri registry, RegistryCertificates certificates, SendSettings settings, HttpMessageHandler handler)
        {
            _registry = registry;
            _settings = settings;
            _injectedHandler = handler != null;
            Registry = new Connection(NewHttpClient(handler ?? CreateHandler(settings, certificates)), certificates);
        }

        /// <summary>The registry's connection.</summary>
        public Connection Registry { get; }

        /// <summary>The connection for a host: the registry's own, or that host's.</summary>
        public Connection For(Uri uri)
        {
            if (_injectedHandler || (string.Equals(uri.Scheme, _registry.Scheme, StringComparison.OrdinalIgnoreCase) && string.Equals(uri.Authority, _registry.Authority, StringComparison.OrdinalIgnoreCase)))
            {
                return Registry;
            }

            lock (_otherHosts)
            {
                if (!_otherHosts.TryGetValue(uri.Authority, out Connection connection))
                {
                    RegistryCertificates certificates = RegistryCertificates.Find(uri.IsDefaultPort ? uri.Host : uri.Authority, null, null);
                    connection = new Connection(NewHttpClient(CreateHandler(_settings, certificates)), certificates);
                    _otherHosts.Add(uri.Authority, connection);
                }

                return connection;
            }
        }

        public void Dispose()
        {
            Registry.Dispose();
            lock (_otherHosts)
            {
                foreach (Connection connection in _otherHosts.Values)
                {
                    connection.Dispose();
                }

                _otherHosts.Clear();
            }
        }

        internal static HttpClientHandler CreateHandler(SendSettings settings, RegistryCertificates certificates)
        {
            var handler = new HttpClientHandler
            {
                // Redirects are followed by hand, so that credentials never travel to another host.
                AllowAutoRedirect = false,
                UseCookies = false,
                AutomaticDecompression = DecompressionMethods.None,
            };
            if (FrameworkCodePaths.IsFrameworkLine || FrameworkCodePaths.ForceExplicitTls)
            {
                OfferCurrentTls(handler);
            }

            certificates.Configure(handler, settings.SkipCertificateCheck);
            return handler;
        }

        /// <summary>
        /// TLS 1.2 and 1.3 for this handler alone. .NET Framework's handler otherwise takes the process-wide
        /// ServicePointManager setting, which in powershell.exe often lacks TLS 1.2; that setting is left as it is.
        /// </summary>
        private static void OfferCurrentTls(HttpClientHandler handler)
        {
            try
            {
                handler.SslProtocols = SslProtocols.Tls12 | Tls13;
            }
            catch (Exception e) when (e is NotSupportedException || e is ArgumentException)
            {
                // .NET Framework before 4.8 does not know TLS 1.3.
                handler.SslProtocols = SslProtocols.Tls12;
            }
        }

        private static HttpClient NewHttpClient(HttpMessageHandler handler)
        {
            var http = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
            http.DefaultRequestHeaders.UserAgent.ParseAdd(s_userAgent);
            return http;
        }
    }

    /// <summary>One host's HTTP client, and the certificates that explain a failed TLS handshake with it.</summary>
    internal sealed class Connection : IDisposable
    {
        public Connection(HttpClient http, RegistryCertificates certificates)
        {
            Http = http;
            Certificates = certificates;
        }

        public HttpClient Http { get; }

        public RegistryCertificates Certificates { get; }

        public void Dispose() => Http.Dispose();
    }
}
