using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry;
using StreamLayer.Registry.Http;
using StreamLayer.Registry.Client;

namespace StreamLayer.MonoChecks
{
    /// <summary>The module's own HTTP handler and Mono's TLS stack (which is not .NET Framework's SChannel).</summary>
    internal sealed class TlsChecks
    {
        public void Run(CheckRunner checks)
        {
            checks.Run("the module's handler names TLS 1.2 (and 1.3) itself and leaves ServicePointManager alone", () =>
            {
                SecurityProtocolType before = ServicePointManager.SecurityProtocol;
                using (HttpClientHandler handler = Connections.CreateHandler(new SendSettings(), RegistryCertificates.Find("registry.example.com", null, null)))
                {
                    Expect.True((handler.SslProtocols & SslProtocols.Tls12) != 0, "TLS 1.2 is not offered: " + handler.SslProtocols);
                    Console.WriteLine("      (the handler offers " + (handler.SslProtocols == (SslProtocols.Tls12 | Connections.Tls13) ? "TLS 1.2 and 1.3" : handler.SslProtocols.ToString()) + ")");
                }

                Expect.Equal(before, ServicePointManager.SecurityProtocol, "ServicePointManager.SecurityProtocol");
            });

            checks.Run("a server that refuses the TLS version: RegistryConnectionFailed that says so, not certs.d advice", () =>
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                Task serving = Task.Run(() => RefuseTlsVersion(listener));
                try
                {
                    int port = ((IPEndPoint)listener.LocalEndpoint).Port;
                    string empty = Path.Combine(Path.GetTempPath(), "streamlayer-mono-empty-" + Guid.NewGuid().ToString("N"));
                    Directory.CreateDirectory(empty);
                    var options = new RegistryOptions { CertificateDirectory = empty, MaximumRetryCount = 0, Timeout = TimeSpan.FromSeconds(60) };
                    using (var client = new RegistryClient(ImageReference.Parse("localhost:" + port + "/app"), options))
                    {
                        var error = Expect.Throws<RegistryException>(
                            () => client.SendAsync(client.Request("Test", HttpMethod.Get, "tags/list"), CancellationToken.None).GetAwaiter().GetResult(),
                            "the request");
                        Expect.Equal(RegistryFailure.ConnectionFailed, error.Failure, "the failure (" + error.Message + ")");
                        Expect.True(error.Message.Contains("no TLS version in common") && !error.Message.Contains("CA certificate"), "the message: " + error.Message);
                    }

                    Directory.Delete(empty);
                }
                finally
                {
                    listener.Stop();
                    Expect.True(serving.Wait(TimeSpan.FromSeconds(30)), "the refusing server stopped within 30 s of its listener");
                }
            });
        }

        /// <summary>Answers each ClientHello with a fatal protocol_version alert, as a server that speaks none of the offered versions.</summary>
        private static void RefuseTlsVersion(TcpListener listener)
        {
            byte[] alert = { 21, 3, 1, 0, 2, 2, 70 };
            // One request without retries makes a connection or a few; past the cap the listener stops, so a client
            // that keeps reconnecting is refused and the check fails instead of looping.
            for (int served = 0; served < 16; served++)
            {
                TcpClient connection;
                try
                {
                    connection = listener.AcceptTcpClient();
                }
                catch (Exception e) when (e is SocketException || e is ObjectDisposedException || e is InvalidOperationException)
                {
                    return;
                }

                using (connection)
                {
                    NetworkStream stream = connection.GetStream();
                    stream.ReadTimeout = 10000;
                    try
                    {
                        if (stream.Read(new byte[16384], 0, 16384) > 0)
                        {
                            stream.Write(alert, 0, alert.Length);
                        }
                    }
                    catch (IOException)
                    {
                    }
                }
            }

            listener.Stop();
        }
    }
}
