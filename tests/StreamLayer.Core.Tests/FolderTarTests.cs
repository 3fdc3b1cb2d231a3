using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using StreamLayer.Folders;
using Xunit;

namespace StreamLayer.Tests
{
    /// <summary>
    /// A folder's tar is GNU tar's, byte for byte, for the command the help names; the same tree gives the same
    /// bytes however it was made; and a folder that changes while it is read fails instead of making a tar that lies.
    /// </summary>
    public sealed class FolderTarTests : IDisposable
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), "sl-folder-" + Guid.NewGuid().ToString("N"));

        public FolderTarTests() => Directory.CreateDirectory(_root);

        public void Dispose() => Run("chmod -R u+rwx '" + _root + "' 2>/dev/null; rm -rf '" + _root + "'");

        public static TheoryData<long> Epochs => new TheoryData<long> { 0, 1700000000, 9999999999 };

        [Theory]
        [MemberData(nameof(Epochs))]
        public void IsByteIdenticalToGnuTarOfTheSameTree(long epoch)
        {
            string tree = MakeTree("t", umask: "022");

            byte[] ours = Tar(tree, new FolderLayer(null, null, null, null, epoch, null));
            byte[] gnu = GnuTar(tree, epoch);

            Assert.Equal(TestData.Sha256(gnu), TestData.Sha256(ours));
            Assert.Equal(gnu, ours);
        }

        [Fact]
        public void TheSameTreeMadeInAnotherOrderWithOtherTimesAndUmaskGivesTheSameBytes()
        {
            string first = MakeTree("a", umask: "022");
            string second = MakeTree("b", umask: "077", reverse: true);
            Run("find '" + second + "' -exec touch -h -d @123456789 {} +");

            var layer = new FolderLayer(null, null, null, null, 0, null);
            Assert.Equal(TestData.Sha256(Tar(first, layer)), TestData.Sha256(Tar(second, layer)));
        }

        [Fact]
        public void ASizeOverElevenOctalDigitsGoesInAPaxRecordAsGnuTarWritesIt()
        {
            // GNU tar: a PAX size record, 0 in the ustar field; checked against its own header (the file is sparse).
            byte[] header = TarHeader.For(Encoding.ASCII.GetBytes("big"), TarEntryKind.File, FolderLayer.FileMode, TarHeader.MaxOctal11 + 1, null, 0);
            string tree = Path.Combine(_root, "big");
            Directory.CreateDirectory(tree);
            Run("truncate -s " + (TarHeader.MaxOctal11 + 1) + " '" + tree + "/big'");
            byte[] gnu = Shell("cd '" + tree + "' && " + GnuTarCommand(0) + " | head -c " + header.Length);
            Assert.Equal(gnu, header);
        }

        [Fact]
        public void PrefixExcludeExecutableAndDeleteShapeTheEntries()
        {
            string tree = Path.Combine(_root, "shape");
            Directory.CreateDirectory(Path.Combine(tree, "obj", "deep"));
            Directory.CreateDirectory(Path.Combine(tree, "bin"));
            File.WriteAllText(Path.Combine(tree, "obj", "deep", "x.o"), "o");
            File.WriteAllText(Path.Combine(tree, "bin", "tool"), "#!/bin/sh\n");
            File.WriteAllText(Path.Combine(tree, "a.log"), "log");
            File.WriteAllText(Path.Combine(tree, "bin", "b.log"), "log");
            File.WriteAllText(Path.Combine(tree, "keep"), "k");

            var layer = new FolderLayer("/srv//app/", new[] { "obj", "**/*.log" }, new[] { "bin/*" }, new[] { "/etc/motd", "/var/cache/" }, 0, null);
            string listing = Encoding.UTF8.GetString(Shell("tar -tvf -", Tar(tree, layer)));

            Assert.Equal(
                new[]
                {
                    "-rw-r--r-- 0/0 0 1970-01-01 00:00 etc/.wh.motd",
                    "-rw-r--r-- 0/0 0 1970-01-01 00:00 var/.wh.cache",
                    "drwxr-xr-x 0/0 0 1970-01-01 00:00 srv/",
                    "drwxr-xr-x 0/0 0 1970-01-01 00:00 srv/app/",
                    "drwxr-xr-x 0/0 0 1970-01-01 00:00 srv/app/bin/",
                    "-rwxr-xr-x 0/0 10 1970-01-01 00:00 srv/app/bin/tool",
                    "-rw-r--r-- 0/0 1 1970-01-01 00:00 srv/app/keep",
                },
                listing.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(" ", l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToArray());
        }

        [Theory]
        [InlineData("/app/../etc")]
        [InlineData("..")]
        public void APrefixOrDeletionThatEscapesIsRefused(string path)
        {
            Assert.Equal(LayerInputProblem.LayerPathInvalid, Assert.IsType<LayerInputException>(Record.Exception(() => new FolderLayer(path, null, null, null, 0, null))).Problem);
            Assert.Equal(LayerInputProblem.LayerPathInvalid, Assert.IsType<LayerInputException>(Record.Exception(() => new FolderLayer(null, null, null, new[] { path }, 0, null))).Problem);
        }

        [Theory]
        [InlineData("*.log", "a.log", true)]
        [InlineData("*.log", "d/a.log", false)]
        [InlineData("**/*.log", "d/e/a.log", true)]
        [InlineData("**/*.log", "a.log", true)]
        [InlineData("/obj/", "obj", true)]
        [InlineData("d/**", "d/x/y", true)]
        [InlineData("file?.[ch]", "file1.c", true)]
        [InlineData("file?.[!ch]", "file1.c", false)]
        [InlineData("bin\\*", "bin/tool", true)]
        [InlineData("Obj", "obj", false)]
        public void PatternsMatchAsDockerignoreDoes(string pattern, string path, bool matches) =>
            Assert.Equal(matches, PathPattern.Parse(pattern, "Exclude").Matches(path));

        [Fact]
        public void ANonUtf8NameFailsTheLayer()
        {
            SkipUnlessLinux();
            string tree = Path.Combine(_root, "bad");
            Directory.CreateDirectory(tree);
            Run("touch '" + tree + "'/$'bad\\xffname'");

            var error = Assert.IsType<LayerInputException>(Record.Exception(() => Tar(tree, new FolderLayer(null, null, null, null, 0, null))));
            Assert.Equal(LayerInputProblem.EntryNameInvalid, error.Problem);

            // Left out, it is no problem.
            Tar(tree, new FolderLayer(null, new[] { "bad*" }, null, null, 0, null));
        }

        [Fact]
        public void AFileThatGrowsAfterItsHeaderFailsTheLayer()
        {
            string tree = Path.Combine(_root, "grow");
            Directory.CreateDirectory(tree);
            File.WriteAllText(Path.Combine(tree, "a"), "12345");
            using (Stream tar = new FolderLayer(null, null, null, null, 0, null).Open(tree))
            {
                var header = new byte[512];
                Assert.Equal(512, tar.Read(header, 0, 512));
                File.AppendAllText(Path.Combine(tree, "a"), "more");
                var error = Assert.IsType<LayerInputException>(Record.Exception(() => tar.CopyTo(Stream.Null)));
                Assert.Equal(LayerInputProblem.EntryChanged, error.Problem);
                Assert.Contains("grew", error.Message);
            }
        }

        [Fact]
        public void AFileThatShrinksAfterItsHeaderFailsTheLayer()
        {
            string tree = Path.Combine(_root, "shrink");
            Directory.CreateDirectory(tree);
            File.WriteAllBytes(Path.Combine(tree, "a"), new byte[10000]);
            using (Stream tar = new FolderLayer(null, null, null, null, 0, null).Open(tree))
            {
                var header = new byte[512];
                Assert.Equal(512, tar.Read(header, 0, 512));
                using (var file = new FileStream(Path.Combine(tree, "a"), FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
                {
                    file.SetLength(100);
                }

                var error = Assert.IsType<LayerInputException>(Record.Exception(() => tar.CopyTo(Stream.Null)));
                Assert.Equal(LayerInputProblem.EntryChanged, error.Problem);
                Assert.Contains("ended after 100 bytes", error.Message);
            }
        }

        [Fact]
        public void AFileRemovedBeforeItsTurnFailsTheLayerAndOneRemovedOnceOpenIsReadAsItWas()
        {
            SkipUnlessLinux();
            string tree = Path.Combine(_root, "vanish");
            Directory.CreateDirectory(tree);
            File.WriteAllText(Path.Combine(tree, "a"), "first");
            File.WriteAllText(Path.Combine(tree, "b"), "second");
            using (Stream tar = new FolderLayer(null, null, null, null, 0, null).Open(tree))
            {
                var header = new byte[512];
                Assert.Equal(512, tar.Read(header, 0, 512));

                // a is open: removing it leaves its bytes readable. b is not yet: it is gone when its turn comes.
                File.Delete(Path.Combine(tree, "a"));
                File.Delete(Path.Combine(tree, "b"));
                var rest = new byte[512];
                Assert.Equal(512, tar.Read(rest, 0, 512));
                Assert.Equal("first", Encoding.ASCII.GetString(rest, 0, 5));
                var error = Assert.IsType<LayerInputException>(Record.Exception(() => tar.CopyTo(Stream.Null)));
                Assert.Equal(LayerInputProblem.EntryVanished, error.Problem);
                Assert.Equal("b", error.Subject);
            }
        }

        [Fact]
        public void ALoopOfSymlinkedFoldersIsStoredAsLinks()
        {
            SkipUnlessLinux();
            string tree = Path.Combine(_root, "loop");
            Directory.CreateDirectory(Path.Combine(tree, "x"));
            Directory.CreateDirectory(Path.Combine(tree, "y"));
            Run("ln -s ../y '" + tree + "/x/to-y' && ln -s ../x '" + tree + "/y/to-x' && ln -s . '" + tree + "/self'");

            string listing = Encoding.UTF8.GetString(Shell("tar -tvf -", Tar(tree, new FolderLayer(null, null, null, null, 0, null))));
            Assert.Contains("self -> .", listing);
            Assert.Contains("x/to-y -> ../y", listing);
            Assert.Contains("y/to-x -> ../x", listing);
            Assert.Equal(5, listing.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        }

        [Fact]
        public void SocketsAndFifosAreLeftOutWithAWarning()
        {
            SkipUnlessLinux();
            string tree = Path.Combine(_root, "special");
            Directory.CreateDirectory(tree);
            Run("mkfifo '" + tree + "/fifo' && echo x > '" + tree + "/file'");
            var warnings = new System.Collections.Generic.List<string>();

            string listing = Encoding.UTF8.GetString(Shell("tar -tf -", Tar(tree, new FolderLayer(null, null, null, null, 0, warnings.Add))));
            Assert.Equal("file\n", listing);
            Assert.Contains(warnings, w => w.Contains("'fifo'") && w.Contains("FIFO"));
        }

        /// <summary>The tree the DiffId pin covers: nested folders, a long name, a unicode name, an executable, symlinks (one out of the tree), an empty folder, an empty file, a hard link, and names whose order differs between a sort of whole paths and tar's walk.</summary>
        private string MakeTree(string name, string umask, bool reverse = false)
        {
            string tree = Path.Combine(_root, name);
            string[] steps =
            {
                "mkdir -p d/e empty 'sp ace' a " + string.Concat(Enumerable.Repeat("dir", 40)) + "/sub",
                "printf 'hello\\n' > d/e/f",
                "printf '#!/bin/sh\\necho run\\n' > run && chmod u+x run",
                ": > emptyfile",
                "ln -s d/e/f link && ln -s ../../outside d/out",
                "printf long > " + new string('n', 120),
                "printf deep > " + string.Concat(Enumerable.Repeat("dir", 40)) + "/sub/" + new string('f', 90),
                "printf 'h\\xc3\\xa9' > 'h\u00e9llo \u65e5\u672c'",
                "printf y > a/b && printf z > a-c",
                "ln -s " + new string('t', 150) + " longlink",
                "printf hard > d/hard && ln d/hard d/hardlink",
                "printf x > 'sp ace/x'",
            };
            Directory.CreateDirectory(tree);
            string[] ordered = reverse ? steps.Take(1).Concat(steps.Skip(1).Reverse()).ToArray() : steps;
            Run("umask " + umask + " && cd '" + tree + "' && " + string.Join(" && ", ordered));
            return tree;
        }

        private static byte[] Tar(string tree, FolderLayer layer)
        {
            using (Stream tar = layer.Open(tree))
            using (var copy = new MemoryStream())
            {
                // Odd reads, so that no header or file lines up with a read.
                var buffer = new byte[777];
                int n;
                while ((n = tar.Read(buffer, 0, buffer.Length)) > 0)
                {
                    copy.Write(buffer, 0, n);
                }

                return copy.ToArray();
            }
        }

        private static string GnuTarCommand(long epoch) =>
            "find . -mindepth 1 -maxdepth 1 -printf '%P\\0' | LC_ALL=C sort -z | LC_ALL=C tar -c -f - --null -T - --sort=name --format=posix -b1 --mtime=@" + epoch
            + " --owner=0 --group=0 --numeric-owner --mode=a=rX,u+w,ug-s --hard-dereference --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime";

        private static byte[] GnuTar(string tree, long epoch) => Shell("cd '" + tree + "' && " + GnuTarCommand(epoch));

        private static void SkipUnlessLinux()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
            {
                throw new InvalidOperationException("This test runs on Linux only.");
            }
        }

        private static void Run(string script) => Shell(script);

        private static byte[] Shell(string script, byte[] input = null)
        {
            var start = new ProcessStartInfo("bash", new[] { "-c", script })
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = input != null,
            };
            using (Process process = Process.Start(start))
            {
                var output = new MemoryStream();
                System.Threading.Tasks.Task copy = process.StandardOutput.BaseStream.CopyToAsync(output);
                System.Threading.Tasks.Task<string> errors = process.StandardError.ReadToEndAsync();
                if (input != null)
                {
                    process.StandardInput.BaseStream.Write(input, 0, input.Length);
                    process.StandardInput.Close();
                }

                Assert.True(process.WaitForExit(120_000), "bash -c " + script + " did not end in 2 minutes.");
                copy.Wait();
                Assert.True(process.ExitCode == 0 || script.Contains("| head -c"), "bash -c " + script + " failed: " + errors.Result);
                return output.ToArray();
            }
        }
    }
}
