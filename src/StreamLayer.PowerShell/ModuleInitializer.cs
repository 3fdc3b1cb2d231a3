using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;

namespace StreamLayer.Commands
{
    /// <summary>
    /// On Windows PowerShell 5.1 (.NET Framework), the dependencies shipped in the module folder (ZstdSharp,
    /// System.Memory and friends) ask for versions of each other that differ from the ones shipped, and .NET
    /// Framework has no binding redirects for a module. This resolves such requests to the copy in the module
    /// folder, as an app.config redirect would. PowerShell 7 unifies versions itself, so nothing is done there.
    /// </summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer
    {
        private static readonly string s_folder = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location);

        public void OnImport()
        {
            if (RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal))
            {
                AppDomain.CurrentDomain.AssemblyResolve += ResolveFromModuleFolder;
            }
        }

        private static Assembly ResolveFromModuleFolder(object sender, ResolveEventArgs args)
        {
            string name = new AssemblyName(args.Name).Name;
            string path = Path.Combine(s_folder, name + ".dll");
            return File.Exists(path) ? Assembly.LoadFrom(path) : null;
        }
    }
}
