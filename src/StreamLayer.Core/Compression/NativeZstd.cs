using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace StreamLayer.Compression
{
    /// <summary>
    /// Whether the native libzstd that ZstdNet ships can be used here. .NET (PowerShell 7) finds a module's native
    /// library only where it is told, so its runtimes/&lt;rid&gt;/native copy beside this assembly is handed to ZstdNet
    /// through NativeLibrary (found by reflection: netstandard2.0 cannot name it). The .NET Framework line
    /// (Windows PowerShell 5.1, Mono) has no NativeLibrary and keeps ZstdSharp. A frame from libzstd must be the frame
    /// ZstdSharp writes, or libzstd is not used: the Digest never depends on which one ran.
    /// </summary>
    internal static class NativeZstd
    {
        private static readonly Lazy<bool> s_available = new Lazy<bool>(Probe);

        public static bool IsAvailable => !FrameworkCodePaths.ForceManagedZstd && s_available.Value;

        /// <summary>Why libzstd is not used, for the tests and -Verbose; null when it is.</summary>
        public static string Unavailable { get; private set; }

        private static bool Probe()
        {
            if (FrameworkCodePaths.IsFrameworkLine)
            {
                Unavailable = "the .NET Framework line has no NativeLibrary";
                return false;
            }

            try
            {
                Type nativeLibrary = typeof(object).Assembly.GetType("System.Runtime.InteropServices.NativeLibrary", throwOnError: false);
                Type resolverType = typeof(object).Assembly.GetType("System.Runtime.InteropServices.DllImportResolver", throwOnError: false);
                MethodInfo setResolver = nativeLibrary?.GetMethod("SetDllImportResolver", new[] { typeof(Assembly), resolverType });
                if (setResolver == null || LibraryPath() == null)
                {
                    Unavailable = LibraryPath() == null ? "no libzstd is shipped for this platform" : "this runtime has no NativeLibrary";
                    return false;
                }

                MethodInfo resolve = typeof(NativeZstd).GetMethod(nameof(Resolve), BindingFlags.NonPublic | BindingFlags.Static);
                setResolver.Invoke(null, new object[] { ZstdNetAssembly(), Delegate.CreateDelegate(resolverType, resolve) });
                return SameFrames();
            }
            catch (Exception e)
            {
                // Any failure to load or run libzstd (a missing or foreign library, a platform it was not built for)
                // only means the managed encoder, which gives the same bytes.
                Unavailable = "libzstd did not load: " + (e.InnerException ?? e).GetType().Name;
                return false;
            }
        }

        // Its own method, so that ZstdNet is loaded only past the checks above (Mono cannot load it at all).
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static Assembly ZstdNetAssembly() => typeof(ZstdNet.Compressor).Assembly;

        /// <summary>Both encoders on a sample with repeats and noise, at the fastest, the default and a high level.</summary>
        private static bool SameFrames()
        {
            var sample = new byte[300_000];
            var random = new Random(19);
            for (int i = 0; i < sample.Length; i++)
            {
                sample[i] = i % 7000 < 3000 ? (byte)random.Next(256) : (byte)"layer "[i % 6];
            }

            foreach (int level in new[] { 1, 3, 9 })
            {
                using (var managed = ZstdContext.Managed(level))
                using (var native = ZstdContext.Native(level))
                {
                    var a = new byte[ZstdSharp.Compressor.GetCompressBound(sample.Length)];
                    var b = new byte[a.Length];
                    int n = managed.Compress(sample, 0, sample.Length, a);
                    if (native.Compress(sample, 0, sample.Length, b) != n || !a.AsSpan(0, n).SequenceEqual(b.AsSpan(0, n)))
                    {
                        Unavailable = "libzstd's frames differ from ZstdSharp's at level " + level;
                        return false;
                    }
                }
            }

            return true;
        }

        private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
        {
            string path = LibraryPath();
            if (libraryName != "libzstd" || path == null)
            {
                return IntPtr.Zero;
            }

            Type nativeLibrary = typeof(object).Assembly.GetType("System.Runtime.InteropServices.NativeLibrary", throwOnError: true);
            var arguments = new object[] { path, IntPtr.Zero };
            bool loaded = (bool)nativeLibrary.GetMethod("TryLoad", new[] { typeof(string), typeof(IntPtr).MakeByRefType() }).Invoke(null, arguments);
            return loaded ? (IntPtr)arguments[1] : IntPtr.Zero;
        }

        /// <summary>runtimes/&lt;rid&gt;/native/libzstd.* beside this assembly, as the package lays it out; null when there is none.</summary>
        private static string LibraryPath()
        {
            string os, file;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) { os = "win"; file = "libzstd.dll"; }
            else if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) { os = "linux"; file = "libzstd.so"; }
            else if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX)) { os = "osx"; file = "libzstd.dylib"; }
            else { return null; }

            string arch;
            switch (RuntimeInformation.ProcessArchitecture)
            {
                case Architecture.X64: arch = "x64"; break;
                case Architecture.Arm64: arch = "arm64"; break;
                case Architecture.X86: arch = "x86"; break;
                default: return null;
            }

            string folder = Path.GetDirectoryName(typeof(NativeZstd).Assembly.Location);
            if (string.IsNullOrEmpty(folder))
            {
                return null;
            }

            string path = Path.Combine(folder, "runtimes", os + "-" + arch, "native", file);
            return File.Exists(path) ? path : null;
        }
    }
}
