# What a user sees: table views by default (one line per object, short digests, binary units) and everything in
# Format-List; what -WhatIf lists for -Tag; and the progress of the base image's layers and of writing the image.
BeforeAll {
    Import-Module $env:STREAMLAYER_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRegistry.psm1') -Force

    $script:work = New-TestDirectory
    $script:tarA = (New-TestTar -Path (Join-Path $work 'a.tar') -SizeKiB 300 -Seed 41).FullName
    $script:tarB = (New-TestTar -Path (Join-Path $work 'b.tar') -SizeKiB 2200 -Seed 42).FullName
    $script:registry = Start-TestRegistry
    $script:other = Start-TestRegistry

    # A two-layer base on the other registry, so that building on it copies its layers between registries.
    $null = Push-StreamLayer -Path $tarA, $tarB -Repository "$($other.Host)/base" -Tag 'v1'

    function script:Get-ManifestStatus([string] $Repository, [string] $Reference) {
        (Invoke-WebRequest -SkipHttpErrorCheck "$($registry.Url)/v2/$Repository/manifests/$Reference").StatusCode
    }

    # Runs a script in a PowerShell of its own in this process and returns its output and its progress records.
    function script:Invoke-WithProgress([string] $Script) {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("`$ProgressPreference = 'Continue'; Import-Module '$env:STREAMLAYER_MODULE'; $Script")
            $output = $ps.Invoke()
            if ($ps.Streams.Error.Count) { throw $ps.Streams.Error[0] }
            [pscustomobject]@{ Output = $output; Progress = @($ps.Streams.Progress) }
        }
        finally { $ps.Dispose() }
    }
}

AfterAll {
    if ($script:registry) { Stop-TestRegistry $script:registry }
    if ($script:other) { Stop-TestRegistry $script:other }
    Remove-Item -Recurse -Force $script:work -ErrorAction Ignore
}

Describe 'Table views' {
    It 'shows Get-LayerDigest''s layers one line each, with short digests and sizes in binary units' {
        $layers = Get-LayerDigest -Path $tarA, $tarB
        $lines = @(($layers | Out-String -Width 160) -split "`r?`n" | Where-Object { $_.Trim() })

        $lines[0] | Should -Match '^Digest\s+Size\s+Uncompressed\s+Format\s+DiffId\s+Path$'
        $lines.Count | Should -Be 4 -Because 'a header, its underline and one line per layer'
        foreach ($i in 0, 1) {
            $line = $lines[2 + $i]
            $line | Should -BeLike "$($layers[$i].Digest.Substring(0, 19)) *"
            $line | Should -Not -Match '[0-9a-f]{20}' -Because 'digests are shortened to 12 hex digits'
            $line | Should -Match '\d+(\.\d)? (B|KiB|MiB) +\d+(\.\d)? (KiB|MiB) +gzip \(docker\)'
            $line | Should -BeLike "* $($layers[$i].DiffId.Substring(0, 19)) *"
            $line | Should -BeLike "*$($layers[$i].Path)"
        }
        $tarSize = '{0:0.0} MiB' -f ((Get-Item $tarB).Length / 1MB)
        $lines[3] | Should -Match " $([regex]::Escape($tarSize)) " -Because "b.tar's tar is $((Get-Item $tarB).Length) bytes"
    }

    It 'shows every property in full with Format-List' {
        $layer = Get-LayerDigest -Path $tarA -Compression Zstd
        $text = $layer | Format-List | Out-String -Width 160
        foreach ($value in $layer.Digest, $layer.DiffId, $layer.MediaType, $layer.Path, "$($layer.Size)", "$($layer.UncompressedSize)") {
            $text | Should -BeLike "*$value*"
        }
    }

    It 'shows pushed layers one line each with their repository' {
        $layers = Push-StreamLayer -Path $tarA, $tarB -Repository "$($registry.Host)/views/layers"
        $lines = @(($layers | Out-String -Width 160) -split "`r?`n" | Where-Object { $_.Trim() })
        $lines[0] | Should -Match '^Repository\s+Digest\s+Size\s+Format\s+DiffId\s+Path$'
        $lines.Count | Should -Be 4
        $lines[2] | Should -BeLike "$($registry.Host)/views/layers $($layers[0].Digest.Substring(0, 19)) *"
        ($layers | Format-List | Out-String -Width 200) | Should -BeLike "*$($layers[1].Reference)*"
    }

    It 'shows images one line each: name with tags, platform, short digest, layer count and total size' {
        $images = @(
            Push-StreamLayer -Path $tarA -Repository "$($registry.Host)/views/app" -Tag '1.0', 'latest' -Platform linux/amd64
            Push-StreamLayer -Path $tarB -Repository "$($registry.Host)/views/app" -Tag '1.1' -BaseImage "$($registry.Host)/views/app:1.0"
        )
        $lines = @(($images | Out-String -Width 160) -split "`r?`n" | Where-Object { $_.Trim() })

        $lines[0] | Should -Match '^Image\s+Platform\s+Digest\s+Layers\s+Size$'
        $lines.Count | Should -Be 4
        $lines[2] | Should -Match "^$([regex]::Escape("$($registry.Host)/views/app:1.0, latest")) +linux/amd64 +$($images[0].ManifestDigest.Substring(0, 19)) +1 +\d"
        # The second image holds the first one's layer and its own: its size is the sum of both blobs.
        $total = ($images[1].Layers | Measure-Object Size -Sum).Sum
        $expected = if ($total -ge 1MB) { '{0:0.0} MiB' -f ($total / 1MB) } else { '{0:0.0} KiB' -f ($total / 1KB) }
        $lines[3] | Should -Match "^$([regex]::Escape("$($registry.Host)/views/app:1.1")) +linux/amd64 +$($images[1].ManifestDigest.Substring(0, 19)) +2 +$([regex]::Escape($expected))$"
        ($images[0] | Format-List | Out-String -Width 200) | Should -BeLike "*$($images[0].Reference)*"
    }
}

Describe '-WhatIf with -Tag' {
    It 'lists the config, the manifest and each tag it would write, and writes nothing' {
        $text = Invoke-ChildPwsh -Command "Import-Module '$env:STREAMLAYER_MODULE'; Push-StreamLayer -Path '$tarA' -Repository '$($registry.Host)/views/whatif' -Tag '1', 'stable' -Platform linux/arm64 -WhatIf" | Out-String

        $text | Should -Match 'What if: .*"Push layer".*a\.tar'
        $text | Should -Match 'What if: .*"Write the image config \(linux/arm64 from scratch\)" on target "[^"]+/views/whatif"'
        $text | Should -Match 'What if: .*"Write the image manifest" on target "[^"]+/views/whatif"'
        $text | Should -Match 'What if: .*"Tag the image" on target "[^"]+/views/whatif:1"'
        $text | Should -Match 'What if: .*"Tag the image" on target "[^"]+/views/whatif:stable"'
        Get-ManifestStatus 'views/whatif' '1' | Should -Be 404
        (Get-RegistryBlobStatus -Registry $registry -Repository 'views/whatif' -Digest (Get-LayerDigest -Path $tarA).Digest) | Should -Be 404
    }

    It 'reads the base image even under -WhatIf, so a missing base is reported' {
        { Push-StreamLayer -Path $tarA -Repository "$($registry.Host)/views/whatif2" -Tag '1' -BaseImage "$($registry.Host)/views/nosuchbase:1" -WhatIf } |
            Should -Throw -ErrorId 'BaseImageNotFound,*'
    }

    It 'names the base and its layers under -WhatIf, and copies none of them' {
        $text = Invoke-ChildPwsh -Command "Import-Module '$env:STREAMLAYER_MODULE'; Push-StreamLayer -Path '$tarA' -Repository '$($registry.Host)/views/whatif3' -Tag '1' -BaseImage '$($other.Host)/base:v1' -WhatIf" | Out-String
        $text | Should -Match "What if: .*base image $([regex]::Escape("$($other.Host)/base:v1"))'s 2 layers available"
        $text | Should -Match 'Write the image config \(linux/amd64 on .*base:v1, 2 layers\)'
        $base = Get-LayerDigest -Path $tarA
        (Get-RegistryBlobStatus -Registry $registry -Repository 'views/whatif3' -Digest $base.Digest) | Should -Be 404
    }
}

Describe 'Progress of an image''s steps' {
    It 'shows each base layer copied from another registry as a child record with its bytes, and each write of the image' {
        $run = Invoke-WithProgress "Push-StreamLayer -Path '$tarA' -Repository '$($registry.Host)/views/progress' -Tag '1' -BaseImage '$($other.Host)/base:v1'"
        $run.Output.Count | Should -Be 1

        $parents = @($run.Progress | Where-Object { $_.ActivityId -eq 0x5174 -and $_.RecordType -eq 'Processing' })
        $children = @($run.Progress | Where-Object { $_.ParentActivityId -eq 0x5174 -and $_.RecordType -eq 'Processing' })
        $parents.StatusDescription | Should -Contain 'Checking base layer (1 of 2)'
        $parents.StatusDescription | Should -Contain 'Copying base layer (2 of 2)'
        $parents.StatusDescription | Should -Contain 'Writing the manifest (2 of 3)'
        $parents.StatusDescription | Should -Contain 'Writing the tag 1 (3 of 3)'

        $layers = $run.Output[0].Layers
        foreach ($layer in $layers[0], $layers[1]) {
            $copied = @($children | Where-Object { $_.Activity -eq "Copying base layer $($layer.Digest.Substring(0, 19))" })
            $copied.Count | Should -BeGreaterThan 0 -Because "base layer $($layer.Digest) is copied"
            $done = $copied | Where-Object PercentComplete -EQ 100
            $done | Should -Not -BeNullOrEmpty -Because 'the end of each copy is shown'
            $done[-1].SecondsRemaining | Should -Be 0
            $done[-1].StatusDescription | Should -BeLike "* of *"
        }
        @($run.Progress | Where-Object { $_.ActivityId -eq 0x5174 -and $_.RecordType -eq 'Completed' }).Count | Should -BeGreaterOrEqual 2 -Because 'both the base step and the write step end their bars'
    }

    It 'shows base layers on the same registry as mounted' {
        $null = Push-StreamLayer -Path $tarB -Repository "$($registry.Host)/views/mountbase" -Tag 'v1'
        $run = Invoke-WithProgress "Push-StreamLayer -Path '$tarA' -Repository '$($registry.Host)/views/mounted' -Tag '1' -BaseImage '$($registry.Host)/views/mountbase:v1'"
        @($run.Progress | Where-Object { $_.ActivityId -eq 0x5174 }).StatusDescription | Should -Contain 'Mounting base layer (1 of 1)'
    }
}
