using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;

namespace StreamLayer.Commands
{
    /// <summary>
    /// The assemblies shipped in the module folder, and the AssemblyResolve handler that serves them on .NET
    /// Framework. It answers a request only for one of them, at a version no newer than the one shipped and with
    /// its public key token; with a copy already loaded in the process when one will do, else with the shipped file.
    /// Every other request is left to the runtime and to other handlers.
    /// </summary>
    internal sealed class ModuleDependencies
    {
        private static readonly object s_gate = new object();
        private static ModuleDependencies s_registered;

        private readonly Dictionary<string, KeyValuePair<string, AssemblyName>> _shipped;
        private readonly Func<IEnumerable<Assembly>> _loaded;
        private readonly Func<string, Assembly> _load;

        /// <param name="shipped">Each shipped file's path and assembly name.</param>
        /// <param name="loaded">The assemblies already loaded in the process.</param>
        /// <param name="load">Loads a shipped file.</param>
        internal ModuleDependencies(IDictionary<string, AssemblyName> shipped, Func<IEnumerable<Assembly>> loaded, Func<string, Assembly> load)
        {
            _shipped = new Dictionary<string, KeyValuePair<string, AssemblyName>>(StringComparer.OrdinalIgnoreCase);
            foreach (KeyValuePair<string, AssemblyName> file in shipped)
            {
                _shipped[file.Value.Name] = file;
            }

            _loaded = loaded;
            _load = load;
        }

        /// <summary>The assembly names shipped in the module.</summary>
        public IEnumerable<string> Names => _shipped.Keys;

        /// <summary>The managed assemblies in <paramref name="folder"/>, as the module ships them.</summary>
        public static ModuleDependencies InFolder(string folder)
        {
            var shipped = new Dictionary<string, AssemblyName>(StringComparer.OrdinalIgnoreCase);
            foreach (string path in Directory.GetFiles(folder, "*.dll"))
            {
                try
                {
                    shipped[path] = AssemblyName.GetAssemblyName(path);
                }
                catch (Exception e) when (e is BadImageFormatException || e is FileLoadException || e is IOException)
                {
                    // Not a managed assembly: nothing to resolve.
                }
            }

            return new ModuleDependencies(shipped, () => AppDomain.CurrentDomain.GetAssemblies(), Assembly.LoadFrom);
        }

        /// <summary>Makes <paramref name="dependencies"/> the process's handler for the module, replacing any earlier one.</summary>
        public static void Register(ModuleDependencies dependencies)
        {
            lock (s_gate)
            {
                Unregister();
                AppDomain.CurrentDomain.AssemblyResolve += dependencies.Resolve;
                s_registered = dependencies;
            }
        }

        /// <summary>Removes the module's handler, when there is one.</summary>
        public static void Unregister()
        {
            lock (s_gate)
            {
                if (s_registered != null)
                {
                    AppDomain.CurrentDomain.AssemblyResolve -= s_registered.Resolve;
                    s_registered = null;
                }
            }
        }

        internal Assembly Resolve(object sender, ResolveEventArgs args)
        {
            AssemblyName requested;
            try
            {
                requested = new AssemblyName(args.Name);
            }
            catch (Exception e) when (e is ArgumentException || e is FileLoadException)
            {
                return null;
            }

            if (requested.Name == null || !_shipped.TryGetValue(requested.Name, out KeyValuePair<string, AssemblyName> shipped) || !Satisfies(shipped.Value, requested))
            {
                return null;
            }

            // A copy already loaded (by this module, or by another with the same dependency) keeps one identity for its types.
            Assembly loaded = _loaded().FirstOrDefault(assembly => Satisfies(assembly.GetName(), requested));
            return loaded ?? _load(shipped.Key);
        }

        /// <summary>The same name, at least the requested version, and the same public key token when the request names one.</summary>
        private static bool Satisfies(AssemblyName candidate, AssemblyName requested)
        {
            if (!string.Equals(candidate.Name, requested.Name, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            if (requested.Version != null && (candidate.Version == null || candidate.Version < requested.Version))
            {
                return false;
            }

            byte[] token = requested.GetPublicKeyToken();
            return token == null || token.Length == 0 || token.SequenceEqual(candidate.GetPublicKeyToken() ?? Array.Empty<byte>());
        }
    }
}
