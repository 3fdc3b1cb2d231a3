# Push-ImageIndex against the real registry, checked by tools that know nothing of StreamLayer: skopeo reads the
# index (inspect --raw) and picks a child by platform (--override-arch), umoci unpacks each child, and podman
# pulls the tag on this amd64 machine and runs the amd64 image.
BeforeAll {
    Import-Module $env:STREAMLAYER_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRegistry.psm1') -Force

    $script:work = New-TestDirectory
    $script:tars = @{}
    foreach ($arch in 'amd64', 'arm64', 'riscv64') {
        $tars[$arch] = (New-BusyboxTar -Path (Join-Path $work "$arch.tar") -Marker $arch).FullName
    }
    $script:podman = New-TestPodmanRoot
    $script:registry = Start-TestRegistry
    $script:other = Start-TestRegistry
    $script:reg = $registry.Host
    $script:indexTypes = 'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json'

    function script:Invoke-Skopeo {
        $output = & skopeo @args 2>&1
        if ($LASTEXITCODE -ne 0) { throw "skopeo $args failed: $output" }
        $output -join "`n"
    }

    function script:Get-Raw([string] $Reference) { Invoke-Skopeo inspect --tls-verify=false --raw "docker://$Reference" }

    function script:Test-Manifest([string] $Repository, [string] $Reference, $Registry = $script:registry) {
        (Invoke-WebRequest -Method Head -Uri "$($Registry.Url)/v2/$Repository/manifests/$Reference" -SkipHttpErrorCheck -UseBasicParsing `
                -Headers @{ Accept = "$indexTypes, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json" }).StatusCode -eq 200
    }

    # skopeo copies the child for one architecture out of the index into an OCI layout; umoci unpacks it.
    function script:Expand-Child([string] $Reference, [string] $Arch) {
        $target = Join-Path $work ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory $target
        $null = Invoke-Skopeo --override-arch $Arch --override-os linux copy -q --src-tls-verify=false "docker://$Reference" "oci:$target/layout:image"
        $output = & umoci unpack --rootless --image "$target/layout:image" "$target/bundle" 2>&1
        if ($LASTEXITCODE -ne 0) { throw "umoci unpack failed: $output" }
        Join-Path $target 'bundle/rootfs'
    }

    function script:Push-Child([string] $Arch, [string] $Repository, [hashtable] $Options = @{}) {
        Push-StreamLayer -Path $tars[$Arch] -Repository $Repository -Tag "1.0-$Arch" -Platform "linux/$Arch" -Entrypoint '/bin/busybox', 'cat', '/etc/marker' @Options
    }

    # The issue's three lines: two images, one per platform, then one tag for both.
    $script:amd = Push-Child amd64 "$reg/app"
    $script:arm = Push-Child arm64 "$reg/app"
    $script:index = $amd, $arm | Push-ImageIndex -Repository "$reg/app" -Tag '1.0'
}

AfterAll {
    foreach ($r in $script:registry, $script:other) { if ($r) { Stop-TestRegistry $r } }
    Remove-Item -Recurse -Force $script:work, $script:podman -ErrorAction Ignore
}

Describe 'Push-ImageIndex of two platforms' {
    It 'writes a Docker manifest list of the two Docker images with their platforms, as skopeo inspect --raw reads it' {
        $raw = Get-Raw "$reg/app:1.0"
        $list = $raw | ConvertFrom-Json
        $list.schemaVersion | Should -Be 2
        $list.mediaType | Should -Be 'application/vnd.docker.distribution.manifest.list.v2+json'
        @($list.manifests).Count | Should -Be 2
        $list.manifests[0].digest | Should -Be $amd.ManifestDigest
        $list.manifests[0].size | Should -Be $amd.Size
        $list.manifests[0].mediaType | Should -Be $amd.MediaType
        $list.manifests[0].platform.os | Should -Be 'linux'
        $list.manifests[0].platform.architecture | Should -Be 'amd64'
        $list.manifests[1].digest | Should -Be $arm.ManifestDigest
        $list.manifests[1].platform.architecture | Should -Be 'arm64'
        $list.PSObject.Properties.Name | Should -Not -Contain 'annotations'

        $bytes = [Text.Encoding]::UTF8.GetBytes($raw)
        $index.ManifestDigest | Should -Be ('sha256:' + [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($bytes)).ToLowerInvariant())
        $index.Size | Should -Be $bytes.Length
    }

    It 'outputs the index object: reference by digest, media type, tags and the images with their platforms' {
        $index | Should -BeOfType ([StreamLayer.PushedImageIndex])
        $index.Reference | Should -Be "$reg/app@$($index.ManifestDigest)"
        $index.MediaType | Should -Be 'application/vnd.docker.distribution.manifest.list.v2+json'
        $index.Tags | Should -Be @('1.0')
        @($index.Manifests.Platform) | Should -Be @('linux/amd64', 'linux/arm64')
        @($index.Manifests.Digest) | Should -Be @($amd.ManifestDigest, $arm.ManifestDigest)
        $index.Manifests[1].Reference | Should -Be "$reg/app@$($arm.ManifestDigest)"
        ($index | Out-String) | Should -Match 'linux/arm64\s+sha256:' -Because 'the default view lists the platforms'
    }

    It 'serves the arm64 image to skopeo --override-arch arm64, and the amd64 one to amd64' {
        $armInspect = Invoke-Skopeo --override-arch arm64 --override-os linux inspect --tls-verify=false "docker://$reg/app:1.0" | ConvertFrom-Json
        $armInspect.Architecture | Should -Be 'arm64'
        $armInspect.Layers | Should -Be @($arm.Layers.Digest)
        $armConfig = Invoke-Skopeo --override-arch arm64 --override-os linux inspect --config --tls-verify=false "docker://$reg/app:1.0" | ConvertFrom-Json
        $armConfig.architecture | Should -Be 'arm64'
        $armConfig.config.Entrypoint | Should -Be @('/bin/busybox', 'cat', '/etc/marker')

        $amdInspect = Invoke-Skopeo --override-arch amd64 --override-os linux inspect --tls-verify=false "docker://$reg/app:1.0" | ConvertFrom-Json
        $amdInspect.Architecture | Should -Be 'amd64'
        $amdInspect.Layers | Should -Be @($amd.Layers.Digest)
    }

    It 'is an index each of whose children umoci unpacks, with that platform''s files' {
        foreach ($arch in 'amd64', 'arm64') {
            $rootfs = Expand-Child "$reg/app:1.0" $arch
            Get-Content -Raw (Join-Path $rootfs 'etc/marker') | Should -Be "$arch`n"
            (Get-FileHash (Join-Path $rootfs 'bin/busybox')).Hash | Should -Be (Get-FileHash /bin/busybox).Hash
        }
    }

    It 'runs in podman: the tag gives this amd64 machine the amd64 image, which does what -Entrypoint set' -Tag 'Podman' {
        $output = Invoke-TestPodmanRun -Root $podman -Image "$reg/app:1.0"
        $output[-1] | Should -Be 'amd64'
    }

    It 'gives the same index digest for the same images in the same order' {
        $again = Push-ImageIndex -Repository "$reg/app" -Tag 'again' -InputObject $amd, $arm
        $again.ManifestDigest | Should -Be $index.ManifestDigest
        $swapped = $arm, $amd | Push-ImageIndex -Repository "$reg/app" -Tag 'swapped'
        $swapped.ManifestDigest | Should -Not -Be $index.ManifestDigest
    }

    It 'takes -Repository as its first positional argument, as Push-StreamLayer takes it after -Path' {
        $positional = $amd, $arm | Push-ImageIndex "$reg/app" -Tag 'positional'
        $positional.ManifestDigest | Should -Be $index.ManifestDigest
        $positional.Tags | Should -Be @('positional')
    }
}

Describe 'Push-ImageIndex formats, annotations and references' {
    It 'writes an OCI index when an image is OCI, and carries -Annotation' {
        $ociArm = Push-Child arm64 "$reg/oci" @{ MediaType = 'Oci' }
        $ociAmd = Push-Child amd64 "$reg/oci"
        $written = $ociAmd, $ociArm | Push-ImageIndex -Repository "$reg/oci" -Tag '1.0' -Annotation @{ 'org.opencontainers.image.version' = '1.0'; b = 'x' }
        $raw = Get-Raw "$reg/oci:1.0" | ConvertFrom-Json -AsHashtable
        $raw.mediaType | Should -Be 'application/vnd.oci.image.index.v1+json'
        $raw.annotations['org.opencontainers.image.version'] | Should -Be '1.0'
        @($raw.annotations.Keys) | Should -Be @('b', 'org.opencontainers.image.version')
        $raw.manifests[0].mediaType | Should -Be 'application/vnd.docker.distribution.manifest.v2+json'
        $raw.manifests[1].mediaType | Should -Be 'application/vnd.oci.image.manifest.v1+json'
        $written.MediaType | Should -Be 'application/vnd.oci.image.index.v1+json'
    }

    It 'writes an OCI index of Docker images when -Annotation is given: a manifest list has no annotations' {
        $written = $amd, $arm | Push-ImageIndex -Repository "$reg/app" -Tag 'annotated' -Annotation @{ a = '1' }
        (Get-Raw "$reg/app:annotated" | ConvertFrom-Json).mediaType | Should -Be 'application/vnd.oci.image.index.v1+json'
        $written.MediaType | Should -Be 'application/vnd.oci.image.index.v1+json'
    }

    It 'takes images by reference with -Image, by tag, full digest or a bare digest in -Repository, reading their platform from the config' {
        $written = Push-ImageIndex -Repository "$reg/app" -Tag 'by-reference' -Image "$reg/app:1.0-amd64", "$reg/app@$($arm.ManifestDigest)"
        @($written.Manifests.Platform) | Should -Be @('linux/amd64', 'linux/arm64')
        $written.ManifestDigest | Should -Be $index.ManifestDigest -Because 'the same images make the same index'
        $mixed = $arm | Push-ImageIndex -Repository "$reg/app" -Tag 'mixed' -Image $amd.Reference
        $mixed.ManifestDigest | Should -Be $index.ManifestDigest -Because '-Image comes first, then the pipeline'
        $bare = Push-ImageIndex -Repository "$reg/app" -Image $amd.ManifestDigest, $arm.ManifestDigest
        $bare.ManifestDigest | Should -Be $index.ManifestDigest
        $bare.Tags.Count | Should -Be 0
        Test-Manifest 'app' $bare.ManifestDigest | Should -BeTrue -Because 'without -Tag the index is written by its digest'
    }

    It 'takes image objects that came back from another process (deserialized), by their Reference and Platform' {
        $path = Join-Path $work 'images.xml'
        $amd, $arm | Export-Clixml -Path $path
        $command = "Import-Module '$env:STREAMLAYER_MODULE'; (Import-Clixml '$path' | Push-ImageIndex -Repository '$reg/app' -Tag 'from-clixml').ManifestDigest"
        $output = Invoke-ChildPwsh $command
        $LASTEXITCODE | Should -Be 0
        $output | Should -Be $index.ManifestDigest
    }
}

Describe 'Push-ImageIndex of images in other repositories' {
    It 'mounts images of another repository of the same registry into the index''s' {
        $a = Push-Child amd64 "$reg/team/app-amd64"
        $b = Push-Child arm64 "$reg/team/app-arm64"
        $verbose = $a, $b | Push-ImageIndex -Repository "$reg/team/app" -Tag '1.0' -Verbose 4>&1
        $written = $verbose | Where-Object { $_ -is [StreamLayer.PushedImageIndex] }
        $messages = @($verbose | Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message)

        @($messages -match '^POST .*mount=sha256:.*from=team/app-(amd|arm)64 -> 201').Count | Should -Be 4 -Because 'each image has a config and a layer'
        @($messages -match '^copying').Count | Should -Be 0
        $written.Manifests[0].Reference | Should -Be "$reg/team/app@$($a.ManifestDigest)"
        Test-Manifest 'team/app' $a.ManifestDigest | Should -BeTrue
        Test-Manifest 'team/app' $b.ManifestDigest | Should -BeTrue
        Get-Content -Raw (Join-Path (Expand-Child "$reg/team/app:1.0" arm64) 'etc/marker') | Should -Be "arm64`n"
    }

    It 'copies images from another registry' {
        $a = Push-Child amd64 "$($other.Host)/far"
        $b = Push-Child arm64 "$reg/near"
        $verbose = $a, $b | Push-ImageIndex -Repository "$($other.Host)/multi" -Tag '1.0' -Verbose 4>&1
        $messages = @($verbose | Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message)
        @($messages -match '^copying blob of .*near@').Count | Should -Be 2
        foreach ($arch in 'amd64', 'arm64') {
            Get-Content -Raw (Join-Path (Expand-Child "$($other.Host)/multi:1.0" $arch) 'etc/marker') | Should -Be "$arch`n"
        }
        Get-StoredBlobs -Registry $other | Where-Object { -not $_.Matches } | Should -BeNullOrEmpty
    }
}

Describe 'Push-ImageIndex refusals' {
    It 'refuses two images for the same platform, writing nothing' {
        $otherAmd = Push-Child amd64 "$reg/dup" @{ Cmd = 'other' }
        $caught = $null
        try { $amd, $otherAmd | Push-ImageIndex -Repository "$reg/dup" -Tag 'both' } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -Be 'IndexPlatformDuplicate,StreamLayer.Commands.PushImageIndexCommand'
        $caught.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $caught.Exception.Message | Should -Match 'both for linux/amd64'
        Test-Manifest 'dup' 'both' | Should -BeFalse
        Test-Manifest 'dup' $amd.ManifestDigest | Should -BeFalse -Because 'the image of the other repository was not mounted either'
    }

    It 'refuses an image whose manifest was deleted between its push and the index (<Where>), writing nothing' -ForEach @(
        @{ Where = 'in the index''s repository'; Repository = 'gone-here' }
        @{ Where = 'in another repository'; Repository = 'gone-there' }
    ) {
        $gone = Push-Child arm64 "$reg/$Repository" @{ Cmd = "deleted-$Repository" }
        $deleted = Invoke-WebRequest -Method Delete -Uri "$($registry.Url)/v2/$Repository/manifests/$($gone.ManifestDigest)" -SkipHttpErrorCheck
        $deleted.StatusCode | Should -Be 202 -Because 'the registry deleted the manifest'
        $target = if ($Repository -eq 'gone-here') { $Repository } else { 'gone-index' }
        $mine = Push-Child amd64 "$reg/$target" @{ Cmd = "kept-$Repository" }
        $caught = $null
        try { $mine, $gone | Push-ImageIndex -Repository "$reg/$target" -Tag 'both' } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -Be 'IndexChildNotFound,StreamLayer.Commands.PushImageIndexCommand'
        $caught.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $caught.Exception.Message | Should -Match ([regex]::Escape("Reading the index's images: GET $($registry.Url)/v2/$Repository/manifests/$($gone.ManifestDigest) answered 404 Not Found"))
        Test-Manifest $target 'both' | Should -BeFalse -Because 'no index was written'
    }

    It 'refuses arm64 and arm64/v8 as the same platform' {
        $v8 = Push-StreamLayer -Path $tars.riscv64 -Repository "$reg/app" -Tag 'v8' -Platform 'linux/arm64/v8'
        $v8.Platform | Should -Be 'linux/arm64/v8'
        $caught = $null
        try { $arm, $v8 | Push-ImageIndex -Repository "$reg/app" -Tag 'arm-twice' } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'IndexPlatformDuplicate,*'
        Test-Manifest 'app' 'arm-twice' | Should -BeFalse
    }

    It 'refuses an image object with no platform' {
        $noPlatform = [pscustomobject]@{ Reference = $amd.Reference }
        $caught = $null
        try { $noPlatform, $arm | Push-ImageIndex -Repository "$reg/app" -Tag 'no-platform' } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'IndexPlatformMissing,*'
        $caught.CategoryInfo.Category | Should -Be 'InvalidData'
        $caught.Exception.Message | Should -Match 'has no Platform'
        Test-Manifest 'app' 'no-platform' | Should -BeFalse
    }

    It 'refuses an image of another repository whose layer that repository no longer holds: it cannot be mounted or copied' {
        $gone = Push-Child amd64 "$reg/gone"
        $null = Invoke-WebRequest -Method Delete -Uri "$($registry.Url)/v2/gone/blobs/$($gone.Layers[0].Digest)" -UseBasicParsing
        $caught = $null
        try { $gone, $arm | Push-ImageIndex -Repository "$reg/target" -Tag '1.0' } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -Be 'IndexChildUnavailable,StreamLayer.Commands.PushImageIndexCommand'
        $caught.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $caught.Exception.Message | Should -Match ([regex]::Escape("cannot be mounted or copied into $reg/target"))
        $caught.Exception.Message | Should -Match ([regex]::Escape($gone.Layers[0].Digest))
        Test-Path (Join-Path $registry.Storage 'docker/registry/v2/repositories/target') | Should -BeFalse -Because 'nothing was written'
    }

    It 'refuses an image of another registry it may not read, as unavailable' {
        $proxy = Start-FaultProxy -Registry $other
        try {
            $far = Push-Child amd64 "$($proxy.Host)/denied"
            Set-ProxyFaults $proxy @(@{ Method = 'GET'; PathContains = '/v2/denied/'; Action = 'status'; Status = 403; Code = 'DENIED'; Times = 0 })
            $caught = $null
            try { $far, $arm | Push-ImageIndex -Repository "$reg/denied-target" -Tag '1.0' -RetryIntervalSec 0 } catch { $caught = $_ }
            $caught.FullyQualifiedErrorId | Should -BeLike 'IndexChildUnavailable,*'
            $caught.Exception.InnerException | Should -BeOfType ([StreamLayer.Registry.RegistryException])
            Test-Path (Join-Path $registry.Storage 'docker/registry/v2/repositories/denied-target') | Should -BeFalse
        }
        finally { Stop-FaultProxy $proxy }
    }

    It 'refuses <Name> with <Id>' -ForEach @(
        @{ Name = 'no image at all'; Id = 'IndexEmpty'; Run = { Push-ImageIndex -Repository "$reg/refused" -Tag '1' } }
        @{ Name = 'an empty pipeline'; Id = 'IndexEmpty'; Run = { @() | Push-ImageIndex -Repository "$reg/refused" -Tag '1' } }
        @{ Name = 'an image that does not exist'; Id = 'IndexChildNotFound'; Run = { Push-ImageIndex -Repository "$reg/refused" -Tag '1' -Image "$reg/app@sha256:$('0' * 64)" } }
        @{ Name = 'an index as an image'; Id = 'IndexChildInvalid'; Run = { Push-ImageIndex -Repository "$reg/refused" -Tag '1' -Image "$reg/app:1.0" } }
        @{ Name = 'something that is no image'; Id = 'IndexChildInvalid'; Run = { 42 | Push-ImageIndex -Repository "$reg/refused" -Tag '1' } }
        @{ Name = 'a reference that is not one'; Id = 'IndexChildInvalid'; Run = { Push-ImageIndex -Repository "$reg/refused" -Image 'Not A Reference' } }
        @{ Name = 'a repository with a tag'; Id = 'InvalidRepository'; Run = { $amd | Push-ImageIndex -Repository "$reg/refused:1" } }
        @{ Name = 'an invalid tag'; Id = 'InvalidTag'; Run = { $amd | Push-ImageIndex -Repository "$reg/refused" -Tag 'no spaces' } }
    ) {
        $caught = $null
        try { & $Run } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        Test-Path (Join-Path $registry.Storage 'docker/registry/v2/repositories/refused') | Should -BeFalse
    }

    It 'writes nothing under -WhatIf, not even the images it would mount' {
        $a = Push-Child amd64 "$reg/whatif-source"
        $null = $a, $arm | Push-ImageIndex -Repository "$reg/whatif" -Tag '1.0' -WhatIf
        Test-Path (Join-Path $registry.Storage 'docker/registry/v2/repositories/whatif') | Should -BeFalse
    }
}
