using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using StreamLayer.Registry.Auth;

namespace StreamLayer.Commands
{
    /// <summary>Completes -Platform with the os/architecture[/variant] values images are commonly built for.</summary>
    internal sealed class PlatformCompleter : IArgumentCompleter
    {
        private static readonly string[] s_platforms =
        {
            "linux/amd64", "linux/arm64", "linux/arm64/v8", "linux/arm/v7", "linux/arm/v6", "linux/386",
            "linux/ppc64le", "linux/s390x", "linux/riscv64", "linux/mips64le", "windows/amd64", "windows/arm64",
        };

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
            Completions.Matching(s_platforms, wordToComplete, p => p);
    }

    /// <summary>
    /// Completes -Repository and -BaseImage with the registries docker login and podman login stored logins
    /// for, as <c>host/</c>, ready for the repository's name.
    /// </summary>
    internal sealed class RegistryCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            IReadOnlyList<string> registries;
            try
            {
                registries = new DockerCredentialStore(TimeSpan.FromSeconds(5)).KnownRegistries();
            }
            catch (Exception e) when (!(e is OutOfMemoryException))
            {
                // Completion is a convenience: a broken file shows as no suggestions, and a push reports it properly.
                return Enumerable.Empty<CompletionResult>();
            }

            return Completions.Matching(registries.Select(r => r + "/"), wordToComplete, r => "A registry you are logged in to");
        }
    }

    /// <summary>-CompressionLevel: the named levels, then the numbers of the format -Compression names (gzip by default).</summary>
    internal sealed class CompressionLevelCompleter : IArgumentCompleter
    {
        private static readonly string[] s_names = { "Fastest", "Optimal", "SmallestSize", "NoCompression" };

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            string format = fakeBoundParameters?["Compression"]?.ToString() ?? "Gzip";
            IEnumerable<string> numbers = format.Equals("Zstd", StringComparison.OrdinalIgnoreCase)
                ? Enumerable.Range(1, 22).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture))
                : format.Equals("None", StringComparison.OrdinalIgnoreCase)
                    ? Enumerable.Empty<string>()
                    : Enumerable.Range(0, 10).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture));
            IEnumerable<string> names = format.Equals("None", StringComparison.OrdinalIgnoreCase) ? Enumerable.Empty<string>() : s_names;
            return Completions.Matching(names.Concat(numbers), wordToComplete, level => Describe(level, format));
        }

        private static string Describe(string level, string format)
        {
            switch (level)
            {
                case "Fastest": return "The format's fastest level (gzip 1, zstd 1)";
                case "Optimal": return "A balanced level (gzip 6, zstd 3)";
                case "SmallestSize": return "The smallest output (gzip 9, zstd 19)";
                case "NoCompression": return "gzip level 0: stored, not compressed";
                default: return format + " level " + level;
            }
        }
    }

    internal static class Completions
    {
        /// <summary>The values that start with the word typed so far (case-insensitive), quoted where PowerShell needs it.</summary>
        public static IEnumerable<CompletionResult> Matching(IEnumerable<string> values, string wordToComplete, Func<string, string> tooltip)
        {
            string typed = (wordToComplete ?? string.Empty).Trim('\'', '"');
            foreach (string value in values)
            {
                if (value.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
                {
                    yield return new CompletionResult(value, value, CompletionResultType.ParameterValue, tooltip(value));
                }
            }
        }
    }
}
