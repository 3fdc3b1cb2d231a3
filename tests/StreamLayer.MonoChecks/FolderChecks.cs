using System.IO;
using StreamLayer.Folders;

namespace StreamLayer.MonoChecks
{
    /// <summary>A folder's tar, written by the net472 build on Mono (its own file enumeration, libc through Mono's dllmap), is GNU tar's byte for byte.</summary>
    internal sealed class FolderChecks
    {
        private readonly string _tree;

        public FolderChecks(string work)
        {
            _tree = Path.Combine(work, "folder");
            Directory.CreateDirectory(_tree);
            Tools.Bash("cd '" + _tree + "' && mkdir -p d/e empty a && printf hi > d/e/f && printf '#!/bin/sh\\n' > run && chmod 744 run && : > emptyfile"
                + " && ln -s d/e/f link && ln -s ../../outside d/out && printf long > " + new string('n', 120) + " && printf u > 'h\u00e9llo' && printf y > a/b && printf z > a-c && mkfifo fifo");
        }

        public void Run(CheckRunner checks)
        {
            checks.Run("a folder's tar is GNU tar's posix tar of it, byte for byte (sha256sum), the FIFO left out", () =>
            {
                string ours = Path.Combine(_tree, "..", "folder.tar");
                using (Stream tar = new FolderLayer(null, null, null, null, 1700000000, null).Open(_tree))
                using (FileStream file = File.Create(ours))
                {
                    tar.CopyTo(file);
                }

                string gnu = Tools.Sha256SumOf("cd '" + _tree + "' && find . -mindepth 1 -maxdepth 1 ! -name fifo -printf '%P\\0' | LC_ALL=C sort -z | LC_ALL=C tar -c -f - --null -T - --sort=name --format=posix -b1"
                    + " --mtime=@1700000000 --owner=0 --group=0 --numeric-owner --mode=a=rX,u+w,ug-s --hard-dereference --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime");
                Expect.Equal(gnu, Tools.Sha256Sum(ours), "the tar's sha256sum");
            });
        }
    }
}
