# Images written with -Tag, checked with tools that know nothing of StreamLayer: skopeo reads the manifest and
# config and copies the image to an OCI layout, umoci unpacks that layout, and the files of the tars must be there.
BeforeAll {
    Import-Module $env:STREAMLAYER_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRegistry.psm1') -Force

    $script:work = New-TestDirectory
    $script:tars = @{}
    foreach ($name in 'a', 'b', 'c') {
        $tars[$name] = (New-TestTar -Path (Join-Path $work "$name.tar") -SizeKiB 200 -Seed ([int][char]$name) -Folder "srv/$name").FullName
    }
    $script:registry = Start-TestRegistry
    $script:other = Start-TestRegistry
    $script:reg = $registry.Host

    function script:Invoke-Skopeo {
        $output = & skopeo @args 2>&1
        if ($LASTEXITCODE -ne 0) { throw "skopeo $args failed: $output" }
        $output -join "`n"
    }

    function script:Get-Inspect([string] $Reference) { Invoke-Skopeo inspect --tls-verify=false "docker://$Reference" | ConvertFrom-Json }
    function script:Get-Config([string] $Reference) { Invoke-Skopeo inspect --tls-verify=false --config "docker://$Reference" | ConvertFrom-Json -DateKind String }
    function script:Get-RawManifest([string] $Reference) { Invoke-Skopeo inspect --tls-verify=false --raw "docker://$Reference" | ConvertFrom-Json }

    # skopeo copies the image into an OCI layout and umoci unpacks it, as a runtime would.
    function script:Expand-Image([string] $Reference) {
        $target = Join-Path $work ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory $target
        $null = Invoke-Skopeo copy -q --src-tls-verify=false "docker://$Reference" "oci:$target/layout:image"
        $output = & umoci unpack --rootless --image "$target/layout:image" "$target/bundle" 2>&1
        if ($LASTEXITCODE -ne 0) { throw "umoci unpack failed: $output" }
        Join-Path $target 'bundle/rootfs'
    }

    # The files of a tar (those under -Under, when lower layers are shadowed by upper ones), byte for byte, are in
    # the unpacked root file system.
    function script:Assert-TarUnpacked([string] $Tar, [string] $Rootfs, [string] $Under = '') {
        $expected = Join-Path $work ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory $expected
        & tar -xf $Tar -C $expected
        $files = Get-ChildItem (Join-Path $expected $Under) -Recurse -File
        $files.Count | Should -BeGreaterThan 0
        foreach ($file in $files) {
            $relative = [IO.Path]::GetRelativePath($expected, $file.FullName)
            $unpacked = Join-Path $Rootfs $relative
            Test-Path -LiteralPath $unpacked | Should -BeTrue -Because "$relative is in the image"
            (Get-FileHash -LiteralPath $unpacked).Hash | Should -Be (Get-FileHash -LiteralPath $file.FullName).Hash -Because "$relative has the tar's content"
        }
    }

    function script:Test-Tag([string] $Repository, [string] $Tag, $Registry = $script:registry) {
        (Invoke-WebRequest -Method Head -Uri "$($Registry.Url)/v2/$Repository/manifests/$Tag" -SkipHttpErrorCheck -UseBasicParsing `
                -Headers @{ Accept = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' }).StatusCode -eq 200
    }

    # A two-layer base in its own repository: a on scratch, then b on top of it.
    $null = Push-StreamLayer -Path $tars.a -Repository "$reg/base" -Tag '1'
    $null = Push-StreamLayer -Path $tars.b -Repository "$reg/base" -Tag '2' -BaseImage "$reg/base:1"
    $script:baseLayers = (Get-Inspect "$reg/base:2").Layers
}

AfterAll {
    foreach ($r in $script:registry, $script:other) { if ($r) { Stop-TestRegistry $r } }
    Remove-Item -Recurse -Force $script:work -ErrorAction Ignore
}

Describe 'Push-StreamLayer -Tag on scratch' {
    BeforeAll {
        $script:pushed = Push-StreamLayer -Path $tars.c -Repository "$reg/scratch" -Tag '1.0', 'latest'
    }

    It 'writes a one-layer image that skopeo reads: layer, diff_ids, os and architecture' {
        $layer = $pushed.Layers[0]
        $inspect = Get-Inspect "$reg/scratch:1.0"
        $inspect.Layers | Should -Be @($layer.Digest)
        $inspect.Os | Should -Be 'linux'
        $inspect.Architecture | Should -Be 'amd64'
        $inspect.Digest | Should -Be $pushed.ManifestDigest
        @($inspect.RepoTags | Sort-Object) | Should -Be @('1.0', 'latest')

        $config = Get-Config "$reg/scratch:1.0"
        $config.rootfs.diff_ids | Should -Be @($layer.DiffId)
        @($config.history).Count | Should -Be 1
        $config.created | Should -Be '1970-01-01T00:00:00Z'
    }

    It 'outputs one image object: the manifest by digest, its tags, platform, config and layers' {
        $pushed | Should -BeOfType ([StreamLayer.PushedImage])
        $pushed.ManifestDigest | Should -Match '^sha256:[0-9a-f]{64}$'
        $pushed.Reference | Should -Be "$reg/scratch@$($pushed.ManifestDigest)"
        $pushed.Tags | Should -Be @('1.0', 'latest')
        $pushed.Platform | Should -Be 'linux/amd64'
        $raw = Invoke-Skopeo inspect --tls-verify=false --raw "docker://$reg/scratch:1.0"
        $pushed.Size | Should -Be ([Text.Encoding]::UTF8.GetByteCount($raw))
        $pushed.MediaType | Should -Be ($raw | ConvertFrom-Json).mediaType
        $pushed.ConfigDigest | Should -Be ($raw | ConvertFrom-Json).config.digest
        $pushed.Layers.Count | Should -Be 1
        $pushed.Layers[0] | Should -BeOfType ([StreamLayer.PushedLayer])
        $pushed.Layers[0].Reference | Should -Be "$reg/scratch@$($pushed.Layers[0].Digest)"
        $pushed.Layers[0].Path | Should -Be $tars.c
        $pushed.Layers[0].PSObject.Properties.Name | Should -Not -Contain 'ManifestDigest' -Because 'the image says it once'
    }

    It 'is an image umoci unpacks, with the tar''s files in its root file system' {
        Assert-TarUnpacked $tars.c (Expand-Image "$reg/scratch:1.0")
    }

    It 'uses Docker''s schema 2 for Docker layers and OCI for OCI layers' {
        (Get-RawManifest "$reg/scratch:1.0").mediaType | Should -Be 'application/vnd.docker.distribution.manifest.v2+json'
        $oci = Push-StreamLayer -Path $tars.c -Repository "$reg/scratch-oci" -Tag '1' -MediaType Oci
        $manifest = Get-RawManifest "$reg/scratch-oci:1"
        $manifest.mediaType | Should -Be 'application/vnd.oci.image.manifest.v1+json'
        $manifest.config.mediaType | Should -Be 'application/vnd.oci.image.config.v1+json'
        $manifest.layers[0].mediaType | Should -Be 'application/vnd.oci.image.layer.v1.tar+gzip'
        $oci.Layers[0].MediaType | Should -Be 'application/vnd.oci.image.layer.v1.tar+gzip'
        $oci.MediaType | Should -Be 'application/vnd.oci.image.manifest.v1+json'
    }

    It 'writes an OCI image for a zstd layer, which skopeo and umoci read' {
        $pushed = Push-StreamLayer -Path $tars.c -Repository "$reg/scratch-zstd" -Tag '1' -Compression Zstd
        $manifest = Get-RawManifest "$reg/scratch-zstd:1"
        $manifest.mediaType | Should -Be 'application/vnd.oci.image.manifest.v1+json'
        $manifest.layers[0].mediaType | Should -Be 'application/vnd.oci.image.layer.v1.tar+zstd'
        (Get-Config "$reg/scratch-zstd:1").rootfs.diff_ids | Should -Be @($pushed.Layers[0].DiffId)
    }

    It 'writes the platform given with -Platform' {
        $null = Push-StreamLayer -Path $tars.c -Repository "$reg/scratch-arm" -Tag '1' -Platform 'linux/arm64/v8'
        $config = Get-Config "$reg/scratch-arm:1"
        $config.architecture | Should -Be 'arm64'
        $config.variant | Should -Be 'v8'
        $config.os | Should -Be 'linux'
    }
}

Describe 'Push-StreamLayer -Tag -BaseImage' {
    It 'appends to a two-layer base from another repository, mounting its layers' {
        $verbose = Push-StreamLayer -Path $tars.c -Repository "$reg/app" -Tag '1' -BaseImage "$reg/base:2" -Verbose 4>&1
        $image = $verbose | Where-Object { $_ -is [StreamLayer.PushedImage] }
        $pushed = $image.Layers[-1]
        $messages = @($verbose | Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message)

        @($messages -match 'mounted from base').Count | Should -Be 2
        @($messages -match '^POST .*mount=sha256:.*from=base -> 201').Count | Should -Be 2
        $inspect = Get-Inspect "$reg/app:1"
        $inspect.Layers | Should -Be @($baseLayers + $pushed.Digest)
        $config = Get-Config "$reg/app:1"
        @($config.rootfs.diff_ids).Count | Should -Be 3
        $config.rootfs.diff_ids[2] | Should -Be $pushed.DiffId
        @($config.history).Count | Should -Be 3

        # The image object lists the base's layers first, as the manifest and config name them.
        @($image.Layers.Digest) | Should -Be @($inspect.Layers)
        @($image.Layers.DiffId) | Should -Be @($config.rootfs.diff_ids)
        $image.Layers[0].UncompressedSize | Should -BeNullOrEmpty -Because 'a base layer was not read'
        $image.Layers[0].Reference | Should -Be "$reg/app@$($baseLayers[0])"
        $pushed.UncompressedSize | Should -Be (Get-Item $tars.c).Length

        $rootfs = Expand-Image "$reg/app:1"
        Assert-TarUnpacked $tars.a $rootfs 'srv/a'
        Assert-TarUnpacked $tars.b $rootfs 'srv/b'
        Assert-TarUnpacked $tars.c $rootfs
    }

    It 'copies the base''s layers from another registry' {
        $verbose = Push-StreamLayer -Path $tars.c -Repository "$($other.Host)/copied" -Tag '1' -BaseImage "$reg/base:2" -Verbose 4>&1
        @($verbose | Where-Object { $_ -is [Management.Automation.VerboseRecord] -and $_.Message -match '^copying base layer' }).Count | Should -Be 2
        $pushed = ($verbose | Where-Object { $_ -is [StreamLayer.PushedImage] }).Layers[-1]
        (Get-Inspect "$($other.Host)/copied:1").Layers | Should -Be @($baseLayers + $pushed.Digest)
        $rootfs = Expand-Image "$($other.Host)/copied:1"
        Assert-TarUnpacked $tars.a $rootfs 'srv/a'
        Assert-TarUnpacked $tars.b $rootfs 'srv/b'
        Assert-TarUnpacked $tars.c $rootfs
        Get-StoredBlobs -Registry $other | Where-Object { -not $_.Matches } | Should -BeNullOrEmpty
    }

    It 'resolves a multi-platform base (an image index) to the -Platform entry' {
        $amd = Push-StreamLayer -Path $tars.a -Repository "$reg/multi" -Tag 'amd64' -Platform 'linux/amd64' -MediaType Oci
        $arm = Push-StreamLayer -Path $tars.b -Repository "$reg/multi" -Tag 'arm64' -Platform 'linux/arm64' -MediaType Oci
        $entries = foreach ($image in @(@{ Pushed = $amd; Arch = 'amd64' }, @{ Pushed = $arm; Arch = 'arm64' })) {
            $size = (Invoke-WebRequest -Uri "$($registry.Url)/v2/multi/manifests/$($image.Pushed.ManifestDigest)" -Headers @{ Accept = 'application/vnd.oci.image.manifest.v1+json' } -UseBasicParsing).RawContentLength
            @{ mediaType = 'application/vnd.oci.image.manifest.v1+json'; digest = $image.Pushed.ManifestDigest; size = $size; platform = @{ os = 'linux'; architecture = $image.Arch } }
        }
        $index = @{ schemaVersion = 2; mediaType = 'application/vnd.oci.image.index.v1+json'; manifests = @($entries) } | ConvertTo-Json -Depth 5 -Compress
        $null = Invoke-WebRequest -Method Put -Uri "$($registry.Url)/v2/multi/manifests/latest" -Body $index -ContentType 'application/vnd.oci.image.index.v1+json' -UseBasicParsing

        $pushed = (Push-StreamLayer -Path $tars.c -Repository "$reg/on-arm" -Tag '1' -BaseImage "$reg/multi:latest" -Platform 'linux/arm64' -MediaType Oci).Layers[-1]

        $config = Get-Config "$reg/on-arm:1"
        $config.architecture | Should -Be 'arm64'
        $config.rootfs.diff_ids | Should -Be @($arm.Layers[0].DiffId, $pushed.DiffId)
        (Get-Inspect "$reg/on-arm:1").Layers | Should -Be @($arm.Layers[0].Digest, $pushed.Digest)
        (Get-RawManifest "$reg/on-arm:1").mediaType | Should -Be 'application/vnd.oci.image.manifest.v1+json'
    }

    It 'writes the base''s manifest format: a Docker base gives a Docker manifest even for an OCI layer' {
        $pushed = Push-StreamLayer -Path $tars.c -Repository "$reg/docker-base" -Tag '1' -BaseImage "$reg/base:2" -MediaType Oci
        $manifest = Get-RawManifest "$reg/docker-base:1"
        $manifest.mediaType | Should -Be 'application/vnd.docker.distribution.manifest.v2+json'
        $manifest.layers[2].mediaType | Should -Be 'application/vnd.docker.image.rootfs.diff.tar.gzip'
        $pushed.Layers[-1].MediaType | Should -Be 'application/vnd.docker.image.rootfs.diff.tar.gzip'
    }
}

Describe 'Push-StreamLayer images are reproducible' {
    It 'gives the same manifest digest for the same inputs' {
        $first = Push-StreamLayer -Path $tars.a -Repository "$reg/repro" -Tag 'one' -BaseImage "$reg/base:1"
        $second = Get-Content -AsByteStream -ReadCount 64KB $tars.a | Push-StreamLayer -Repository "$reg/repro" -Tag 'two' -BaseImage "$reg/base:1"
        $second.ManifestDigest | Should -Be $first.ManifestDigest
        (Get-Inspect "$reg/repro:two").Digest | Should -Be $first.ManifestDigest
    }

    It 'writes -Created into the config and history, and SOURCE_DATE_EPOCH the same way' {
        $byParameter = Push-StreamLayer -Path $tars.a -Repository "$reg/dated" -Tag 'p' -Created ([DateTime]::new(2023, 11, 14, 22, 13, 20, [DateTimeKind]::Utc))
        $env:SOURCE_DATE_EPOCH = '1700000000'
        try { $byEnvironment = Push-StreamLayer -Path $tars.a -Repository "$reg/dated" -Tag 'e' }
        finally { Remove-Item Env:SOURCE_DATE_EPOCH }
        $undated = Push-StreamLayer -Path $tars.a -Repository "$reg/dated" -Tag 'u'

        $config = Get-Config "$reg/dated:p"
        $config.created | Should -Be '2023-11-14T22:13:20Z'
        $config.history[-1].created | Should -Be '2023-11-14T22:13:20Z'
        $byEnvironment.ManifestDigest | Should -Be $byParameter.ManifestDigest
        $undated.ManifestDigest | Should -Not -Be $byParameter.ManifestDigest
    }
}

Describe 'Push-StreamLayer image errors' {
    It 'refuses a missing base image before reading any input, and writes nothing' {
        $script:produced = 0
        $caught = $null
        try { & { $script:produced++; [byte]1 } | Push-StreamLayer -Repository "$reg/no-base" -Tag '1' -BaseImage "$reg/does-not-exist:1" } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'BaseImageNotFound,*'
        $caught.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $caught.Exception.Message | Should -Match 'does-not-exist'
        $script:produced | Should -Be 0
        Test-Path (Join-Path $registry.Storage 'docker/registry/v2/repositories/no-base') | Should -BeFalse
    }

    It 'refuses a platform the base''s index does not have, naming those it has' {
        $caught = $null
        try { Push-StreamLayer -Path $tars.c -Repository "$reg/no-platform" -Tag '1' -BaseImage "$reg/multi:latest" -Platform 'linux/s390x' } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'PlatformNotFound,*'
        $caught.Exception.Message | Should -Match 'linux/amd64, linux/arm64'
        Test-Tag 'no-platform' '1' | Should -BeFalse
    }

    It 'writes no tag when the registry rejects the manifest' {
        $proxy = Start-FaultProxy -Registry $registry
        try {
            Set-ProxyFaults $proxy @(@{ Method = 'PUT'; PathContains = '/manifests/'; Action = 'status'; Status = 400; Code = 'MANIFEST_INVALID'; Times = 0 })
            $caught = $null
            try { Push-StreamLayer -Path $tars.c -Repository "$($proxy.Host)/rejected" -Tag '1' -RetryIntervalSec 0 } catch { $caught = $_ }
            $caught.FullyQualifiedErrorId | Should -BeLike 'RegistryBlobRejected,*'
            $caught.Exception.ErrorCode | Should -Be 'MANIFEST_INVALID'
            Test-Tag 'rejected' '1' | Should -BeFalse
            @(Get-ProxyLog $proxy | Where-Object { $_.Method -eq 'PUT' -and $_.Path -like '*/manifests/1' }).Count | Should -Be 0 -Because 'tags are written only after the manifest landed'
        }
        finally { Stop-FaultProxy $proxy }
    }

    It 'refuses <Name> with <Id>' -ForEach @(
        @{ Name = '-BaseImage without -Tag'; Id = 'TagRequired'; Run = { Push-StreamLayer -Path $tars.c -Repository "$reg/x" -BaseImage "$reg/base:1" } }
        @{ Name = '-Platform without -Tag'; Id = 'TagRequired'; Run = { Push-StreamLayer -Path $tars.c -Repository "$reg/x" -Platform 'linux/arm64' } }
        @{ Name = 'an invalid tag'; Id = 'InvalidTag'; Run = { Push-StreamLayer -Path $tars.c -Repository "$reg/x" -Tag 'no spaces' } }
        @{ Name = 'a platform that is not os/arch'; Id = 'InvalidOption'; Run = { Push-StreamLayer -Path $tars.c -Repository "$reg/x" -Tag '1' -Platform 'amd64' } }
        @{ Name = 'an invalid base reference'; Id = 'InvalidBaseImage'; Run = { Push-StreamLayer -Path $tars.c -Repository "$reg/x" -Tag '1' -BaseImage 'Not A Reference' } }
        @{ Name = 'a tag PowerShell turned into a number'; Id = 'ParameterArgumentTransformationError'; Run = { Push-StreamLayer -Path $tars.c -Repository "$reg/x" -Tag 1.0 } }
    ) {
        $caught = $null
        try { & $Run } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        Test-Path (Join-Path $registry.Storage 'docker/registry/v2/repositories/x') | Should -BeFalse
    }

    # The base is read through a proxy of its registry that misbehaves on the first layer's GET; the copy goes to
    # another registry, which must end with no session, no blob of the layer and no tag.
    It 'refuses a base layer whose registry sends <Name>, keeping nothing of it' -ForEach @(
        @{ Name = 'other bytes than its digest names'; Action = 'corruptBody'; Id = 'RegistryDigestMismatch'; Category = 'InvalidResult'; Pattern = 'holds bytes whose digest is sha256:' }
        @{ Name = 'a body that always breaks off'; Action = 'cutBody'; Id = 'RegistryConnectionFailed'; Category = 'ConnectionError'; Pattern = 'broke off after 1000 of its' }
        @{ Name = 'an endless body'; Action = 'endlessBody'; Id = 'RegistryDigestMismatch'; Category = 'InvalidResult'; Pattern = 'holds more than the \d+ bytes the manifest gives' }
    ) {
        $proxy = Start-FaultProxy -Registry $registry
        try {
            $layer = $baseLayers[0]
            Set-ProxyFaults $proxy @(@{ Method = 'GET'; PathContains = $layer; Action = $Action; Bytes = 1000; Status = 200; Times = 0 })
            $repository = "hostile-source-$($Action.ToLowerInvariant())"
            $caught = $null
            try { Push-StreamLayer -Path $tars.c -Repository "$($other.Host)/$repository" -Tag '1' -BaseImage "$($proxy.Host)/base:2" -RetryIntervalSec 0 -MaximumRetryCount 1 } catch { $caught = $_ }
            $caught.FullyQualifiedErrorId | Should -BeLike "$Id,*"
            $caught.CategoryInfo.Category | Should -Be $Category
            $caught.Exception.Message | Should -Match ([regex]::Escape("Copying $layer from $($proxy.Host)/base: the answer to GET http://$($proxy.Host)/v2/base/blobs/$layer"))
            $caught.Exception.Message | Should -Match $Pattern
            $caught.Exception.Method | Should -Be 'GET'
            @(Get-ProxyLog $proxy | Where-Object { $_.Method -eq 'GET' -and $_.Path -like "*/blobs/$layer" }).Count | Should -Be $(if ($Action -eq 'cutBody') { 2 } else { 1 }) -Because 'a broken connection is tried again, a wrong blob is not'
            Test-Tag $repository '1' $other | Should -BeFalse
            @(Get-UploadSessions -Registry $other -Repository $repository).Count | Should -Be 0 -Because 'the copy''s session was cancelled'
            Test-Path (Join-Path $other.Storage "docker/registry/v2/repositories/$repository/_layers/sha256/$($layer -replace '^sha256:')") | Should -BeFalse
            Get-StoredBlobs -Registry $other | Where-Object { -not $_.Matches } | Should -BeNullOrEmpty
        }
        finally { Stop-FaultProxy $proxy }
    }

    It 'copies a base layer again when its body broke off once, and the image is whole' {
        $proxy = Start-FaultProxy -Registry $registry
        try {
            $layer = $baseLayers[1]
            Set-ProxyFaults $proxy @(@{ Method = 'GET'; PathContains = $layer; Action = 'cutBody'; Bytes = 2000; Times = 1 })
            $verbose = Push-StreamLayer -Path $tars.c -Repository "$($other.Host)/recopied" -Tag '1' -BaseImage "$($proxy.Host)/base:2" -RetryIntervalSec 0 -Verbose 4>&1
            $messages = @($verbose | Where-Object { $_ -is [Management.Automation.VerboseRecord] }).Message
            @($messages -match "^copying $layer failed .*broke off after 2000 of its .*; copying it again").Count | Should -Be 1 -Because ($messages -join "`n")
            @(Get-ProxyLog $proxy | Where-Object { $_.Method -eq 'GET' -and $_.Path -like "*/blobs/$layer" }).Count | Should -Be 2
            (Get-Inspect "$($other.Host)/recopied:1").Layers[0..1] | Should -Be $baseLayers
            @(Get-UploadSessions -Registry $other -Repository 'recopied').Count | Should -Be 0
            Get-StoredBlobs -Registry $other | Where-Object { -not $_.Matches } | Should -BeNullOrEmpty
            $rootfs = Expand-Image "$($other.Host)/recopied:1"
            Assert-TarUnpacked $tars.b $rootfs 'srv/b'
        }
        finally { Stop-FaultProxy $proxy }
    }

    It 'refuses a zstd layer on a Docker schema 2 base, writing no tag' {
        $caught = $null
        try { Push-StreamLayer -Path $tars.c -Repository "$reg/zstd-on-docker" -Tag '1' -BaseImage "$reg/base:2" -Compression Zstd } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'FormatConflict,*'
        $caught.Exception.Message | Should -Match 'Docker schema 2'
        Test-Tag 'zstd-on-docker' '1' | Should -BeFalse
    }

    It 'writes nothing under -WhatIf' {
        $null = Push-StreamLayer -Path $tars.c -Repository "$reg/whatif" -Tag '1' -BaseImage "$reg/base:2" -WhatIf
        Test-Path (Join-Path $registry.Storage 'docker/registry/v2/repositories/whatif') | Should -BeFalse
    }
}

Describe 'Push-StreamLayer -Tag from several processes at once' {
    It 'ends the tag on one complete image, whose config and layers the registry all holds, whichever process wins' {
        $processes = foreach ($name in 'a', 'b', 'c') {
            Start-ChildPwsh "Import-Module '$env:STREAMLAYER_MODULE'; Push-StreamLayer -Path '$($tars[$name])' -Repository '$reg/race' -Tag 'same' -Label @{ writer = '$name' } -ErrorAction Stop | Out-Null"
        }
        foreach ($process in $processes) {
            # A hang guard: each push of 200 KiB ends by itself.
            $process.WaitForExit(120000) | Should -BeTrue
            $process.ExitCode | Should -Be 0 -Because "every writer succeeds: $($process.StandardError.ReadToEnd())"
        }

        $manifest = Get-RawManifest "$reg/race:same"
        $config = Get-Config "$reg/race:same"
        $config.config.Labels.writer | Should -BeIn 'a', 'b', 'c'
        $writer = $config.config.Labels.writer
        @($manifest.layers).Count | Should -Be 1
        $manifest.layers[0].digest | Should -Be (Get-LayerDigest -Path $tars[$writer]).Digest -Because 'the layer is the one of the writer whose config the tag names'
        foreach ($digest in @($manifest.config.digest) + @($manifest.layers.digest)) {
            Get-RegistryBlobStatus -Registry $registry -Repository 'race' -Digest $digest | Should -Be 200 -Because "the registry holds $digest"
        }
    }
}
