BeforeAll {
    Import-Module $env:STREAMLAYER_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force

    $script:work = New-TestDirectory
    # Over two zstd blocks (4 MiB) and many gzip blocks (1 MiB), so frame and block joins are exercised.
    $script:tar = (New-TestTar -Path (Join-Path $work 'layer.tar') -SizeKiB 9000 -Seed 5).FullName
    $script:smallTar = (New-TestTar -Path (Join-Path $work 'small.tar') -SizeKiB 200 -Seed 6).FullName
    $script:tarDiffId = Get-Sha256Sum $tar
    $script:tarLength = (Get-Item $tar).Length
    $script:gzipReference = Get-LayerDigest -Path $tar
    $script:zstdReference = Get-LayerDigest -Path $tar -Compression Zstd

    # The same tar compressed by the real tools: what a user would pass in as a .tar.gz or .tar.zst.
    $script:tarGz = Join-Path $work 'layer.tar.gz'
    $script:tarZst = Join-Path $work 'layer.tar.zst'
    & bash -c 'gzip -c "$1" > "$2" && zstd -q -c "$1" > "$3"' _ $tar $tarGz $tarZst
    if ($LASTEXITCODE -ne 0) { throw 'gzip or zstd failed' }

    function Invoke-Tool {
        # Runs a shell command line with arguments; returns its exit code.
        param([string] $Script)
        & bash -c $Script _ @args
        $LASTEXITCODE
    }

    function Write-Damaged {
        # Writes a damaged copy of a file: cut short, then a byte flipped (counted from the new end), then bytes appended.
        param([string] $Source, [string] $Target, [int] $Cut = 0, [int] $FlipFromEnd = 0, [byte[]] $Append = @())
        $bytes = [IO.File]::ReadAllBytes($Source)
        $length = $bytes.Length - $Cut
        $damaged = [byte[]]::new($length + $Append.Length)
        [Array]::Copy($bytes, $damaged, $length)
        $Append.CopyTo($damaged, $length)
        if ($FlipFromEnd) { $damaged[$length - $FlipFromEnd] = $damaged[$length - $FlipFromEnd] -bxor 0x55 }
        [IO.File]::WriteAllBytes($Target, $damaged)
        $Target
    }
}

AfterAll {
    Remove-Item -Recurse -Force $script:work -ErrorAction Ignore
}

Describe 'The same layer on any number of threads' {
    It '<Format> gives the same Digest on 1, 2 and 8 threads, and <Tool> restores the tar from each' -ForEach @(
        @{ Format = 'Gzip'; Tool = 'gzip' }
        @{ Format = 'Zstd'; Tool = 'zstd' }
    ) {
        $reference = if ($Format -eq 'Zstd') { $zstdReference } else { $gzipReference }
        foreach ($threads in 1, 2, 8) {
            $blob = Join-Path $work "threads-$threads.$Tool"
            $layer = Get-LayerDigest -Path $tar -Compression $Format -ThrottleLimit $threads -OutFile $blob
            $layer.Digest | Should -Be $reference.Digest -Because "$threads threads"
            Get-Sha256Sum $blob | Should -Be $layer.Digest
            Invoke-Tool "$Tool -q -dc `"`$1`" | sha256sum | cut -d' ' -f1 > `"`$2`"" $blob (Join-Path $work 'threads.sha') | Should -Be 0
            'sha256:' + (Get-Content (Join-Path $work 'threads.sha')) | Should -Be $tarDiffId -Because "$Tool -dc of the $threads-thread blob"
        }
    }
}

Describe '-Compression Zstd, checked with the zstd tool' {
    It 'writes a blob that zstd -dc restores to the tar byte for byte, and whose sha256sum and length are the Digest and Size' {
        $blob = Join-Path $work 'out.tar.zst'
        $layer = Get-LayerDigest -Path $tar -Compression Zstd -OutFile $blob

        Invoke-Tool 'zstd -q -dc "$1" > "$2"' $blob (Join-Path $work 'zstd-restored.tar') | Should -Be 0
        & cmp $tar (Join-Path $work 'zstd-restored.tar')
        $LASTEXITCODE | Should -Be 0 -Because 'cmp finds no difference'
        Get-Sha256Sum $blob | Should -Be $layer.Digest
        (Get-Item $blob).Length | Should -Be $layer.Size
        $layer.DiffId | Should -Be $tarDiffId
        $layer.UncompressedSize | Should -Be $tarLength
        $layer.MediaType | Should -Be 'application/vnd.oci.image.layer.v1.tar+zstd'
        $layer.Digest | Should -Be $zstdReference.Digest
    }

    It 'writes one zstd frame per 4 MiB of tar, each with a content checksum' {
        $blob = Join-Path $work 'frames.tar.zst'
        $null = Get-LayerDigest -Path $tar -Compression Zstd -OutFile $blob
        $listing = (& zstd -lv $blob 2>$null) -join "`n"
        $LASTEXITCODE | Should -Be 0
        $listing | Should -Match "Zstandard Frames: $([Math]::Ceiling($tarLength / 4MB))\b"
        $listing | Should -Match 'Check: XXH64'
    }

    It 'gives the same Digest for every -ThrottleLimit and input form' {
        (Get-LayerDigest -Path $tar -Compression Zstd -ThrottleLimit 1).Digest | Should -Be $zstdReference.Digest
        (Get-LayerDigest -Path $tar -Compression Zstd -ThrottleLimit 3).Digest | Should -Be $zstdReference.Digest
        (Get-Content -AsByteStream -ReadCount 1MB -LiteralPath $tar | Get-LayerDigest -Compression Zstd).Digest | Should -Be $zstdReference.Digest
    }

    It 'compresses smaller than gzip at both defaults' {
        $zstdReference.Size | Should -BeLessThan $gzipReference.Size
    }

    It 'follows -CompressionLevel: <Level> is <Relation> the default' -ForEach @(
        @{ Level = 1; Relation = 'the same as' }
        @{ Level = 19; Relation = 'smaller than' }
        @{ Level = -5; Relation = 'larger than' }
    ) {
        $blob = Join-Path $work "level$Level.zst"
        $layer = Get-LayerDigest -Path $tar -Compression Zstd -CompressionLevel $Level -OutFile $blob
        $default = $zstdReference
        switch ($Relation) {
            'the same as' { $layer.Digest | Should -Be $default.Digest }
            'smaller than' { $layer.Size | Should -BeLessThan $default.Size }
            'larger than' { $layer.Size | Should -BeGreaterThan $default.Size }
        }
        (& bash -c 'zstd -q -dc "$1" | sha256sum' _ $blob) -split '\s+' | Select-Object -First 1 | Should -Be $layer.DiffId.Substring(7)
    }

    It 'takes level 0 as zstd''s own default, 3' {
        (Get-LayerDigest -Path $smallTar -Compression Zstd -CompressionLevel 0).Digest |
            Should -Be (Get-LayerDigest -Path $smallTar -Compression Zstd -CompressionLevel 3).Digest
    }

    It 'takes the level name <Name> as zstd level <Level>' -ForEach @(
        @{ Name = 'Fastest'; Level = 1 }
        @{ Name = 'Optimal'; Level = 3 }
        @{ Name = 'SmallestSize'; Level = 19 }
    ) {
        $named = Get-LayerDigest -Path $smallTar -Compression Zstd -CompressionLevel $Name
        $named.Digest | Should -Be (Get-LayerDigest -Path $smallTar -Compression Zstd -CompressionLevel $Level).Digest
    }

    It 'still takes the level names as gzip''s 0, 1, 6 and 9 for gzip' {
        foreach ($pair in @('NoCompression', 0), @('Fastest', 1), @('Optimal', 6), @('SmallestSize', 9)) {
            (Get-LayerDigest -Path $smallTar -CompressionLevel $pair[0]).Digest | Should -Be (Get-LayerDigest -Path $smallTar -CompressionLevel $pair[1]).Digest
        }
    }
}

Describe '-Compression None' {
    It 'writes the tar itself: the Digest is the DiffId and the Size the length' {
        $blob = Join-Path $work 'out-none.tar'
        $layer = Get-LayerDigest -Path $tar -Compression None -OutFile $blob

        & cmp $tar $blob
        $LASTEXITCODE | Should -Be 0 -Because 'the blob is the tar'
        $layer.Digest | Should -Be $tarDiffId
        $layer.DiffId | Should -Be $tarDiffId
        $layer.Size | Should -Be $tarLength
        $layer.UncompressedSize | Should -Be $tarLength
        $layer.MediaType | Should -Be 'application/vnd.oci.image.layer.v1.tar'
    }

    It 'gives the same layer for pipeline bytes' {
        # -Compression None starts no compression workers, so -ThrottleLimit is the next Describe's, with gzip and zstd.
        (Get-Content -AsByteStream -ReadCount 65536 -LiteralPath $tar | Get-LayerDigest -Compression None).Digest | Should -Be $tarDiffId
    }
}

Describe '-ThrottleLimit, checked with sha256sum, gzip, zstd and cmp' {
    It 'writes the same <Compression> blob on 1, 2 and 4 workers and from pipeline bytes, which <Tool> -dc restores to the tar' -ForEach @(
        @{ Compression = 'Gzip'; Tool = 'gzip' }
        @{ Compression = 'Zstd'; Tool = 'zstd' }
    ) {
        # The tar is 9 gzip blocks and 3 zstd blocks, so 2 and 4 workers compress blocks out of order.
        $runs = foreach ($limit in 1, 2, 4, 'pipeline') {
            $blob = Join-Path $work "throttle-$Compression-$limit.blob"
            $layer = if ($limit -eq 'pipeline') {
                Get-Content -AsByteStream -ReadCount 1MB -LiteralPath $tar | Get-LayerDigest -Compression $Compression -ThrottleLimit 4 -OutFile $blob
            }
            else {
                Get-LayerDigest -Path $tar -Compression $Compression -ThrottleLimit $limit -OutFile $blob
            }
            Get-Sha256Sum $blob | Should -Be $layer.Digest -Because "sha256sum of the blob of -ThrottleLimit $limit is its Digest"
            (Get-Item $blob).Length | Should -Be $layer.Size
            (& bash -c "$Tool -q -dc `"`$1`" | sha256sum" _ $blob) -split '\s+' | Select-Object -First 1 |
                Should -Be $tarDiffId.Substring(7) -Because "$Tool -dc restores the blob of -ThrottleLimit $limit to the tar"
            $layer.DiffId | Should -Be $tarDiffId
            [pscustomobject]@{ Limit = $limit; Blob = $blob; Digest = $layer.Digest }
        }

        foreach ($run in $runs | Select-Object -Skip 1) {
            $run.Digest | Should -Be $runs[0].Digest -Because "-ThrottleLimit $($run.Limit) gives the bytes one worker gives"
            & cmp $runs[0].Blob $run.Blob
            $LASTEXITCODE | Should -Be 0 -Because "cmp finds no difference between one worker's blob and -ThrottleLimit $($run.Limit)'s"
        }
    }
}

Describe 'Media types by format' {
    It '<Compression> with <Family> is <Expected>' -ForEach @(
        @{ Compression = 'Gzip'; Family = $null; Expected = 'application/vnd.docker.image.rootfs.diff.tar.gzip' }
        @{ Compression = 'Gzip'; Family = 'Docker'; Expected = 'application/vnd.docker.image.rootfs.diff.tar.gzip' }
        @{ Compression = 'Gzip'; Family = 'Oci'; Expected = 'application/vnd.oci.image.layer.v1.tar+gzip' }
        @{ Compression = 'Zstd'; Family = $null; Expected = 'application/vnd.oci.image.layer.v1.tar+zstd' }
        @{ Compression = 'Zstd'; Family = 'Oci'; Expected = 'application/vnd.oci.image.layer.v1.tar+zstd' }
        @{ Compression = 'None'; Family = $null; Expected = 'application/vnd.oci.image.layer.v1.tar' }
        @{ Compression = 'None'; Family = 'Oci'; Expected = 'application/vnd.oci.image.layer.v1.tar' }
        @{ Compression = 'None'; Family = 'Docker'; Expected = 'application/vnd.docker.image.rootfs.diff.tar' }
    ) {
        $options = @{ Compression = $Compression }
        if ($Family) { $options.MediaType = $Family }
        (Get-LayerDigest -Path $smallTar @options).MediaType | Should -Be $Expected
    }
}

Describe 'Compressed input taken as it is' {
    It 'takes a .tar.<Format> made by the <Format> tool as the blob, via <Name>' -ForEach @(
        foreach ($format in 'gz', 'zst') {
            @{ Format = $format; Name = '-Path'; Run = { param($f) Get-LayerDigest -Path $f } }
            @{ Format = $format; Name = '-ReadCount 1MB chunks'; Run = { param($f) Get-Content -AsByteStream -ReadCount 1MB -LiteralPath $f | Get-LayerDigest } }
            @{ Format = $format; Name = '-Raw'; Run = { param($f) Get-Content -AsByteStream -Raw -LiteralPath $f | Get-LayerDigest } }
            @{ Format = $format; Name = '-InputStream'; Run = { param($f) $s = [IO.File]::OpenRead($f); try { Get-LayerDigest -InputStream $s } finally { $s.Dispose() } } }
            @{ Format = $format; Name = 'Get-Item'; Run = { param($f) Get-Item $f | Get-LayerDigest } }
        }
    ) {
        $file = if ($Format -eq 'gz') { $tarGz } else { $tarZst }
        $layer = & $Run $file

        @($layer).Count | Should -Be 1
        $layer.Digest | Should -Be (Get-Sha256Sum $file)
        $layer.Size | Should -Be (Get-Item $file).Length
        $layer.DiffId | Should -Be $tarDiffId
        $layer.UncompressedSize | Should -Be $tarLength
        $layer.MediaType | Should -Be $(if ($Format -eq 'gz') { 'application/vnd.docker.image.rootfs.diff.tar.gzip' } else { 'application/vnd.oci.image.layer.v1.tar+zstd' })
    }

    It 'writes the input itself to -OutFile, and says so with -Verbose' {
        $blob = Join-Path $work 'copy.tar.gz'
        $layer = Get-LayerDigest -Path $tarGz -OutFile $blob -Verbose 4>&1
        $verbose = @($layer | Where-Object { $_ -is [Management.Automation.VerboseRecord] })
        $verbose.Count | Should -Be 1
        "$($verbose[0])" | Should -BeLike '*as it is*-Recompress*'
        & cmp $tarGz $blob
        $LASTEXITCODE | Should -Be 0
    }

    It 'takes a small .tar.gz sent one byte per pipeline object' {
        $smallGz = Join-Path $work 'small.tar.gz'
        Invoke-Tool 'gzip -c "$1" > "$2"' $smallTar $smallGz | Should -Be 0
        $layer = Get-Content -AsByteStream -LiteralPath $smallGz | Get-LayerDigest
        $layer.Digest | Should -Be (Get-Sha256Sum $smallGz)
        $layer.DiffId | Should -Be (Get-Sha256Sum $smallTar)
    }

    It 'reads several concatenated gzip members as one tar' {
        $joined = Join-Path $work 'members.tar.gz'
        Invoke-Tool 'head -c 3000000 "$1" | gzip -c > "$2" && tail -c +3000001 "$1" | gzip -1 -c >> "$2"' $tar $joined | Should -Be 0
        (& bash -c 'gzip -dc "$1" | sha256sum' _ $joined) -split '\s+' | Select-Object -First 1 | Should -Be $tarDiffId.Substring(7)

        $layer = Get-LayerDigest -Path $joined
        $layer.Digest | Should -Be (Get-Sha256Sum $joined)
        $layer.DiffId | Should -Be $tarDiffId
    }

    It 'names gzip input with OCI''s type under -MediaType Oci, and ignores -Compression without -Recompress' {
        $layer = Get-LayerDigest -Path $tarGz -MediaType Oci -Compression Zstd
        $layer.MediaType | Should -Be 'application/vnd.oci.image.layer.v1.tar+gzip'
        $layer.Digest | Should -Be (Get-Sha256Sum $tarGz)

        $none = Get-LayerDigest -Path $tarZst -Compression None
        $none.Digest | Should -Be (Get-Sha256Sum $tarZst)
        $none.MediaType | Should -Be 'application/vnd.oci.image.layer.v1.tar+zstd'
    }
}

Describe '-Recompress' {
    It 'gives <Input> compressed as <Compression> the Digest of the plain tar, via <Name>' -ForEach @(
        foreach ($pair in @('gz', 'Gzip'), @('gz', 'Zstd'), @('zst', 'Gzip'), @('zst', 'Zstd'), @('gz', 'None'), @('zst', 'None')) {
            @{ Input = $pair[0]; Compression = $pair[1]; Name = '-Path'; Pipeline = $false }
        }
        @{ Input = 'gz'; Compression = 'Gzip'; Name = '-ReadCount 1MB chunks'; Pipeline = $true }
        @{ Input = 'zst'; Compression = 'Zstd'; Name = '-ReadCount 1MB chunks'; Pipeline = $true }
    ) {
        $file = if ($Input -eq 'gz') { $tarGz } else { $tarZst }
        $plain = Get-LayerDigest -Path $tar -Compression $Compression
        $layer = if ($Pipeline) {
            Get-Content -AsByteStream -ReadCount 1MB -LiteralPath $file | Get-LayerDigest -Recompress -Compression $Compression
        }
        else {
            Get-LayerDigest -Path $file -Recompress -Compression $Compression -ThrottleLimit 1
        }

        $layer.Digest | Should -Be $plain.Digest
        $layer.Size | Should -Be $plain.Size
        $layer.DiffId | Should -Be $tarDiffId
        $layer.UncompressedSize | Should -Be $tarLength
        $layer.MediaType | Should -Be $plain.MediaType
        if ($Compression -eq 'None') { $layer.Digest | Should -Be $tarDiffId }
    }

    It 'writes a blob the other tool restores to the tar' {
        $blob = Join-Path $work 'recompressed.tar.zst'
        $null = Get-LayerDigest -Path $tarGz -Recompress -Compression Zstd -OutFile $blob
        (& bash -c 'zstd -q -dc "$1" | sha256sum' _ $blob) -split '\s+' | Select-Object -First 1 | Should -Be $tarDiffId.Substring(7)
    }
}

Describe 'Corrupt compressed input and impossible options' {
    It 'refuses <Name> with InputCorrupt, outputs nothing and removes the -OutFile (<Form>)' -ForEach @(
        foreach ($form in '-Path', '-ReadCount 1MB', '-Path -Recompress') {
            @{ Form = $form; Name = 'a .tar.gz cut short by 100 bytes'; Kind = 'gz'; Damage = @{ Cut = 100 } }
            @{ Form = $form; Name = 'a .tar.gz missing its last byte'; Kind = 'gz'; Damage = @{ Cut = 1 } }
            @{ Form = $form; Name = 'a .tar.gz with a bad CRC'; Kind = 'gz'; Damage = @{ FlipFromEnd = 6 } }
            @{ Form = $form; Name = 'a .tar.gz with bytes after its end'; Kind = 'gz'; Damage = @{ Append = [byte[]](1..40) } }
            @{ Form = $form; Name = 'a .tar.zst cut short by 100 bytes'; Kind = 'zst'; Damage = @{ Cut = 100 } }
            @{ Form = $form; Name = 'a .tar.zst with a damaged checksum'; Kind = 'zst'; Damage = @{ FlipFromEnd = 2 } }
            @{ Form = $form; Name = 'a .tar.zst with bytes after its end'; Kind = 'zst'; Damage = @{ Append = [byte[]](1..40) } }
        }
    ) {
        $original = if ($Kind -eq 'gz') { $tarGz } else { $tarZst }
        $damaged = Write-Damaged -Source $original -Target (Join-Path $work "damaged.$Kind") @Damage
        $tool = if ($Kind -eq 'gz') { 'gzip' } else { 'zstd' }
        & $tool -t -q $damaged 2>$null
        $LASTEXITCODE | Should -Not -Be 0 -Because "$tool -t finds the damage too"

        $blob = Join-Path $work 'damaged.out'
        $output = $null
        $caught = $null
        try {
            $output = switch ($Form) {
                '-Path' { Get-LayerDigest -Path $damaged -OutFile $blob }
                '-ReadCount 1MB' { Get-Content -AsByteStream -ReadCount 1MB -LiteralPath $damaged | Get-LayerDigest -OutFile $blob }
                '-Path -Recompress' { Get-LayerDigest -Path $damaged -Recompress -OutFile $blob }
            }
        }
        catch { $caught = $_ }

        $caught | Should -Not -BeNullOrEmpty -Because 'the layer must fail'
        $caught.FullyQualifiedErrorId | Should -BeLike 'InputCorrupt,*'
        $caught.CategoryInfo.Category | Should -Be 'InvalidData'
        $caught.Exception.Message | Should -BeLike "*not valid $tool*"
        $output | Should -BeNullOrEmpty
        Test-Path $blob | Should -BeFalse -Because 'the incomplete -OutFile is removed'
    }

    It 'refuses <Name> with InvalidOption before reading any input' -ForEach @(
        @{ Name = '-MediaType Docker with -Compression Zstd'; Options = @{ Compression = 'Zstd'; MediaType = 'Docker' }; Hint = 'zstd' }
        @{ Name = 'a zstd level above 22'; Options = @{ Compression = 'Zstd'; CompressionLevel = 23 }; Hint = '22' }
        @{ Name = 'NoCompression with zstd'; Options = @{ Compression = 'Zstd'; CompressionLevel = 'NoCompression' }; Hint = '-Compression None' }
        @{ Name = 'a level with -Compression None'; Options = @{ Compression = 'None'; CompressionLevel = 1 }; Hint = 'uncompressed' }
    ) {
        # A missing path would fail with PathNotFound if any input were read first.
        $missing = Join-Path $work 'missing.tar'
        $caught = $null
        try { $null = Get-LayerDigest -Path $missing @Options } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'InvalidOption,*'
        $caught.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $caught.Exception.Message | Should -BeLike "*$Hint*"
    }

    It 'refuses zstd input under -MediaType Docker with InvalidOption and no output' {
        $blob = Join-Path $work 'docker.zst'
        $output = $null
        $caught = $null
        try { $output = Get-LayerDigest -Path $tarZst -MediaType Docker -OutFile $blob } catch { $caught = $_ }

        $caught.FullyQualifiedErrorId | Should -BeLike 'InvalidOption,*'
        $caught.Exception.Message | Should -BeLike '*input is zstd*'
        $output | Should -BeNullOrEmpty
        Test-Path $blob | Should -BeFalse
    }

    It 'accepts zstd input under -MediaType Docker once -Recompress makes it gzip' {
        $layer = Get-LayerDigest -Path $tarZst -MediaType Docker -Recompress
        $layer.Digest | Should -Be $gzipReference.Digest
        $layer.MediaType | Should -Be 'application/vnd.docker.image.rootfs.diff.tar.gzip'
    }
}
