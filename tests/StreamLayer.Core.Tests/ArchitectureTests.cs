using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace StreamLayer.Tests
{
    /// <summary>
    /// docs/architecture.md stays true: its table of folders says which namespaces each one uses, and the compiled
    /// assemblies must use exactly those (a new dependency, or one that went away, fails until the picture says so);
    /// every namespace is its folder; and no two folders use each other, however indirectly.
    /// </summary>
    public class ArchitectureTests
    {
        private readonly ITestOutputHelper _output;

        public ArchitectureTests(ITestOutputHelper output) => _output = output;

        public static TheoryData<string> Assemblies => new TheoryData<string> { "StreamLayer.Core", "StreamLayer.PowerShell" };

        [Theory]
        [MemberData(nameof(Assemblies))]
        public void EveryFolderUsesExactlyWhatThePictureSays(string assembly)
        {
            NamespaceDependencies actual = NamespaceDependencies.Read(AssemblyPath(assembly));
            foreach ((string from, string to) in actual.Edges.Keys.OrderBy(e => e.From, StringComparer.Ordinal).ThenBy(e => e.To, StringComparer.Ordinal))
            {
                List<string> types = actual.Edges[(from, to)];
                _output.WriteLine(from + " -> " + to + ": " + types.Distinct().Count() + " type(s): " + string.Join(" ", types.Distinct().OrderBy(t => t, StringComparer.Ordinal)));
            }

            Dictionary<string, HashSet<string>> picture = Picture();
            var wrong = new List<string>();
            foreach (KeyValuePair<string, HashSet<string>> uses in actual.Uses.OrderBy(u => u.Key, StringComparer.Ordinal))
            {
                if (!picture.TryGetValue(uses.Key, out HashSet<string> allowed))
                {
                    wrong.Add(uses.Key + " is not in the picture");
                    continue;
                }

                wrong.AddRange(uses.Value.Except(allowed).OrderBy(n => n, StringComparer.Ordinal).Select(n => uses.Key + " uses " + n + ", which the picture does not show"));
                wrong.AddRange(allowed.Except(uses.Value).OrderBy(n => n, StringComparer.Ordinal).Select(n => uses.Key + " does not use " + n + ", which the picture shows"));
            }

            Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
        }

        [Fact]
        public void ThePictureNamesEveryNamespaceOnceAndHasNoCycle()
        {
            Dictionary<string, HashSet<string>> picture = Picture();
            var present = new HashSet<string>(StringComparer.Ordinal);
            foreach (string assembly in new[] { "StreamLayer.Core", "StreamLayer.PowerShell" })
            {
                present.UnionWith(NamespaceDependencies.Read(AssemblyPath(assembly)).Types.Keys);
            }

            Assert.Empty(picture.Keys.Except(present));
            Assert.Empty(present.Except(picture.Keys));

            // Kahn's algorithm: a picture that reads in one direction can be emptied leaf first.
            var left = picture.ToDictionary(p => p.Key, p => new HashSet<string>(p.Value.Where(picture.ContainsKey)));
            while (left.Count > 0)
            {
                string[] leaves = left.Where(p => p.Value.Count == 0).Select(p => p.Key).ToArray();
                Assert.True(leaves.Length > 0, "These folders use each other: " + string.Join(", ", left.Keys));
                foreach (string leaf in leaves)
                {
                    left.Remove(leaf);
                    foreach (HashSet<string> uses in left.Values)
                    {
                        uses.Remove(leaf);
                    }
                }
            }
        }

        [Fact]
        public void EveryNamespaceIsItsFolder()
        {
            var wrong = new List<string>();
            foreach ((string project, string rootNamespace) in new[] { ("StreamLayer.Core", "StreamLayer"), ("StreamLayer.PowerShell", "StreamLayer.Commands") })
            {
                string folder = Path.Combine(RepositoryRoot(), "src", project);
                foreach (string file in Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories).Where(f => !IsBuildOutput(folder, f)))
                {
                    string relative = Path.GetRelativePath(folder, Path.GetDirectoryName(file));
                    string expected = relative == "." ? rootNamespace : rootNamespace + "." + relative.Replace(Path.DirectorySeparatorChar, '.');
                    string[] declared = Regex.Matches(File.ReadAllText(file), @"^namespace\s+([\w.]+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToArray();
                    if (declared.Length != 1 || declared[0] != expected)
                    {
                        wrong.Add(Path.GetRelativePath(RepositoryRoot(), file) + " declares " + string.Join(", ", declared) + ", its folder is " + expected);
                    }
                }
            }

            Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
        }

        /// <summary>
        /// The rows of the table in docs/architecture.md headed "| Folder | Namespace | Holds | Uses |": the namespace
        /// (second cell, in backticks) and what it uses (fourth cell: namespaces after "StreamLayer.", "StreamLayer"
        /// itself as "(root)", "—" for nothing).
        /// </summary>
        private static Dictionary<string, HashSet<string>> Picture()
        {
            var picture = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            bool inTable = false;
            foreach (string line in File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", "architecture.md")))
            {
                if (Regex.IsMatch(line, @"^\|\s*Folder\s*\|\s*Namespace\s*\|\s*Holds\s*\|\s*Uses\s*\|"))
                {
                    inTable = true;
                    continue;
                }

                if (!inTable || Regex.IsMatch(line, @"^\|\s*-"))
                {
                    continue;
                }

                if (!line.StartsWith("|", StringComparison.Ordinal))
                {
                    break;
                }

                string[] cells = line.Split('|');
                string ns = cells[2].Trim().Trim('`');
                var uses = new HashSet<string>(
                    cells[4].Split(',').Select(c => c.Trim()).Where(c => c.Length > 0 && c != "—").Select(c => c == "(root)" ? "StreamLayer" : "StreamLayer." + c),
                    StringComparer.Ordinal);
                Assert.True(picture.TryAdd(ns, uses), ns + " has two rows");
            }

            Assert.True(picture.Count > 5, "docs/architecture.md has no table headed | Folder | Namespace | Holds | Uses |");
            return picture;
        }

        private static bool IsBuildOutput(string project, string file)
        {
            string relative = Path.GetRelativePath(project, file);
            return relative.StartsWith("obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal) || relative.StartsWith("bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        }

        private static string AssemblyPath(string name) =>
            Environment.GetEnvironmentVariable("STREAMLAYER_DEPENDENCY_FOLDER") is string folder && folder.Length > 0
                ? Path.Combine(folder, name + ".dll")
                : Path.Combine(AppContext.BaseDirectory, name + ".dll");

        private static string RepositoryRoot()
        {
            for (string folder = AppContext.BaseDirectory; folder != null; folder = Path.GetDirectoryName(folder))
            {
                if (File.Exists(Path.Combine(folder, "global.json")) && Directory.Exists(Path.Combine(folder, "docs")))
                {
                    return folder;
                }
            }

            throw new DirectoryNotFoundException("No repository root (global.json and docs/) above " + AppContext.BaseDirectory);
        }
    }
}
