# Push-StreamLayer -LayoutPath: OCI image layouts on disk, checked by tools that know nothing of StreamLayer:
# sha256sum of every blob against its name, skopeo inspect oci:DIR:TAG, skopeo copy into the real registry, umoci
# unpack and podman run; and what bad input, a failure part way and two processes at once leave behind.
BeforeAll {
    Import-Module $env:STREAMLAYER_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRegistry.psm1') -Force

    $script:work = New-TestDirectory
    $script:tars = @{}
    foreach ($name in 'a', 'b') {
        $tars[$name] = (New-TestTar -Path (Join-Path $work "$name.tar") -SizeKiB 200 -Seed ([int][char]$name) -Folder "srv/$name").FullName
    }
    $script:registry = Start-TestRegistry
    $script:reg = $registry.Host
    $script:isRoot = (& id -u) -eq '0'

    function script:Invoke-Skopeo {
        $output = & skopeo @args 2>&1
        if ($LASTEXITCODE -ne 0) { throw "skopeo $args failed: $output" }
        $output -join "`n"
    }

    function script:New-LayoutPath { Join-Path $work ('layout-' + [guid]::NewGuid().ToString('N')) }

    # Every file of a folder as "relative path  sha256", sorted: two layouts are the same bytes when these are.
    function script:Get-TreeHashes([string] $Root) {
        Get-ChildItem -LiteralPath $Root -Recurse -File -Force | ForEach-Object {
            [IO.Path]::GetRelativePath($Root, $_.FullName) + '  ' + (Get-Sha256Sum $_.FullName)
        } | Sort-Object
    }

    # What a failure may not leave behind: temporary files anywhere in the layout.
    function script:Get-TempFiles([string] $Root) {
        if (-not (Test-Path -LiteralPath $Root)) { return @() }
        @(Get-ChildItem -LiteralPath $Root -Recurse -File -Force | Where-Object Name -Like '*.tmp')
    }

    function script:Assert-BlobsMatchNames([string] $Root) {
        $blobs = @(Get-ChildItem (Join-Path $Root 'blobs/sha256') -File -Force)
        $blobs.Count | Should -BeGreaterThan 0
        foreach ($blob in $blobs) { Get-Sha256Sum $blob.FullName | Should -Be "sha256:$($blob.Name)" -Because 'a blob is named by its digest' }
    }

    # The tar's files (those under -Under, where an upper layer shadows the rest) are in the root file system.
    function script:Assert-TarUnpacked([string] $Tar, [string] $Rootfs, [string] $Under = '') {
        $expected = Join-Path $work ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory $expected
        & tar -xf $Tar -C $expected
        $files = @(Get-ChildItem (Join-Path $expected $Under) -Recurse -File)
        $files.Count | Should -BeGreaterThan 0
        foreach ($file in $files) {
            $unpacked = Join-Path $Rootfs ([IO.Path]::GetRelativePath($expected, $file.FullName))
            (Get-FileHash -LiteralPath $unpacked).Hash | Should -Be (Get-FileHash -LiteralPath $file.FullName).Hash
        }
    }

    function script:Expand-Layout([string] $Layout, [string] $Tag) {
        $bundle = Join-Path $work ([guid]::NewGuid().ToString('N'))
        $output = & umoci unpack --rootless --image "${Layout}:$Tag" $bundle 2>&1
        if ($LASTEXITCODE -ne 0) { throw "umoci unpack failed: $output" }
        Join-Path $bundle 'rootfs'
    }
}

AfterAll {
    if ($script:registry) { Stop-TestRegistry $script:registry }
    Remove-Item -Recurse -Force $script:work -ErrorAction Ignore
}

Describe 'Push-StreamLayer -LayoutPath without -Tag' {
    BeforeAll {
        $script:layout = New-LayoutPath
        $script:layer = Push-StreamLayer -Path $tars.a -LayoutPath $layout
    }

    It 'makes the folder an OCI image layout: oci-layout, an index.json with no manifests, and the blob' {
        [IO.File]::ReadAllText((Join-Path $layout 'oci-layout')) | Should -BeExactly '{"imageLayoutVersion":"1.0.0"}'
        $index = Get-Content -Raw (Join-Path $layout 'index.json') | ConvertFrom-Json
        $index.schemaVersion | Should -Be 2
        $index.mediaType | Should -Be 'application/vnd.oci.image.index.v1+json'
        @($index.manifests).Count | Should -Be 0 -Because 'layers alone are no image, so index.json names nothing'
        $blob = Join-Path $layout "blobs/sha256/$($layer.Digest.Substring(7))"
        Get-Sha256Sum $blob | Should -Be $layer.Digest
        (Get-Item $blob).Length | Should -Be $layer.Size
        Get-GunzipSha256 $blob | Should -Be $layer.DiffId -Because 'gzip -dc of the blob is the tar'
        Get-TempFiles $layout | Should -BeNullOrEmpty
    }

    It 'outputs a layer object that names the layout: no registry, the layout (oci:path) as its repository' {
        $full = (Resolve-Path $layout).Path
        $layer | Should -BeOfType ([StreamLayer.PushedLayer])
        $layer.Registry | Should -BeNullOrEmpty
        $layer.Repository | Should -Be "oci:$full"
        $layer.Reference | Should -Be "oci:$full@$($layer.Digest)"
        $layer.MediaType | Should -Be 'application/vnd.oci.image.layer.v1.tar+gzip' -Because 'a layout is OCI''s format'
        $layer.Digest | Should -Be (Get-LayerDigest -Path $tars.a -MediaType Oci).Digest -Because 'the blob is the one Get-LayerDigest computes'
        ($layer | Out-String -Width 400) | Should -Match '(?m)^oci:/' -Because 'the table shows the layout as its repository, with no registry before it'
    }

    It 'adds to an existing layout and does not write a blob it holds again' {
        $blob = Join-Path $layout "blobs/sha256/$($layer.Digest.Substring(7))"
        $inode = & stat -c %i $blob
        $again = Push-StreamLayer -Path $tars.a, $tars.b -LayoutPath $layout
        @($again).Count | Should -Be 2
        & stat -c %i $blob | Should -Be $inode -Because 'the blob there was kept, not replaced'
        Assert-BlobsMatchNames $layout
        @(Get-ChildItem (Join-Path $layout 'blobs/sha256')).Count | Should -Be 2
    }
}

Describe 'Push-StreamLayer -LayoutPath -Tag' {
    BeforeAll {
        $script:layout = New-LayoutPath
        $script:image = Push-StreamLayer -Path $tars.a -LayoutPath $layout -Tag '1.0', 'latest' -Entrypoint '/bin/app'
    }

    It 'writes an image that skopeo inspect oci:DIR:TAG reads, under each tag' {
        foreach ($tag in '1.0', 'latest') {
            $inspect = Invoke-Skopeo inspect "oci:${layout}:$tag" | ConvertFrom-Json
            $inspect.Digest | Should -Be $image.ManifestDigest
            $inspect.Layers | Should -Be @($image.Layers[0].Digest)
            $inspect.Architecture | Should -Be 'amd64'
        }
        $config = Invoke-Skopeo inspect --config "oci:${layout}:1.0" | ConvertFrom-Json
        $config.rootfs.diff_ids | Should -Be @($image.Layers[0].DiffId)
        $config.config.Entrypoint | Should -Be @('/bin/app')
    }

    It 'lists the manifest in index.json once per tag, named by org.opencontainers.image.ref.name' {
        $entries = @((Get-Content -Raw (Join-Path $layout 'index.json') | ConvertFrom-Json).manifests)
        $entries.Count | Should -Be 2
        @($entries | ForEach-Object { $_.annotations.'org.opencontainers.image.ref.name' }) | Should -Be @('1.0', 'latest')
        foreach ($entry in $entries) {
            $entry.digest | Should -Be $image.ManifestDigest
            $entry.mediaType | Should -Be 'application/vnd.oci.image.manifest.v1+json'
            $entry.size | Should -Be (Get-Item (Join-Path $layout "blobs/sha256/$($image.ManifestDigest.Substring(7))")).Length
        }
        Assert-BlobsMatchNames $layout
        $full = (Resolve-Path $layout).Path
        $image.Reference | Should -Be "oci:$full@$($image.ManifestDigest)"
        $image.Tags | Should -Be @('1.0', 'latest')
    }

    It 'is an image umoci unpacks, with the tar''s files' {
        Assert-TarUnpacked $tars.a (Expand-Layout $layout '1.0')
    }

    It 'is copied by skopeo copy into the real registry, digest for digest' {
        $null = Invoke-Skopeo copy -q --dest-tls-verify=false "oci:${layout}:1.0" "docker://$reg/from-layout:1.0"
        $inspect = Invoke-Skopeo inspect --tls-verify=false "docker://$reg/from-layout:1.0" | ConvertFrom-Json
        $inspect.Digest | Should -Be $image.ManifestDigest -Because 'skopeo copies an OCI manifest as it is'
        $inspect.Layers | Should -Be @($image.Layers[0].Digest)
        Get-RegistryBlobStatus $registry 'from-layout' $image.Layers[0].Digest | Should -Be 200
    }

    It 'replaces the entry of a tag written again, and keeps the others' {
        $other = Push-StreamLayer -Path $tars.b -LayoutPath $layout -Tag 'latest', '2.0'
        $entries = @((Get-Content -Raw (Join-Path $layout 'index.json') | ConvertFrom-Json).manifests)
        @($entries | ForEach-Object { $_.annotations.'org.opencontainers.image.ref.name' }) | Should -Be @('1.0', 'latest', '2.0')
        ($entries | Where-Object { $_.annotations.'org.opencontainers.image.ref.name' -eq 'latest' }).digest | Should -Be $other.ManifestDigest
        ($entries | Where-Object { $_.annotations.'org.opencontainers.image.ref.name' -eq '1.0' }).digest | Should -Be $image.ManifestDigest
        (Invoke-Skopeo inspect "oci:${layout}:latest" | ConvertFrom-Json).Digest | Should -Be $other.ManifestDigest
        (Invoke-Skopeo inspect "oci:${layout}:1.0" | ConvertFrom-Json).Digest | Should -Be $image.ManifestDigest
    }

    It 'gives byte-identical layouts for the same input, whatever the clock (SOURCE_DATE_EPOCH)' {
        $saved = $env:SOURCE_DATE_EPOCH
        try {
            $env:SOURCE_DATE_EPOCH = '1700000000'
            $first, $second = (New-LayoutPath), (New-LayoutPath)
            $one = Push-StreamLayer -Path $tars.a, $tars.b -LayoutPath $first -Tag '1'
            Start-Sleep -Milliseconds 1100
            $two = Push-StreamLayer -Path $tars.a, $tars.b -LayoutPath $second -Tag '1'
        }
        finally { $env:SOURCE_DATE_EPOCH = $saved }
        $two.ManifestDigest | Should -Be $one.ManifestDigest
        $hashes = Get-TreeHashes $first
        $hashes.Count | Should -Be 6 -Because 'oci-layout, index.json, two layers, the config and the manifest'
        Get-TreeHashes $second | Should -Be $hashes
        (Invoke-Skopeo inspect --config "oci:${first}:1" | ConvertFrom-Json -DateKind String).created | Should -Be '2023-11-14T22:13:20Z'
    }

    It 'runs in podman from the layout (podman run oci:DIR:TAG), doing what -Entrypoint set' -Tag 'Podman' {
        $busybox = (New-BusyboxTar -Path (Join-Path $work 'busybox.tar') -Marker 'from a layout').FullName
        $runnable = New-LayoutPath
        $null = Push-StreamLayer -Path $busybox -LayoutPath $runnable -Tag 'run' -Entrypoint '/bin/busybox' -Cmd 'cat', '/etc/marker'
        $podman = New-TestPodmanRoot
        try {
            $output = Invoke-TestPodmanRun -Root $podman -Image "oci:${runnable}:run"
            $output[-1] | Should -Be 'from a layout'
        }
        finally { Remove-Item -Recurse -Force $podman -ErrorAction Ignore }
    }
}

Describe 'Push-StreamLayer -Directory -LayoutPath: a folder to an image on disk, no tar and no registry' {
    BeforeAll {
        # A folder made twice, its files created in another order each time: the same tree.
        function script:New-BusyboxFolder([string] $Path, [switch] $Reversed) {
            $steps = @(
                { $null = New-Item -ItemType Directory -Force (Join-Path $Path 'bin'); Copy-Item /bin/busybox (Join-Path $Path 'bin/busybox') }
                { $null = New-Item -ItemType Directory -Force (Join-Path $Path 'etc'); [IO.File]::WriteAllText((Join-Path $Path 'etc/marker'), "from a folder`n") }
            )
            if ($Reversed) { [array]::Reverse($steps) }
            foreach ($step in $steps) { & $step }
            Get-Item $Path
        }
        $script:folderOne = (New-BusyboxFolder (Join-Path $work 'folder-one')).FullName
        $script:folderTwo = (New-BusyboxFolder (Join-Path $work 'folder-two') -Reversed).FullName
        $script:fromFolder = New-LayoutPath
        $script:folderImage = Push-StreamLayer -Directory $folderOne -LayoutPath $fromFolder -Tag 'run' -Entrypoint '/bin/busybox' -Cmd 'cat', '/etc/marker'
    }

    It 'gives the same bytes for the same tree made in another order' {
        $again = New-LayoutPath
        $null = Push-StreamLayer -Directory $folderTwo -LayoutPath $again -Tag 'run' -Entrypoint '/bin/busybox' -Cmd 'cat', '/etc/marker'
        Get-TreeHashes $again | Should -Be (Get-TreeHashes $fromFolder)
        Assert-BlobsMatchNames $fromFolder
    }

    It 'is an image umoci unpacks with the folder''s files' {
        $rootfs = Expand-Layout $fromFolder 'run'
        (Get-FileHash (Join-Path $rootfs 'bin/busybox')).Hash | Should -Be (Get-FileHash /bin/busybox).Hash
        Get-Content -Raw (Join-Path $rootfs 'etc/marker') | Should -Be "from a folder`n"
    }

    It 'runs in podman (podman run oci:DIR:TAG)' -Tag 'Podman' {
        $podman = New-TestPodmanRoot
        try {
            $output = Invoke-TestPodmanRun -Root $podman -Image "oci:${fromFolder}:run"
            $output[-1] | Should -Be 'from a folder'
        }
        finally { Remove-Item -Recurse -Force $podman -ErrorAction Ignore }
    }
}

Describe 'Push-StreamLayer -LayoutPath into a layout skopeo wrote' {
    It 'adds its image beside skopeo''s, and both read back' {
        $pushed = Push-StreamLayer -Path $tars.a -Repository "$reg/for-skopeo" -Tag '1' -MediaType Oci
        $layout = New-LayoutPath
        $null = Invoke-Skopeo copy -q --src-tls-verify=false "docker://$reg/for-skopeo:1" "oci:${layout}:theirs"
        $ours = Push-StreamLayer -Path $tars.b -LayoutPath $layout -Tag 'ours'
        (Invoke-Skopeo inspect "oci:${layout}:theirs" | ConvertFrom-Json).Digest | Should -Be $pushed.ManifestDigest
        (Invoke-Skopeo inspect "oci:${layout}:ours" | ConvertFrom-Json).Digest | Should -Be $ours.ManifestDigest
        Assert-BlobsMatchNames $layout
    }
}

Describe 'Push-StreamLayer -LayoutPath -BaseImage' {
    BeforeAll {
        $script:base = Push-StreamLayer -Path $tars.a -Repository "$reg/base" -Tag '1' -MediaType Oci
        $script:layout = New-LayoutPath
        $script:image = Push-StreamLayer -Path $tars.b -LayoutPath $layout -Tag 'app' -BaseImage "$reg/base:1"
    }

    It 'copies the base''s layers from the registry into the layout, and appends the new one' {
        $inspect = Invoke-Skopeo inspect "oci:${layout}:app" | ConvertFrom-Json
        $inspect.Layers | Should -Be @($base.Layers[0].Digest, $image.Layers[1].Digest)
        $image.Layers.Count | Should -Be 2
        Assert-BlobsMatchNames $layout
        $rootfs = Expand-Layout $layout 'app'
        Assert-TarUnpacked $tars.a $rootfs -Under 'srv/a'
        Assert-TarUnpacked $tars.b $rootfs
    }
}

Describe 'Push-StreamLayer -LayoutPath -BaseImage of a Docker schema 2 base' {
    # skopeo's oci: reader and umoci skip Docker manifests in a layout, so the image is written as OCI: the same blobs under OCI's media types.
    It 'writes an OCI image of the base''s blobs, which skopeo and umoci read' {
        $dockerBase = Push-StreamLayer -Path $tars.a -Repository "$reg/docker-base" -Tag '1'
        $dockerBase.MediaType | Should -Be 'application/vnd.docker.distribution.manifest.v2+json'
        $layout = New-LayoutPath
        $image = Push-StreamLayer -Path $tars.b -LayoutPath $layout -Tag 'app' -BaseImage "$reg/docker-base:1"
        $image.MediaType | Should -Be 'application/vnd.oci.image.manifest.v1+json'
        $manifest = Invoke-Skopeo inspect --raw "oci:${layout}:app" | ConvertFrom-Json
        $manifest.config.mediaType | Should -Be 'application/vnd.oci.image.config.v1+json'
        @($manifest.layers.mediaType) | Should -Be @('application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.oci.image.layer.v1.tar+gzip')
        @($manifest.layers.digest) | Should -Be @($dockerBase.Layers[0].Digest, $image.Layers[1].Digest) -Because 'the base''s blob is the same bytes'
        Assert-BlobsMatchNames $layout
        $rootfs = Expand-Layout $layout 'app'
        Assert-TarUnpacked $tars.a $rootfs -Under 'srv/a'
        Assert-TarUnpacked $tars.b $rootfs
    }
}

Describe 'Push-StreamLayer -LayoutPath refuses what it cannot use, and leaves it as it was' {
    It 'refuses a path that is a file' {
        $file = Join-Path $work 'a-file'
        Set-Content -LiteralPath $file -Value 'not a layout'
        { Push-StreamLayer -Path $tars.a -LayoutPath $file } | Should -Throw -ErrorId 'LayoutPathIsFile,StreamLayer.Commands.PushStreamLayerCommand'
        Get-Content -LiteralPath $file | Should -Be 'not a layout'
    }

    It 'refuses a folder that holds other files and no layout, and writes nothing into it' {
        $folder = New-LayoutPath
        $null = New-Item -ItemType Directory $folder
        Set-Content -LiteralPath (Join-Path $folder 'notes.txt') -Value 'mine'
        { Push-StreamLayer -Path $tars.a -LayoutPath $folder } | Should -Throw -ErrorId 'LayoutFolderNotEmpty,StreamLayer.Commands.PushStreamLayerCommand'
        @(Get-ChildItem -Force $folder).Name | Should -Be @('notes.txt')
    }

    It 'refuses a layout whose index.json is <Case>, and changes nothing' -ForEach @(
        @{ Case = 'not JSON'; Text = '{"schemaVersion":2,"manifests":[' }
        @{ Case = 'not an index'; Text = '{"schemaVersion":2}' }
        @{ Case = 'an index of entries that are not descriptors'; Text = '{"schemaVersion":2,"manifests":[{"digest":1}]}' }
    ) {
        $layout = New-LayoutPath
        $null = Push-StreamLayer -Path $tars.a -LayoutPath $layout
        [IO.File]::WriteAllText((Join-Path $layout 'index.json'), $Text)
        $before = Get-TreeHashes $layout
        { Push-StreamLayer -Path $tars.b -LayoutPath $layout -Tag '1' } | Should -Throw -ErrorId 'LayoutInvalid,StreamLayer.Commands.PushStreamLayerCommand'
        Get-TreeHashes $layout | Should -Be $before
    }

    It 'refuses a folder whose oci-layout is not version 1' {
        $layout = New-LayoutPath
        $null = Push-StreamLayer -Path $tars.a -LayoutPath $layout
        [IO.File]::WriteAllText((Join-Path $layout 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}')
        { Push-StreamLayer -Path $tars.b -LayoutPath $layout } | Should -Throw -ErrorId 'LayoutInvalid,StreamLayer.Commands.PushStreamLayerCommand'
    }

    It 'needs one place: <Case>' -ForEach @(
        @{ Case = 'neither -Repository nor -LayoutPath'; Extra = @{} }
        @{ Case = 'both'; Extra = @{ Repository = 'localhost:5000/x'; LayoutPath = 'x' } }
        @{ Case = '-ChunkSize with -LayoutPath'; Extra = @{ LayoutPath = 'x'; ChunkSize = 4MB } }
        @{ Case = '-UploadMode with -LayoutPath'; Extra = @{ LayoutPath = 'x'; UploadMode = 'Chunked' } }
    ) {
        $location = New-LayoutPath
        $null = New-Item -ItemType Directory $location
        Push-Location $location
        try {
            { Push-StreamLayer -Path $tars.a @Extra } | Should -Throw -ErrorId 'DestinationConflict,StreamLayer.Commands.PushStreamLayerCommand'
            @(Get-ChildItem -Force $location) | Should -BeNullOrEmpty -Because 'nothing was made'
        }
        finally { Pop-Location }
    }

    It 'writes nothing under -WhatIf, not even the folder' {
        $layout = New-LayoutPath
        $null = Push-StreamLayer -Path $tars.a -LayoutPath $layout -Tag '1' -WhatIf
        Test-Path $layout | Should -BeFalse
    }

    It 'fails with LayoutWriteFailed on a read-only file system, and leaves nothing' {
        if (-not $isRoot) { Set-ItResult -Skipped -Because 'mounting a read-only tmpfs needs root'; return }
        $mount = New-LayoutPath
        $null = New-Item -ItemType Directory $mount
        & mount -t tmpfs -o ro,size=1m tmpfs $mount
        if ($LASTEXITCODE -ne 0) { throw 'mount -t tmpfs failed' }
        try {
            { Push-StreamLayer -Path $tars.a -LayoutPath $mount } | Should -Throw -ErrorId 'LayoutWriteFailed,StreamLayer.Commands.PushStreamLayerCommand'
            @(Get-ChildItem -Force $mount) | Should -BeNullOrEmpty
        }
        finally { & umount $mount }
    }
}

Describe 'Push-StreamLayer -LayoutPath when a layer fails part way' {
    It 'leaves no temporary file and index.json as it was when the input is cut short (<Case>)' -ForEach @(
        @{ Case = 'a .tar.gz'; Extension = 'tar.gz' }
        @{ Case = 'a plain tar, with -Tag'; Extension = 'tar' }
    ) {
        $layout = New-LayoutPath
        $null = Push-StreamLayer -Path $tars.a -LayoutPath $layout -Tag 'kept'
        $before = Get-TreeHashes $layout
        $source = if ($Extension -eq 'tar.gz') { $gz = Join-Path $work 'whole.tar.gz'; & bash -c 'gzip -c "$1" > "$2"' _ $tars.b $gz; $gz } else { $tars.b }
        $bytes = [IO.File]::ReadAllBytes($source)
        $cut = Join-Path $work "cut-$([guid]::NewGuid().ToString('N')).$Extension"
        # A plain tar cut mid-entry reads to its end; a second file that is not a tar makes -Tag's all-or-nothing stop after the first blob.
        [IO.File]::WriteAllBytes($cut, $bytes[0..([int]($bytes.Length / 2))])
        if ($Extension -eq 'tar.gz') {
            { Push-StreamLayer -Path $cut -LayoutPath $layout -Tag 'new' -ErrorAction Stop } | Should -Throw -ErrorId 'InputCorrupt,StreamLayer.Commands.PushStreamLayerCommand'
        }
        else {
            $notTar = Join-Path $work 'not-a.tar'
            [IO.File]::WriteAllText($notTar, ('not a tar ' * 100))
            { Push-StreamLayer -Path $cut, $notTar -LayoutPath $layout -Tag 'new' -ErrorAction Stop } | Should -Throw -ErrorId 'InputNotTar,StreamLayer.Commands.PushStreamLayerCommand'
        }
        Get-TempFiles $layout | Should -BeNullOrEmpty -Because 'the partial blob is removed'
        (Get-TreeHashes $layout | Where-Object { $_ -like 'index.json *' }) | Should -Be ($before | Where-Object { $_ -like 'index.json *' })
        Assert-BlobsMatchNames $layout
        (Invoke-Skopeo inspect "oci:${layout}:kept" | ConvertFrom-Json).Layers.Count | Should -Be 1 -Because 'the layout is still valid'
    }

    It 'leaves no temporary file when the disk fills up mid-blob' {
        if (-not $isRoot) { Set-ItResult -Skipped -Because 'mounting a small tmpfs needs root'; return }
        $mount = New-LayoutPath
        $null = New-Item -ItemType Directory $mount
        & mount -t tmpfs -o size=256k tmpfs $mount
        if ($LASTEXITCODE -ne 0) { throw 'mount -t tmpfs failed' }
        try {
            $big = Join-Path $work 'random.tar'
            $null = New-TestTar -Path $big -SizeKiB 1024 -Seed 7
            { Push-StreamLayer -Path $big -LayoutPath $mount -Compression None -ErrorAction Stop } | Should -Throw -ErrorId 'LayoutWriteFailed,StreamLayer.Commands.PushStreamLayerCommand'
            Get-TempFiles $mount | Should -BeNullOrEmpty
            @(Get-ChildItem (Join-Path $mount 'blobs/sha256')) | Should -BeNullOrEmpty
            [IO.File]::ReadAllText((Join-Path $mount 'index.json')) | Should -Be '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}'
        }
        finally { & umount $mount }
    }
}

Describe 'Push-StreamLayer -LayoutPath stopped mid-blob' {
    # Waits (bounded, a hang guard) until the layout holds a temporary file: the blob is being written.
    function script:Wait-TempFile([string] $Layout) {
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while ((Get-TempFiles $Layout).Count -eq 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        (Get-TempFiles $Layout).Count | Should -Be 1 -Because 'the blob was being written'
    }

    It 'by SIGTERM leaves no temporary file and index.json as it was, and the process ends' {
        $layout = New-LayoutPath
        $null = Push-StreamLayer -Path $tars.a -LayoutPath $layout -Tag 'kept'
        $before = [IO.File]::ReadAllBytes((Join-Path $layout 'index.json'))
        $big = (New-TestTar -Path (Join-Path $work 'big.tar') -SizeKiB 2000 -Seed 71).FullName
        $helpers = Join-Path $PSScriptRoot 'TestHelpers.psm1'
        # The input gives its first 256 KiB, then stalls for ten minutes: the signal comes mid-blob.
        $process = Start-ChildPwsh ("Import-Module '$env:STREAMLAYER_MODULE'; Import-Module '$helpers'; " +
            "Push-StreamLayer -InputStream ([TestInputStream]::Pausing('$big', 256KB, 600000)) -LayoutPath '$layout' -Tag 'stopped'")
        try {
            Wait-TempFile $layout
            & kill -s TERM $process.Id
            $process.WaitForExit(60000) | Should -BeTrue -Because 'SIGTERM still ends the process'
            Get-TempFiles $layout | Should -BeNullOrEmpty -Because 'the partial blob was removed before the process ended'
            [IO.File]::ReadAllBytes((Join-Path $layout 'index.json')) | Should -Be $before
            Assert-BlobsMatchNames $layout
        }
        finally { if (-not $process.HasExited) { $process.Kill() } }
    }

    It 'by Ctrl+C (a stopped pipeline) leaves no temporary file' {
        $layout = New-LayoutPath
        $ps = [powershell]::Create()
        $null = $ps.AddScript({
                param($module, $layout)
                Import-Module $module
                Push-StreamLayer -InputStream ([TestInputStream]::new($null, 65536, 1)) -LayoutPath $layout
            }).AddArgument($env:STREAMLAYER_MODULE).AddArgument($layout)
        $async = $ps.BeginInvoke()
        try {
            Wait-TempFile $layout
            $ps.BeginStop($null, $null).AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(60)) | Should -BeTrue
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            Get-TempFiles $layout | Should -BeNullOrEmpty
            @(Get-ChildItem (Join-Path $layout 'blobs/sha256')) | Should -BeNullOrEmpty
        }
        finally { $ps.Dispose() }
    }
}

Describe 'Processes adding to one layout at once' {
    # A small layer, so that most of each push is the change of index.json: without the lock, this loses entries
    # on every run seen (44 to 52 of 61).
    It 'keeps the tags of all of them in index.json' {
        $layout = New-LayoutPath
        $small = (New-TestTar -Path (Join-Path $work 'small.tar') -SizeKiB 8 -Seed 5).FullName
        $null = Push-StreamLayer -Path $small -LayoutPath $layout -Tag 'first'
        $jobs = foreach ($n in 1..3) {
            Start-Job -ArgumentList $env:STREAMLAYER_MODULE, $small, $layout, $n -ScriptBlock {
                param($module, $small, $layout, $n)
                Import-Module $module
                foreach ($i in 1..20) { $null = Push-StreamLayer -Path $small -LayoutPath $layout -Tag "p$n-$i" }
            }
        }
        $null = $jobs | Wait-Job -Timeout 300
        foreach ($job in $jobs) {
            $job.State | Should -Be 'Completed'
            Receive-Job $job -ErrorAction Stop
        }
        $jobs | Remove-Job -Force
        $names = @((Get-Content -Raw (Join-Path $layout 'index.json') | ConvertFrom-Json).manifests | ForEach-Object { $_.annotations.'org.opencontainers.image.ref.name' })
        @($names | Sort-Object) | Should -Be @(@('first') + @(foreach ($n in 1..3) { foreach ($i in 1..20) { "p$n-$i" } }) | Sort-Object)
        Get-TempFiles $layout | Should -BeNullOrEmpty
        Assert-BlobsMatchNames $layout
    }
}

Describe 'Push-ImageIndex -LayoutPath' {
    BeforeAll {
        $script:layout = New-LayoutPath
        $script:amd = Push-StreamLayer -Path $tars.a -LayoutPath $layout -Tag 'amd' -Platform linux/amd64
        $script:arm = Push-StreamLayer -Path $tars.b -LayoutPath $layout -Tag 'arm' -Platform linux/arm64
        $script:index = $amd, $arm | Push-ImageIndex -LayoutPath $layout -Tag '1.0'
    }

    It 'writes an OCI index of the layout''s images, named by its tag in index.json, as skopeo inspect --raw reads it' {
        $raw = Invoke-Skopeo inspect --raw "oci:${layout}:1.0"
        Get-Sha256Sum (Join-Path $layout "blobs/sha256/$($index.ManifestDigest.Substring(7))") | Should -Be $index.ManifestDigest
        $document = $raw | ConvertFrom-Json
        $document.mediaType | Should -Be 'application/vnd.oci.image.index.v1+json'
        @($document.manifests.digest) | Should -Be @($amd.ManifestDigest, $arm.ManifestDigest)
        @($document.manifests | ForEach-Object { $_.platform.architecture }) | Should -Be @('amd64', 'arm64')
        $entry = (Get-Content -Raw (Join-Path $layout 'index.json') | ConvertFrom-Json).manifests | Where-Object { $_.annotations.'org.opencontainers.image.ref.name' -eq '1.0' }
        $entry.digest | Should -Be $index.ManifestDigest
        $entry.mediaType | Should -Be 'application/vnd.oci.image.index.v1+json'
        $index.Reference | Should -Be "oci:$((Resolve-Path $layout).Path)@$($index.ManifestDigest)"
        Assert-BlobsMatchNames $layout
    }

    It 'serves each platform''s image to skopeo --override-arch, and skopeo copy --all takes all into the registry' {
        foreach ($source in "oci:${layout}:1.0", 'copied') {
            if ($source -eq 'copied') {
                $null = Invoke-Skopeo copy -q --all --dest-tls-verify=false "oci:${layout}:1.0" "docker://$reg/multi:1.0"
                (Invoke-Skopeo inspect --raw --tls-verify=false "docker://$reg/multi:1.0" | ConvertFrom-Json).manifests.digest | Should -Be @($amd.ManifestDigest, $arm.ManifestDigest)
                $source = "docker://$reg/multi:1.0"
            }
            # inspect's Digest is the index's; Architecture and Layers are the chosen image's.
            $armInspect = Invoke-Skopeo --override-arch arm64 --override-os linux inspect --tls-verify=false $source | ConvertFrom-Json
            $armInspect.Architecture | Should -Be 'arm64'
            $armInspect.Layers | Should -Be @($arm.Layers.Digest)
            $amdInspect = Invoke-Skopeo --override-arch amd64 --override-os linux inspect --tls-verify=false $source | ConvertFrom-Json
            $amdInspect.Architecture | Should -Be 'amd64'
            $amdInspect.Layers | Should -Be @($amd.Layers.Digest)
        }
    }

    It 'takes the images by their names or digests in the layout, and gives the same index' {
        $again = Push-ImageIndex -LayoutPath $layout -Image 'amd', $arm.ManifestDigest -Tag 'again'
        $again.ManifestDigest | Should -Be $index.ManifestDigest
    }

    It 'refuses <Case> with <Id>, and leaves index.json as it was' -ForEach @(
        @{ Case = 'an image in a registry'; Image = 'localhost:5000/app:1'; Id = 'IndexChildUnavailable'; Message = '*' }
        @{ Case = 'a name the layout does not have'; Image = 'missing'; Id = 'IndexChildNotFound'; Message = "Reading the index's images: the image missing is not in *: its index.json names no image so.*" }
        @{ Case = 'a digest the layout does not have'; Image = "sha256:$('1' * 64)"; Id = 'IndexChildNotFound'; Message = "Reading the index's images: the image sha256:1111* is not in *: it holds no blob of that digest.*" }
        @{ Case = 'an image of another layout'; Image = 'oci:/elsewhere@sha256:0000000000000000000000000000000000000000000000000000000000000000'; Id = 'IndexChildUnavailable'; Message = '*' }
    ) {
        $before = [IO.File]::ReadAllBytes((Join-Path $layout 'index.json'))
        { Push-ImageIndex -LayoutPath $layout -Image 'amd', $Image -Tag 'bad' } | Should -Throw -ErrorId "$Id,StreamLayer.Commands.PushImageIndexCommand" -ExpectedMessage $Message
        [IO.File]::ReadAllBytes((Join-Path $layout 'index.json')) | Should -Be $before
    }

    It 'needs one place: -Repository or -LayoutPath' {
        { Push-ImageIndex -Image 'amd' } | Should -Throw -ErrorId 'DestinationConflict,StreamLayer.Commands.PushImageIndexCommand'
        { Push-ImageIndex -Repository "$reg/x" -LayoutPath $layout -Image 'amd' } | Should -Throw -ErrorId 'DestinationConflict,StreamLayer.Commands.PushImageIndexCommand'
    }
}
