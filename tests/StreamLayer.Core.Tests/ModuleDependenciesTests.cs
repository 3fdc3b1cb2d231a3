using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using StreamLayer.Commands;
using Xunit;

namespace StreamLayer.Tests
{
    /// <summary>
    /// The module's assembly resolver for Windows PowerShell 5.1 (StreamLayer.PowerShell's ModuleDependencies, which
    /// touches no PowerShell type): what it answers, what it leaves alone, and that removing it removes it.
    /// </summary>
    public sealed class ModuleDependenciesTests : IDisposable
    {
        private static readonly Assembly s_zstd = typeof(ZstdSharp.Compressor).Assembly;
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "streamlayer-module-" + Guid.NewGuid().ToString("N"));
        private readonly List<string> _loads = new List<string>();

        public ModuleDependenciesTests()
        {
            Directory.CreateDirectory(_folder);
            File.Copy(s_zstd.Location, Path.Combine(_folder, "ZstdSharp.dll"));
            File.WriteAllText(Path.Combine(_folder, "native.dll"), "not a managed assembly");
        }

        public void Dispose() => Directory.Delete(_folder, recursive: true);

        [Fact]
        public void ItKnowsTheManagedAssembliesInTheModuleFolder()
        {
            Assert.Equal(new[] { "ZstdSharp" }, ModuleDependencies.InFolder(_folder).Names);
        }

        [Fact]
        public void ANameTheModuleDoesNotShipIsLeftToOthers()
        {
            Assert.Null(Resolver(loaded: false).Resolve(null, new ResolveEventArgs("Newtonsoft.Json, Version=13.0.0.0, Culture=neutral, PublicKeyToken=30ad4fe6b2a6aeed")));
            Assert.Empty(_loads);
        }

        [Fact]
        public void AVersionNewerThanTheShippedOneOrAnotherPublicKeyIsLeftToOthers()
        {
            ModuleDependencies resolver = Resolver(loaded: true);

            Assert.Null(resolver.Resolve(null, new ResolveEventArgs(Requested(new Version(99, 0, 0, 0), s_zstd.GetName().GetPublicKeyToken()))));
            Assert.Null(resolver.Resolve(null, new ResolveEventArgs(Requested(new Version(0, 1, 0, 0), new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }))));
            Assert.Empty(_loads);
        }

        [Fact]
        public void AnOlderVersionGetsTheCopyAlreadyLoadedRatherThanASecondOne()
        {
            Assembly resolved = Resolver(loaded: true).Resolve(null, new ResolveEventArgs(Requested(new Version(0, 1, 0, 0), s_zstd.GetName().GetPublicKeyToken())));

            Assert.Same(s_zstd, resolved);
            Assert.Empty(_loads);
        }

        [Fact]
        public void WithNoCopyLoadedTheShippedFileIsLoaded()
        {
            Resolver(loaded: false).Resolve(null, new ResolveEventArgs(Requested(new Version(0, 1, 0, 0), null)));

            Assert.Equal(new[] { Path.Combine(_folder, "ZstdSharp.dll") }, _loads);
        }

        [Fact]
        public void RegisteredItAnswersTheProcessAndUnregisteredItNoLongerDoes()
        {
            const string name = "StreamLayer.ShippedOnlyInThisTest";
            var shipped = new Dictionary<string, AssemblyName> { [Path.Combine(_folder, name + ".dll")] = new AssemblyName(name + ", Version=1.0.0.0") };
            var resolver = new ModuleDependencies(shipped, () => Array.Empty<Assembly>(), path => { _loads.Add(path); return null; });

            ModuleDependencies.Register(resolver);
            try
            {
                Assert.ThrowsAny<IOException>(() => Assembly.Load(name + ", Version=1.0.0.0"));
            }
            finally
            {
                ModuleDependencies.Unregister();
            }

            Assert.Single(_loads);
            Assert.ThrowsAny<IOException>(() => Assembly.Load(name + ", Version=1.0.0.0"));
            Assert.Single(_loads);
        }

        private ModuleDependencies Resolver(bool loaded)
        {
            var shipped = new Dictionary<string, AssemblyName> { [Path.Combine(_folder, "ZstdSharp.dll")] = AssemblyName.GetAssemblyName(Path.Combine(_folder, "ZstdSharp.dll")) };
            return new ModuleDependencies(shipped, () => loaded ? new[] { typeof(object).Assembly, s_zstd } : new[] { typeof(object).Assembly }, path => { _loads.Add(path); return null; });
        }

        private static string Requested(Version version, byte[] token)
        {
            var name = new AssemblyName("ZstdSharp") { Version = version, CultureInfo = System.Globalization.CultureInfo.InvariantCulture };
            name.SetPublicKeyToken(token);
            return name.FullName;
        }
    }
}
