using System;
using System.IO;
using System.Management.Automation;
using System.Runtime.InteropServices;

namespace StreamLayer.Commands
{
    /// <summary>
    /// On Windows PowerShell 5.1 (.NET Framework), the dependencies shipped in the module folder (ZstdSharp,
    /// System.Memory and friends) ask for versions of each other that differ from the ones shipped, and .NET
    /// Framework has no binding redirects for a module. While the module is imported, <see cref="ModuleDependencies"/>
    /// resolves such requests, for the assemblies in the module folder only; removing the module removes it again.
    /// PowerShell 7 unifies versions itself, so nothing is done there.
    /// </summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        public void OnImport()
        {
            if (RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal))
            {
                ModuleDependencies.Register(ModuleDependencies.InFolder(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)));
            }
        }

        public void OnRemove(PSModuleInfo psModuleInfo) => ModuleDependencies.Unregister();
    }
}
