using System;
using System.IO;
using System.Runtime.InteropServices;

namespace StreamLayer.MonoChecks
{
    /// <summary>
    /// Runs every check and writes {"Passed":N,"Failed":N} to the summary file. Arguments: --summary FILE, and
    /// --registry HOST:PORT with --registry-storage FOLDER for a docker-registry that build.ps1 started.
    /// </summary>
    internal static class Program
    {
        private static int Main(string[] args)
        {
            string summary = Argument(args, "--summary");
            string registry = Argument(args, "--registry");
            string storage = Argument(args, "--registry-storage");
            string work = Path.Combine(Path.GetTempPath(), "streamlayer-mono-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(work);
            Console.WriteLine("Runtime: " + RuntimeInformation.FrameworkDescription);

            var checks = new CheckRunner();
            try
            {
                new RuntimeChecks().Run(checks);
                new CompressionChecks(work).Run(checks);
                new InputChecks(work).Run(checks);
                new FolderChecks(work).Run(checks);
                new CertificateChecks(work).Run(checks);
                new TlsChecks().Run(checks);
                new LayoutChecks(work).Run(checks);
                if (registry != null)
                {
                    new RegistryChecks(registry, storage, work).Run(checks);
                }
                else
                {
                    checks.Fail("push to docker-registry", "no --registry was given");
                }
            }
            finally
            {
                Directory.Delete(work, recursive: true);
            }

            if (summary != null)
            {
                File.WriteAllText(summary, "{\"Passed\":" + checks.Passed + ",\"Failed\":" + checks.Failed + "}");
            }

            return checks.Failed == 0 ? 0 : 1;
        }

        private static string Argument(string[] args, string name)
        {
            int at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
        }
    }
}
