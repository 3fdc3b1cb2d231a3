# Layers made from a folder (-Directory, or a folder from the pipeline), checked with tools that know nothing of
# StreamLayer: GNU tar writes the same tree and sha256sum pins the DiffId; tar lists and extracts the layer; skopeo,
# umoci and podman read and run an image made from a folder; the real registry holds nothing after bad input.
BeforeAll {
    Import-Module $env:STREAMLAYER_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRegistry.psm1') -Force

    $script:work = New-TestDirectory
    $script:registry = Start-TestRegistry
    $script:reg = $registry.Host
    $script:podman = New-TestPodmanRoot
    $script:mounts = [Collections.Generic.List[string]]::new()

    function script:Invoke-Bash([string] $Script) {
        $output = & bash -c $Script 2>&1
        if ($LASTEXITCODE -ne 0) { throw "bash -c $Script failed: $output" }
        $output
    }

    # The tree the pin covers: nested folders, a long name (over 100 bytes) and a long path, a unicode name, an
    # executable, a symlink in the tree and one out of it, an empty folder, an empty file, a hard link, and a
    # folder a whose sibling a-c sorts before a/b as a whole path but after it in tar's walk. -Reverse makes it in
    # the other order, so the listing order of the file system differs too.
    function script:New-FixedTree([string] $Name, [string] $Umask = '022', [switch] $Reverse) {
        $tree = Join-Path $work $Name
        $null = New-Item -ItemType Directory $tree
        $deep = 'dir' * 40
        $steps = @(
            "printf 'hello\n' > d/e/f"
            "printf '#!/bin/sh\necho run\n' > run && chmod u+x run"
            ': > emptyfile'
            'ln -s d/e/f link && ln -s ../../outside d/out'
            "printf long > $('n' * 120)"
            "printf deep > $deep/sub/$('f' * 90)"
            "printf 'h\xc3\xa9' > 'h$([char]0xe9)llo $([char]0x65e5)$([char]0x672c)'"
            'printf y > a/b && printf z > a-c'
            "ln -s $('t' * 150) longlink"
            'printf hard > d/hard && ln d/hard d/hardlink'
        )
        if ($Reverse) { [array]::Reverse($steps) }
        Invoke-Bash "umask $Umask && cd '$tree' && mkdir -p d/e empty a $deep/sub && $($steps -join ' && ')"
        $tree
    }

    # The reference: GNU tar's posix tar of the tree, as the help names the command.
    function script:Get-GnuTarSha256([string] $Tree, [long] $Epoch) {
        $tar = Join-Path $work ([guid]::NewGuid().ToString('N') + '.tar')
        Invoke-Bash ("cd '$Tree' && find . -mindepth 1 -maxdepth 1 -printf '%P\0' | LC_ALL=C sort -z | LC_ALL=C tar -c -f - --null -T - --sort=name " +
            "--format=posix -b1 --mtime=@$Epoch --owner=0 --group=0 --numeric-owner --mode=a=rX,u+w,ug-s --hard-dereference " +
            "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime > '$tar'")
        Get-Sha256Sum $tar
    }

    # The layer's tar (uncompressed) in a file, for tar to read.
    function script:Save-FolderTar([string] $Tree, [hashtable] $Options = @{}) {
        $tar = Join-Path $work ([guid]::NewGuid().ToString('N') + '.tar')
        $null = Get-LayerDigest -Directory $Tree -Compression None -OutFile $tar @Options
        $tar
    }

    function script:Get-Listing([string] $Tar) {
        @(Invoke-Bash "tar -tvf '$Tar'" | ForEach-Object { ("$_" -split '\s+', 6)[0, 1, 2, 5] -join ' ' })
    }

    function script:Invoke-Skopeo {
        $output = & skopeo @args 2>&1
        if ($LASTEXITCODE -ne 0) { throw "skopeo $args failed: $output" }
        $output -join "`n"
    }

    $script:tree = New-FixedTree 'fixed'

    # Undoes the bind mounts (lazily when a file on one is still open), so that no test leaves one behind.
    function script:Dismount-TestFiles {
        foreach ($mount in @($script:mounts)) {
            & umount $mount 2>$null
            if ($LASTEXITCODE -ne 0) { & umount -l $mount 2>&1 | Write-Host }
            $null = $script:mounts.Remove($mount)
        }
    }
}

AfterAll {
    Dismount-TestFiles
    if ($script:registry) { Stop-TestRegistry $script:registry }
    Remove-Item -Recurse -Force $script:work, $script:podman -ErrorAction Ignore
}

Describe 'A folder layer is GNU tar''s posix tar of the folder, byte for byte' {
    It 'has the DiffId sha256sum gives for GNU tar''s tar of the same tree (epoch <_>)' -ForEach 0, 1700000000 {
        $blob = Join-Path $work "fixed-$_.tar.gz"
        $layer = Get-LayerDigest -Directory $tree -SourceDateEpoch $_ -OutFile $blob

        $layer.DiffId | Should -Be (Get-GnuTarSha256 $tree $_)
        $layer.Path | Should -Be $tree
        Get-Sha256Sum $blob | Should -Be $layer.Digest
        Get-GunzipSha256 $blob | Should -Be $layer.DiffId -Because 'gzip -dc of the blob is the tar'
    }

    It 'takes SOURCE_DATE_EPOCH when -SourceDateEpoch is not given, and 0 when neither is' {
        $unset = Get-LayerDigest -Directory $tree
        $unset.DiffId | Should -Be (Get-GnuTarSha256 $tree 0)
        try {
            $env:SOURCE_DATE_EPOCH = '1700000000'
            (Get-LayerDigest -Directory $tree).DiffId | Should -Be (Get-GnuTarSha256 $tree 1700000000)
            (Get-LayerDigest -Directory $tree -SourceDateEpoch 0).DiffId | Should -Be $unset.DiffId -Because '-SourceDateEpoch wins'
        }
        finally {
            Remove-Item Env:SOURCE_DATE_EPOCH
        }
    }

    It 'reads SOURCE_DATE_EPOCH only for a folder: a bad value stops a folder layer (InvalidOption), not a tar' {
        $tar = Save-FolderTar $tree
        try {
            $env:SOURCE_DATE_EPOCH = 'yesterday'
            { Get-LayerDigest -Directory $tree } | Should -Throw -ErrorId 'InvalidOption,*'
            (Get-LayerDigest -Path $tar).DiffId | Should -Be (Get-Sha256Sum $tar)
        }
        finally {
            Remove-Item Env:SOURCE_DATE_EPOCH
        }
    }

    It 'gives the same DiffId and Digest for the same tree made in the other order, with other times and umask 077' {
        $other = New-FixedTree 'other' -Umask '077' -Reverse
        Invoke-Bash "find '$other' -exec touch -h -d @987654321 {} +"
        $first = Get-LayerDigest -Directory $tree
        $second = Get-LayerDigest -Directory $other
        $second.DiffId | Should -Be $first.DiffId
        $second.Digest | Should -Be $first.Digest
        (Get-LayerDigest -Directory $other -Compression Zstd).Digest | Should -Be (Get-LayerDigest -Directory $tree -Compression Zstd).Digest
    }

    It 'takes a folder from the pipeline as -Directory takes it, each folder its own layer' {
        $piped = Get-Item $tree | Get-LayerDigest
        $piped.DiffId | Should -Be (Get-LayerDigest -Directory $tree).DiffId

        $parent = Join-Path $work 'two'
        $null = New-Item -ItemType Directory (Join-Path $parent 'x'), (Join-Path $parent 'y')
        Set-Content -LiteralPath (Join-Path $parent 'x/file') -Value 'x'
        Set-Content -LiteralPath (Join-Path $parent 'y/file') -Value 'y'
        $layers = @(Get-ChildItem -Directory $parent | Sort-Object Name | Get-LayerDigest)
        $layers.Count | Should -Be 2
        $layers[0].Path | Should -Be (Join-Path $parent 'x')
        $layers[0].DiffId | Should -Not -Be $layers[1].DiffId
    }

    It 'is extracted by GNU tar to the same files and links, with modes 0755 and 0644 and the time it was given' {
        $tar = Save-FolderTar $tree @{ SourceDateEpoch = 1700000000 }
        $out = Join-Path $work 'extracted'
        $null = New-Item -ItemType Directory $out
        Invoke-Bash "tar -xf '$tar' -C '$out'"

        Invoke-Bash "diff -r --no-dereference '$tree' '$out'" | Should -BeNullOrEmpty
        Invoke-Bash "stat -c '%a %Y' '$out/run'" | Should -Be '755 1700000000'
        Invoke-Bash "stat -c '%a' '$out/d/e/f' '$out/d' '$out/empty'" | Should -Be @('644', '755', '755')
        Invoke-Bash "readlink '$out/d/out'" | Should -Be '../../outside' -Because 'a link out of the tree is kept as a link, not followed'
        Invoke-Bash "cat '$out/d/hardlink'" | Should -Be 'hard' -Because 'a hard link is stored as a file of its own'
    }

    It 'stores a loop of symlinked folders as links, and ends' {
        $loop = Join-Path $work 'loop'
        $null = New-Item -ItemType Directory (Join-Path $loop 'x'), (Join-Path $loop 'y')
        Invoke-Bash "ln -s ../y '$loop/x/to-y' && ln -s ../x '$loop/y/to-x' && ln -s . '$loop/self'"

        Get-Listing (Save-FolderTar $loop) | Should -Be @(
            'lrwxr-xr-x 0/0 0 self -> .'
            'drwxr-xr-x 0/0 0 x/'
            'lrwxr-xr-x 0/0 0 x/to-y -> ../y'
            'drwxr-xr-x 0/0 0 y/'
            'lrwxr-xr-x 0/0 0 y/to-x -> ../x')
    }

    It 'places the tree under -Prefix, leaves out -Exclude, marks -Executable and starts with the -Delete whiteouts' {
        $app = Join-Path $work 'app'
        $null = New-Item -ItemType Directory (Join-Path $app 'obj/deep'), (Join-Path $app 'bin')
        foreach ($file in 'obj/deep/x.o', 'bin/tool.exe', 'a.log', 'bin/b.log', 'keep') { Set-Content -LiteralPath (Join-Path $app $file) -Value $file -NoNewline }

        $tar = Save-FolderTar $app @{ Prefix = '/srv/app'; Exclude = 'obj', '**/*.log'; Executable = 'bin/*.exe'; Delete = '/etc/motd', '/var/cache' }
        Get-Listing $tar | Should -Be @(
            '-rw-r--r-- 0/0 0 etc/.wh.motd'
            '-rw-r--r-- 0/0 0 var/.wh.cache'
            'drwxr-xr-x 0/0 0 srv/'
            'drwxr-xr-x 0/0 0 srv/app/'
            'drwxr-xr-x 0/0 0 srv/app/bin/'
            '-rwxr-xr-x 0/0 12 srv/app/bin/tool.exe'
            '-rw-r--r-- 0/0 4 srv/app/keep')
    }

    It 'leaves out a FIFO with a warning' {
        $special = Join-Path $work 'special'
        $null = New-Item -ItemType Directory $special
        Invoke-Bash "mkfifo '$special/fifo' && printf x > '$special/file'"
        $warnings = $null
        $tar = Join-Path $work 'special.tar'
        $null = Get-LayerDigest -Directory $special -Compression None -OutFile $tar -WarningVariable warnings -WarningAction SilentlyContinue
        Get-Listing $tar | Should -Be @('-rw-r--r-- 0/0 1 file')
        "$warnings" | Should -BeLike "*'fifo'*FIFO*"
    }
}

Describe 'A folder that cannot make a layer: a stable error id, and nothing in the registry' {
    BeforeAll {
        # Files the kernel serves as the real folder cases need, bind-mounted into a folder: root cannot open
        # /proc/sys/vm/drop_caches for reading (write-only to everyone), /proc/version says 0 bytes and holds more (a
        # file that grew), a sysfs file says 4096 bytes and holds fewer (a file that shrank).
        function script:New-MountedTree([string] $Name, [string] $Source) {
            $folder = Join-Path $work $Name
            $null = New-Item -ItemType Directory $folder
            $target = Join-Path $folder 'file'
            $null = New-Item -ItemType File $target
            Invoke-Bash "mount --bind '$Source' '$target'"
            $script:mounts.Add($target)
            $folder
        }

        $script:cases = @{
            missing    = Join-Path $work 'no-such-folder'
            file       = (New-Item -ItemType File (Join-Path $work 'a-file')).FullName
            unreadable = New-MountedTree 'unreadable' '/proc/sys/vm/drop_caches'
            grown      = New-MountedTree 'grown' '/proc/version'
            shrunk     = New-MountedTree 'shrunk' '/sys/devices/system/cpu/online'
            badname    = Join-Path $work 'badname'
        }
        $null = New-Item -ItemType Directory $cases.badname
        Invoke-Bash "printf ok > '$($cases.badname)/good' && printf bad > '$($cases.badname)/'$'bad\xffname'"
    }

    AfterAll {
        Dismount-TestFiles
    }

    It 'refuses <Name> with <Id> (<Category>), pushes no blob and leaves no upload session' -ForEach @(
        @{ Name = 'a missing folder'; Id = 'PathNotFound'; Category = 'ObjectNotFound'; Hint = 'Cannot find a folder'; Folder = 'missing'; Options = @{} }
        @{ Name = 'a file given as the folder'; Id = 'PathNotDirectory'; Category = 'InvalidArgument'; Hint = 'not a folder'; Folder = 'file'; Options = @{} }
        @{ Name = 'a -Prefix that escapes with ..'; Id = 'LayerPathInvalid'; Category = 'InvalidArgument'; Hint = "'..'"; Folder = 'badname'; Options = @{ Prefix = '/app/../..' } }
        @{ Name = 'a -Delete that escapes with ..'; Id = 'LayerPathInvalid'; Category = 'InvalidArgument'; Hint = "'..'"; Folder = 'badname'; Options = @{ Delete = '../etc' } }
        @{ Name = 'a name that is not UTF-8'; Id = 'DirectoryEntryNameInvalid'; Category = 'InvalidData'; Hint = 'not valid UTF-8'; Folder = 'badname'; Options = @{} }
        @{ Name = 'a file it cannot read'; Id = 'DirectoryEntryUnreadable'; Category = 'PermissionDenied'; Hint = 'Cannot read'; Folder = 'unreadable'; Options = @{} }
        @{ Name = 'a file that grew while read'; Id = 'DirectoryEntryChanged'; Category = 'InvalidData'; Hint = 'grew'; Folder = 'grown'; Options = @{} }
        @{ Name = 'a file that shrank while read'; Id = 'DirectoryEntryChanged'; Category = 'InvalidData'; Hint = 'ended after'; Folder = 'shrunk'; Options = @{} }
    ) {
        $repository = 'bad-' + $Folder
        $caught = $null
        $output = $null
        try { $output = Push-StreamLayer -Directory $cases[$Folder] -Repository "$reg/$repository" -Tag 'x' @Options -ErrorAction Stop } catch { $caught = $_ }

        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $caught.CategoryInfo.Category | Should -Be $Category
        $caught.Exception.Message | Should -BeLike "*$Hint*"
        $output | Should -BeNullOrEmpty
        @(Get-UploadSessions -Registry $registry -Repository $repository).Count | Should -Be 0
        Test-Path (Join-Path $registry.Storage "docker/registry/v2/repositories/$repository/_layers") | Should -BeFalse -Because 'no blob was linked into the repository'
        Test-Path (Join-Path $registry.Storage "docker/registry/v2/repositories/$repository/_manifests") | Should -BeFalse
    }

    It 'refuses a file removed while the folder is read with DirectoryEntryVanished, into a FIFO -OutFile left as it was' {
        # The -OutFile is a FIFO whose reader takes one byte and then waits: the layer's bounded pipeline (a few
        # blocks of at most 4 MiB) stalls inside a's 96 MiB, after the folder was listed and before b is opened.
        # b is removed then, and the reader drains the FIFO.
        $folder = Join-Path $work 'vanishing'
        $null = New-Item -ItemType Directory $folder
        Invoke-Bash "head -c 100663296 /dev/urandom > '$folder/a' && printf b > '$folder/b'"
        $fifo = Join-Path $work 'vanishing.fifo'
        $child = Join-Path $work 'vanishing.ps1'
        Set-Content -LiteralPath $child -Value (
            "Import-Module '$env:STREAMLAYER_MODULE'`n" +
            "try { `$null = Get-LayerDigest -Directory '$folder' -OutFile '$fifo' -ThrottleLimit 1 -ErrorAction Stop; 'made' } catch { `$_.FullyQualifiedErrorId }")
        $pwsh = (Get-Process -Id $PID).Path
        $first = [Environment]::GetCommandLineArgs()[0]
        $prefix = if ($first -like '*.dll') { "'$first'" } else { '' }
        # Every wait is bounded: the child and the FIFO's reader (which blocks in open until the child opens it) by timeout.
        $output = Invoke-Bash ("mkfifo '$fifo'; timeout 300 '$pwsh' $prefix -NoProfile -NonInteractive -File '$child' > '$work/vanishing.out' 2>&1 & child=`$!; " +
            "timeout 240 bash -c `"exec 3< '$fifo'; head -c 1 <&3 > /dev/null; rm '$folder/b'; cat <&3 > /dev/null`"; wait `$child; cat '$work/vanishing.out'")

        "$output" | Should -BeLike 'DirectoryEntryVanished,*'
        Invoke-Bash "test -p '$fifo' && echo fifo" | Should -Be 'fifo' -Because 'a FIFO (or a device) given as -OutFile is written as it is, never replaced or removed'
        @(Get-ChildItem -Force -LiteralPath $work -Filter '*.partial').Count | Should -Be 0
    }

    It 'makes the layer once the bad entry is left out with -Exclude' {
        (Get-LayerDigest -Directory $cases.badname -Exclude 'bad*' -Compression None).UncompressedSize | Should -Be (512 * 4)
    }

    It 'has the folder parameters only where a folder can come: -Directory and the pipeline' {
        $tar = Save-FolderTar $cases.badname @{ Exclude = 'bad*' }
        { Get-LayerDigest -Path $tar -Prefix /app } | Should -Throw -ErrorId 'AmbiguousParameterSet,*'
        (Get-Item $tar | Get-LayerDigest -Prefix /app).DiffId | Should -Be (Get-Sha256Sum $tar) -Because 'a tar from the pipeline is taken as it is'
    }
}

Describe 'An image made from a folder, read by skopeo and umoci and run by podman' {
    BeforeAll {
        $script:busybox = Join-Path $work 'busybox'
        $null = New-Item -ItemType Directory (Join-Path $busybox 'bin'), (Join-Path $busybox 'etc')
        Copy-Item /bin/busybox (Join-Path $busybox 'bin/busybox')
        Set-Content -LiteralPath (Join-Path $busybox 'etc/marker') -Value 'from a folder'
        $script:image = Push-StreamLayer -Directory $busybox -Repository "$reg/folder" -Tag '1' -Entrypoint '/bin/busybox' -Cmd 'cat', '/etc/marker'
    }

    It 'is in the registry as skopeo reads it: one layer whose blob is the Digest and whose diff_id is the DiffId' {
        $layer = $image.Layers[0]
        $layer.DiffId | Should -Be (Get-LayerDigest -Directory $busybox).DiffId
        $inspect = Invoke-Skopeo inspect --tls-verify=false "docker://$reg/folder:1" | ConvertFrom-Json
        @($inspect.Layers) | Should -Be @($layer.Digest)
        $config = Invoke-Skopeo inspect --tls-verify=false --config "docker://$reg/folder:1" | ConvertFrom-Json
        @($config.rootfs.diff_ids) | Should -Be @($layer.DiffId)
        $saved = Join-Path $work 'folder-layer.gz'
        $null = Save-RegistryBlob -Registry $registry -Repository 'folder' -Digest $layer.Digest -OutFile $saved
        Get-Sha256Sum $saved | Should -Be $layer.Digest
    }

    It 'is unpacked by umoci with the folder''s files and an executable busybox' {
        $target = (New-Item -ItemType Directory (Join-Path $work 'umoci')).FullName
        $null = Invoke-Skopeo copy -q --src-tls-verify=false "docker://$reg/folder:1" "oci:$target/layout:image"
        $output = & umoci unpack --rootless --image "$target/layout:image" "$target/bundle" 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$output"
        $rootfs = Join-Path $target 'bundle/rootfs'
        (Get-FileHash (Join-Path $rootfs 'bin/busybox')).Hash | Should -Be (Get-FileHash /bin/busybox).Hash
        Invoke-Bash "stat -c '%a' '$rootfs/bin/busybox'" | Should -Be '755'
        Get-Content -Raw (Join-Path $rootfs 'etc/marker') | Should -Be "from a folder`n"
    }

    It 'is written as an OCI layout (-LayoutPath) that umoci unpacks, byte for byte the same in a second run' {
        $layouts = foreach ($n in 1, 2) {
            $layout = Join-Path $work "folder-layout-$n"
            $null = Push-StreamLayer -Directory $busybox -LayoutPath $layout -Tag '1' -Entrypoint '/bin/busybox'
            $layout
        }
        Invoke-Bash "diff -r '$($layouts[0])' '$($layouts[1])'" | Should -BeNullOrEmpty -Because 'the same folder gives the same layout'
        $bundle = Join-Path $work 'folder-layout-bundle'
        $output = & umoci unpack --rootless --image "$($layouts[0]):1" $bundle 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$output"
        (Get-FileHash (Join-Path $bundle 'rootfs/bin/busybox')).Hash | Should -Be (Get-FileHash /bin/busybox).Hash
    }

    It 'runs in podman' -Tag 'Podman' {
        $output = Invoke-TestPodmanRun -Root $podman -Image "$reg/folder:1"
        $output[-1] | Should -Be 'from a folder'
    }
}
