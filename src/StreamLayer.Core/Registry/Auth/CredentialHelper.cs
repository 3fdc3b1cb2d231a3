using System;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Json;

namespace StreamLayer.Registry.Auth
{
    /// <summary>
    /// Runs docker-credential-&lt;name&gt; get, as docker does: the server URL on standard input, a JSON object
    /// {ServerURL, Username, Secret} on standard output. A Username of &lt;token&gt; makes the Secret an identity
    /// token. "credentials not found in native keychain" means there are none, which is not an error.
    /// </summary>
    internal static class CredentialHelper
    {
        private const string NotFound = "credentials not found in native keychain";

        public static string ExecutableName(string helper) => "docker-credential-" + helper;

        /// <summary>The helper's credentials for <paramref name="serverUrl"/>, or null when it has none.</summary>
        public static async Task<RegistryCredential> GetAsync(string helper, string serverUrl, string configuredIn, TimeSpan timeout, CancellationToken cancellationToken)
        {
            string name = ExecutableName(helper);
            string path = FindOnPath(name);
            if (path == null)
            {
                throw new RegistryException(
                    RegistryFailure.CredentialHelperNotFound,
                    "The " + configuredIn + " names the credential helper '" + helper + "' for " + serverUrl + ", but " + name + " is not on PATH. Install it, or remove it from the file.");
            }

            var start = new ProcessStartInfo(path, "get")
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                CreateNoWindow = true,
                StandardOutputEncoding = Encoding.UTF8,
                StandardErrorEncoding = Encoding.UTF8,
            };

            var exited = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (var process = new Process { StartInfo = start, EnableRaisingEvents = true })
            {
                process.Exited += (sender, args) => exited.TrySetResult(true);
                try
                {
                    process.Start();
                }
                catch (Exception e) when (e is Win32Exception || e is InvalidOperationException || e is IOException)
                {
                    throw Failed(name, path, "it could not be started (" + e.Message + ")", e);
                }

                Task<string> output = process.StandardOutput.ReadToEndAsync();
                Task<string> errors = process.StandardError.ReadToEndAsync();
                try
                {
                    // docker writes the server URL with no line end; helpers read to the end of input.
                    await process.StandardInput.WriteAsync(serverUrl).ConfigureAwait(false);
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // A helper that exits without reading its input answers anyway; its exit code says how it went.
                }

                using (var timer = new CancellationTokenSource(timeout))
                using (var either = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, cancellationToken))
                {
                    var gaveUp = new TaskCompletionSource<bool>();
                    using (either.Token.Register(() => gaveUp.TrySetResult(true)))
                    {
                        if (await Task.WhenAny(exited.Task, gaveUp.Task).ConfigureAwait(false) != exited.Task && !process.HasExited)
                        {
                            try
                            {
                                process.Kill();
                            }
                            catch (Exception e) when (e is InvalidOperationException || e is Win32Exception)
                            {
                            }

                            cancellationToken.ThrowIfCancellationRequested();
                            throw Failed(name, path, "it did not answer within " + timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s", null);
                        }
                    }
                }

                process.WaitForExit();
                string stdout = (await output.ConfigureAwait(false)).Trim();
                string stderr = (await errors.ConfigureAwait(false)).Trim();
                if (process.ExitCode != 0)
                {
                    if (stdout.IndexOf(NotFound, StringComparison.OrdinalIgnoreCase) >= 0 || stderr.IndexOf(NotFound, StringComparison.OrdinalIgnoreCase) >= 0)
                    {
                        return null;
                    }

                    string said = FirstLine(stdout.Length > 0 ? stdout : stderr);
                    throw Failed(name, path, "it exited with code " + process.ExitCode.ToString(CultureInfo.InvariantCulture) + (said.Length > 0 ? ": " + said : string.Empty), null);
                }

                if (!JsonValue.TryParse(stdout, out JsonValue answer) || answer.Kind != JsonKind.Object)
                {
                    throw Failed(name, path, "its answer is not the JSON object {ServerURL, Username, Secret} that docker's protocol defines", null);
                }

                string user = answer["Username"]?.AsString;
                string secret = answer["Secret"]?.AsString;
                if (string.IsNullOrEmpty(secret))
                {
                    return null;
                }

                string source = "credential helper " + name + " (named by the " + configuredIn + ")";
                if (string.IsNullOrEmpty(user) || user == RegistryCredential.IdentityTokenUser)
                {
                    return RegistryCredential.FromIdentityToken(secret, source);
                }

                return RegistryCredential.FromPassword(user, secret, source);
            }
        }

        /// <summary>The helper's full path, found on PATH (with PATHEXT's extensions on Windows); null when it is not there.</summary>
        private static string FindOnPath(string name)
        {
            bool windows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
            string[] extensions = windows
                ? (Environment.GetEnvironmentVariable("PATHEXT") ?? ".COM;.EXE;.BAT;.CMD").Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries)
                : new[] { string.Empty };
            foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
            {
                if (folder.Trim().Length == 0)
                {
                    continue;
                }

                foreach (string extension in extensions)
                {
                    string candidate;
                    try
                    {
                        candidate = Path.Combine(folder.Trim().Trim('"'), name + extension.ToLowerInvariant());
                    }
                    catch (ArgumentException)
                    {
                        continue;
                    }

                    if (File.Exists(candidate))
                    {
                        return candidate;
                    }
                }
            }

            return null;
        }

        private static string FirstLine(string text)
        {
            int end = text.IndexOfAny(new[] { '\r', '\n' });
            string line = end < 0 ? text : text.Substring(0, end);
            return line.Length > 300 ? line.Substring(0, 300) + "..." : line;
        }

        private static RegistryException Failed(string name, string path, string why, Exception inner) =>
            new RegistryException(RegistryFailure.CredentialHelperFailed, "The credential helper " + name + " (" + path + ") failed: " + why + ".", inner);
    }
}
