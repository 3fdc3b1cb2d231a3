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

        // How long the output may stay open after the helper exited (a child it left holds it) before that child is ended.
        private static readonly TimeSpan LingerGrace = TimeSpan.FromSeconds(2);

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
            };

            // Children inherit it, so whatever the helper leaves running can be found and ended.
            string run = Guid.NewGuid().ToString("N");
            start.Environment[ProcessTree.MarkerVariable] = run;

            using (var deadline = new CancellationTokenSource(timeout))
            using (var either = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken))
            using (var process = new Process { StartInfo = start })
            {
                try
                {
                    process.Start();
                }
                catch (Exception e) when (e is Win32Exception || e is InvalidOperationException || e is IOException)
                {
                    throw Failed(name, path, "it could not be started (" + e.Message + ")", e);
                }

                var stdoutKept = new MemoryStream();
                var stderrKept = new MemoryStream();
                Task output = ReadCappedAsync(process.StandardOutput.BaseStream, stdoutKept);
                Task errors = ReadCappedAsync(process.StandardError.BaseStream, stderrKept);
                try
                {
                    // docker writes the server URL with no line end; helpers read to the end of input.
                    byte[] url = Encoding.UTF8.GetBytes(serverUrl);
                    await process.StandardInput.BaseStream.WriteAsync(url, 0, url.Length, either.Token).ConfigureAwait(false);
                    process.StandardInput.Close();
                }
                catch (Exception e) when (e is IOException || e is OperationCanceledException)
                {
                    // A helper that exits without reading its input answers anyway; its exit code says how it went.
                }

                // The whole run is bounded by the timeout. Once the helper has exited, a child it started may still hold
                // its output open: the output so far is then its answer, and the child is ended.
                bool exited = await WaitForExitAsync(process, either.Token).ConfigureAwait(false);
                if (!exited)
                {
                    ProcessTree.End(process, run);
                    cancellationToken.ThrowIfCancellationRequested();
                    throw Failed(name, path, "it did not answer within " + timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s; it and what it started were ended", null);
                }

                using (var grace = CancellationTokenSource.CreateLinkedTokenSource(either.Token))
                {
                    grace.CancelAfter(LingerGrace);
                    if (!await WaitAsync(Task.WhenAll(output, errors), grace.Token).ConfigureAwait(false))
                    {
                        ProcessTree.End(process, run);
                    }
                }

                cancellationToken.ThrowIfCancellationRequested();
                using (var ended = new CancellationTokenSource(LingerGrace))
                {
                    // Ending the tree closed the output; what was read so far is the answer either way.
                    await WaitAsync(Task.WhenAll(output, errors), ended.Token).ConfigureAwait(false);
                }

                byte[] stdoutBytes = Kept(stdoutKept);
                byte[] stderrBytes = Kept(stderrKept);
                string stdout = Encoding.UTF8.GetString(stdoutBytes).Trim();
                string stderr = Encoding.UTF8.GetString(stderrBytes).Trim();
                JsonValue.TryParse(stdout, out JsonValue answer);
                string secret = answer?["Secret"]?.AsString;
                if (process.ExitCode != 0)
                {
                    if (stdout.IndexOf(NotFound, StringComparison.OrdinalIgnoreCase) >= 0 || stderr.IndexOf(NotFound, StringComparison.OrdinalIgnoreCase) >= 0)
                    {
                        return null;
                    }

                    // Its output may be credentials (a helper that printed its answer and then failed): never shown.
                    string said = FirstLine(stderr);
                    if (!string.IsNullOrEmpty(secret))
                    {
                        var scrub = new Http.Secrets();
                        scrub.Add(secret);
                        said = scrub.Scrub(said);
                    }

                    throw Failed(
                        name,
                        path,
                        "it exited with code " + process.ExitCode.ToString(CultureInfo.InvariantCulture) + Printed(stdoutBytes.Length) + (said.Length > 0 ? "; its error output says: " + said : string.Empty),
                        null);
                }

                if (answer == null || answer.Kind != JsonKind.Object)
                {
                    throw Failed(name, path, "its answer is not the JSON object {ServerURL, Username, Secret} that docker's protocol defines (it" + Printed(stdoutBytes.Length).Substring(1) + ")", null);
                }

                string user = answer["Username"]?.AsString;
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

        /// <summary>" and printed 63 bytes that are not shown" — what a helper wrote to its output, never the bytes themselves.</summary>
        private static string Printed(int bytes) =>
            bytes == 0 ? " and printed nothing" : " and printed " + bytes.ToString(CultureInfo.InvariantCulture) + " bytes (not shown: they may hold a secret)";

        /// <summary>Reads a stream to its end into <paramref name="kept"/>, keeping at most 64 KiB: no helper answer is longer.</summary>
        private static async Task ReadCappedAsync(Stream stream, MemoryStream kept)
        {
            const int most = 64 * 1024;
            var buffer = new byte[4096];
            try
            {
                int n;
                while ((n = await stream.ReadAsync(buffer, 0, buffer.Length).ConfigureAwait(false)) > 0)
                {
                    lock (kept)
                    {
                        kept.Write(buffer, 0, (int)Math.Min(n, Math.Max(0, most - kept.Length)));
                    }
                }
            }
            catch (Exception e) when (e is IOException || e is ObjectDisposedException)
            {
            }
        }

        private static byte[] Kept(MemoryStream kept)
        {
            lock (kept)
            {
                return kept.ToArray();
            }
        }

        /// <summary>Whether <paramref name="task"/> ended before the token was cancelled.</summary>
        private static async Task<bool> WaitAsync(Task task, CancellationToken cancellationToken)
        {
            var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(() => cancelled.TrySetResult(true)))
            {
                return await Task.WhenAny(task, cancelled.Task).ConfigureAwait(false) == task;
            }
        }

        private static async Task<bool> WaitForExitAsync(Process process, CancellationToken cancellationToken)
        {
            while (!process.HasExited)
            {
                try
                {
                    await Task.Delay(20, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return process.HasExited;
                }
            }

            return true;
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
