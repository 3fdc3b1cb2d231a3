BeforeAll {
    Import-Module $env:STREAMLAYER_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force

    $script:work = New-TestDirectory
    # A tar of several 1 MiB blocks, and a small one for the one-object-per-byte pipeline.
    $script:tar = (New-TestTar -Path (Join-Path $work 'layer.tar') -SizeKiB 3500 -Seed 1).FullName
    $script:smallTar = (New-TestTar -Path (Join-Path $work 'small.tar') -SizeKiB 160 -Seed 2).FullName
    $script:tarDiffId = Get-Sha256Sum $tar
    $script:smallDiffId = Get-Sha256Sum $smallTar
    $script:reference = Get-LayerDigest -Path $tar
    $script:smallReference = Get-LayerDigest -Path $smallTar
}

AfterAll {
    Remove-Item -Recurse -Force $script:work -ErrorAction Ignore
}

Describe 'Get-LayerDigest results, checked with independent tools' {
    It 'gives the DiffId that sha256sum gives for the tar' {
        $reference.DiffId | Should -Be $tarDiffId
        $reference.UncompressedSize | Should -Be (Get-Item $tar).Length
    }

    It 'writes an -OutFile blob whose sha256sum is the Digest and whose length is the Size' {
        $blob = Join-Path $work 'layer.tar.gz'
        $layer = Get-LayerDigest -Path $tar -OutFile $blob

        Get-Sha256Sum $blob | Should -Be $layer.Digest
        (Get-Item $blob).Length | Should -Be $layer.Size
        $layer.Digest | Should -Be $reference.Digest
    }

    It 'writes a blob that gzip -dc restores to the tar byte for byte' {
        $blob = Join-Path $work 'restore.tar.gz'
        $null = Get-LayerDigest -Path $tar -OutFile $blob
        $restored = Join-Path $work 'restored.tar'
        & bash -c 'gzip -dc "$1" > "$2"' _ $blob $restored
        $LASTEXITCODE | Should -Be 0

        & cmp $tar $restored
        $LASTEXITCODE | Should -Be 0 -Because 'cmp finds no difference'
        & gzip -t $blob
        $LASTEXITCODE | Should -Be 0 -Because 'gzip checks the CRC and length in the trailer'
    }

    It 'names the layer with Docker''s gzip media type by default' {
        $reference.MediaType | Should -Be 'application/vnd.docker.image.rootfs.diff.tar.gzip'
        $reference.Digest | Should -Match '^sha256:[0-9a-f]{64}$'
        $reference.Size | Should -BeLessThan $reference.UncompressedSize
    }

    It 'returns the documented type with a Path' {
        $reference | Should -BeOfType ([StreamLayer.LayerDigest])
        $reference.Path | Should -Be $tar
        (Get-FormatData -TypeName StreamLayer.LayerDigest) | Should -Not -BeNullOrEmpty
    }
}

Describe 'Get-LayerDigest input forms' {
    It 'gives the same layer for <Name>' -ForEach @(
        @{ Name = '-Path'; Run = { Get-LayerDigest -Path $tar } }
        @{ Name = '-LiteralPath'; Run = { Get-LayerDigest -LiteralPath $tar } }
        @{ Name = '-ReadCount chunks (object[] of bytes)'; Run = { Get-Content -AsByteStream -ReadCount 65536 -LiteralPath $tar | Get-LayerDigest } }
        @{ Name = '-ReadCount chunks of an odd size'; Run = { Get-Content -AsByteStream -ReadCount 1000 -LiteralPath $tar | Get-LayerDigest } }
        @{ Name = '-Raw (one byte[])'; Run = { Get-Content -AsByteStream -Raw -LiteralPath $tar | Get-LayerDigest } }
        @{ Name = 'a Stream in the pipeline'; Run = { $s = [IO.File]::OpenRead($tar); try { $s | Get-LayerDigest } finally { $s.Dispose() } } }
        @{ Name = '-InputStream'; Run = { $s = [IO.File]::OpenRead($tar); try { Get-LayerDigest -InputStream $s } finally { $s.Dispose() } } }
        @{ Name = 'a non-seekable stream that returns short reads'; Run = { $s = [TestInputStream]::Open($tar, 7001); Get-LayerDigest -InputStream $s } }
        @{ Name = 'Get-Item in the pipeline'; Run = { Get-Item $tar | Get-LayerDigest } }
        @{ Name = 'byte arrays of several sizes in a row'; Run = { $b = [IO.File]::ReadAllBytes($tar); & { , $b[0..99999]; , $b[100000..2100000]; , $b[2100001..($b.Length - 1)] } | Get-LayerDigest } }
    ) {
        $layer = & $Run
        @($layer).Count | Should -Be 1
        $layer.Digest | Should -Be $reference.Digest
        $layer.DiffId | Should -Be $tarDiffId
        $layer.Size | Should -Be $reference.Size
        $layer.UncompressedSize | Should -Be $reference.UncompressedSize
    }

    It 'gives the same layer for one pipeline object per byte (Get-Content -AsByteStream)' {
        $layer = Get-Content -AsByteStream -LiteralPath $smallTar | Get-LayerDigest
        $layer.Digest | Should -Be $smallReference.Digest
        $layer.DiffId | Should -Be $smallDiffId
        $layer.Path | Should -BeNullOrEmpty
    }

    It 'makes one layer per file for a wildcard -Path and for Get-ChildItem' {
        $folder = Join-Path $work 'many'
        $null = New-Item -ItemType Directory -Force $folder
        Copy-Item $tar (Join-Path $folder 'a.tar')
        Copy-Item $smallTar (Join-Path $folder 'b.tar')

        $byPath = Get-LayerDigest -Path (Join-Path $folder '*.tar')
        $byPipeline = Get-ChildItem $folder -Filter *.tar | Sort-Object Name | Get-LayerDigest

        foreach ($layers in $byPath, $byPipeline) {
            $layers.Count | Should -Be 2
            $layers[0].Digest | Should -Be $reference.Digest
            $layers[1].Digest | Should -Be $smallReference.Digest
            $layers[0].Path | Should -Be (Join-Path $folder 'a.tar')
        }
    }
}

Describe 'Get-LayerDigest options' {
    It 'gives the same Digest on every run and for every -ThrottleLimit' {
        (Get-LayerDigest -Path $tar).Digest | Should -Be $reference.Digest
        (Get-LayerDigest -Path $tar -ThrottleLimit 1).Digest | Should -Be $reference.Digest
        (Get-LayerDigest -Path $tar -ThrottleLimit 3).Digest | Should -Be $reference.Digest
    }

    It 'uses OCI''s media type with -MediaType Oci, with the same bytes' {
        $layer = Get-LayerDigest -Path $tar -MediaType Oci
        $layer.MediaType | Should -Be 'application/vnd.oci.image.layer.v1.tar+gzip'
        $layer.Digest | Should -Be $reference.Digest
    }

    It 'compresses smaller at -CompressionLevel <Level>, and gzip still restores the tar' -ForEach @(
        @{ Level = 9 }, @{ Level = 'SmallestSize' }, @{ Level = 'Optimal' }
    ) {
        $blob = Join-Path $work "level-$Level.gz"
        $layer = Get-LayerDigest -Path $tar -CompressionLevel $Level -OutFile $blob
        $layer.Size | Should -BeLessThan $reference.Size
        $layer.DiffId | Should -Be $tarDiffId
        Get-Sha256Sum $blob | Should -Be $layer.Digest
        Get-GunzipSha256 $blob | Should -Be $tarDiffId
    }

    It 'stores without compression at -CompressionLevel 0' {
        $layer = Get-LayerDigest -Path $tar -CompressionLevel NoCompression
        $layer.Size | Should -BeGreaterThan $layer.UncompressedSize
    }
}

Describe 'Get-LayerDigest bad input' {
    It 'refuses <Name> with <Id> (<Category>) and outputs nothing' -ForEach @(
        @{ Name = 'text in the pipeline'; Id = 'InputNotBytes'; Category = 'InvalidType'; Hint = '-AsByteStream'; Run = { Get-Content -LiteralPath $smallTar -TotalCount 3 | Get-LayerDigest } }
        @{ Name = 'numbers in the pipeline'; Id = 'InputNotBytes'; Category = 'InvalidType'; Hint = 'System.Int32'; Run = { 1..3 | Get-LayerDigest } }
        @{ Name = 'an array holding text'; Id = 'InputNotBytes'; Category = 'InvalidType'; Hint = 'System.String'; Run = { , @([byte]1, 'x') | Get-LayerDigest } }
        @{ Name = 'bytes followed by text'; Id = 'InputNotBytes'; Category = 'InvalidType'; Hint = '-AsByteStream'; Run = { & { [byte]1; [byte]2; 'three' } | Get-LayerDigest } }
        @{ Name = 'an empty pipeline'; Id = 'InputEmpty'; Category = 'InvalidData'; Hint = 'No input'; Run = { @() | Get-LayerDigest } }
        @{ Name = 'an empty byte array'; Id = 'InputEmpty'; Category = 'InvalidData'; Hint = 'empty'; Run = { , [byte[]]@() | Get-LayerDigest } }
        @{ Name = 'an empty file'; Id = 'InputEmpty'; Category = 'InvalidData'; Hint = 'empty'; Run = { $f = Join-Path $work 'empty.tar'; $null = New-Item -Force $f; Get-LayerDigest -Path $f } }
        @{ Name = 'a missing -Path'; Id = 'PathNotFound'; Category = 'ObjectNotFound'; Hint = 'Cannot find'; Run = { Get-LayerDigest -Path (Join-Path $work 'missing.tar') } }
        @{ Name = 'a wildcard that matches nothing'; Id = 'PathNotFound'; Category = 'ObjectNotFound'; Hint = 'Cannot find'; Run = { Get-LayerDigest -Path (Join-Path $work 'nothing*.tar') } }
        @{ Name = 'a missing -LiteralPath'; Id = 'PathNotFound'; Category = 'ObjectNotFound'; Hint = 'Cannot find'; Run = { Get-LayerDigest -LiteralPath (Join-Path $work 'missing[1].tar') } }
        @{ Name = 'a directory -Path'; Id = 'PathIsDirectory'; Category = 'InvalidArgument'; Hint = '-Directory'; Run = { Get-LayerDigest -Path $work } }
        @{ Name = 'a good file before a missing one'; Id = 'PathNotFound'; Category = 'ObjectNotFound'; Hint = 'Cannot find'; Run = { Get-LayerDigest -Path $tar, (Join-Path $work 'missing.tar') } }
        @{ Name = 'bytes mixed with a file'; Id = 'InputMixed'; Category = 'InvalidArgument'; Hint = 'one kind'; Run = { & { [byte]1; Get-Item $smallTar } | Get-LayerDigest } }
        @{ Name = 'a compression level out of range'; Id = 'InvalidOption'; Category = 'InvalidArgument'; Hint = '0'; Run = { Get-LayerDigest -Path $tar -CompressionLevel 12 } }
        @{ Name = '-OutFile for several layers'; Id = 'OutFileMultipleLayers'; Category = 'InvalidArgument'; Hint = 'one layer'; Run = { Get-LayerDigest -Path $tar, $smallTar -OutFile (Join-Path $work 'two.gz') } }
    ) {
        # A file that cannot make a layer is a non-terminating error (the next file is still read); Stop makes every error stop here.
        $ErrorActionPreference = 'Stop'
        $output = $null
        $caught = $null
        try { $output = & $Run } catch { $caught = $_ }

        $caught | Should -Not -BeNullOrEmpty -Because 'the command must stop with an error'
        $caught.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $caught.CategoryInfo.Category | Should -Be $Category
        $caught.Exception.Message | Should -BeLike "*$Hint*"
        $output | Should -BeNullOrEmpty
    }

    It 'throws an error that Should -Throw -ErrorId matches' {
        { 'not bytes' | Get-LayerDigest } | Should -Throw -ErrorId 'InputNotBytes,*'
    }

    It 'removes the -OutFile it started when the input turns out bad' {
        $blob = Join-Path $work 'bad.gz'
        { & { [byte[]](1..200); 'text' } | Get-LayerDigest -OutFile $blob } | Should -Throw -ErrorId 'InputNotBytes,*'
        Test-Path $blob | Should -BeFalse
    }

    It 'leaves an existing -OutFile as it was when the new layer fails, and replaces it when it succeeds' {
        $blob = Join-Path $work 'existing.gz'
        Set-Content -LiteralPath $blob -Value 'the previous blob' -NoNewline
        $notTar = Join-Path $work 'not-a-tar.txt'
        Set-Content -LiteralPath $notTar -Value ('plain text, not a tar ' * 40)
        { Get-LayerDigest -Path $notTar -OutFile $blob -ErrorAction Stop } | Should -Throw -ErrorId 'InputNotTar,*'
        Get-Content -Raw -LiteralPath $blob | Should -Be 'the previous blob' -Because 'a failed layer loses nothing that was there'

        $layer = Get-LayerDigest -Path $tar -OutFile $blob
        Get-Sha256Sum $blob | Should -Be $layer.Digest
        @(Get-ChildItem -Force $work -Filter '.existing.gz.*.partial').Count | Should -Be 0
    }

    It 'refuses an -OutFile that is <Case> before reading any input, naming why' -ForEach @(
        @{ Case = 'a directory'; Make = { param($w) $d = Join-Path $w 'a-folder'; $null = New-Item -ItemType Directory -Force $d; $d }; Why = 'it is a directory' }
        @{ Case = 'a read-only file'; Make = { param($w) $f = Join-Path $w 'read-only.gz'; Set-Content $f 'keep'; Set-ItemProperty $f -Name IsReadOnly -Value $true; $f }; Why = 'the file is read-only' }
        @{ Case = 'the input itself'; Make = { param($w) $f = Join-Path $w 'self.tar'; Copy-Item $tar $f; $f }; Why = 'it is the input itself' }
    ) {
        $target = & $Make $work
        $before = if (Test-Path $target -PathType Leaf) { Get-Sha256Sum $target }
        $source = if ($Case -eq 'the input itself') { $target } else { $tar }
        $caught = $null
        try { Get-LayerDigest -Path $source -OutFile $target -ErrorAction Stop } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'OutFileWriteFailed,*'
        $caught.CategoryInfo.Category | Should -Be 'WriteError'
        $caught.Exception.Message | Should -Match ([regex]::Escape("Cannot write the layer to '$target': $Why"))
        if ($before) { Get-Sha256Sum $target | Should -Be $before -Because 'what was there is left as it was' }
        @(Get-ChildItem -Force $work -Filter '*.partial').Count | Should -Be 0
    }

    It 'writes into an -OutFile that is a FIFO or a device as it is, and never replaces or removes it' {
        # A FIFO read by sha256sum, and a private copy of /dev/null (mknod, so the machine's own is never at stake):
        # a rename over either would leave a regular file, and removing one after a failure would lose it.
        $fifo = Join-Path $work 'out.fifo'
        $device = Join-Path $work 'null'
        & bash -c "mkfifo '$fifo' && mknod '$device' c 1 3"
        $job = Start-ThreadJob { param($Path) (& timeout 120 sha256sum $Path) -split ' ' | Select-Object -First 1 } -ArgumentList $fifo
        $layer = Get-LayerDigest -Path $tar -OutFile $fifo
        $job | Wait-Job -Timeout 120 | Receive-Job | Should -Be ($layer.Digest -replace '^sha256:')
        $notTar = Join-Path $work 'not-a-tar.bin'
        Set-Content -LiteralPath $notTar -Value ('x' * 4096)
        $null = Get-LayerDigest -Path $tar -OutFile $device
        { Get-LayerDigest -Path $notTar -OutFile $device -ErrorAction Stop } | Should -Throw -ErrorId 'InputNotTar,*'

        & bash -c "test -p '$fifo' && test -c '$device' && echo kept" | Should -Be 'kept'
        @(Get-ChildItem -Force -LiteralPath $work -Filter '*.partial').Count | Should -Be 0
    }

    It 'reports an -OutFile that cannot be written before reading any input' {
        $blob = Join-Path $work 'no/such/folder/x.gz'
        { Get-LayerDigest -Path $tar -OutFile $blob } | Should -Throw -ErrorId 'OutFileWriteFailed,*'
    }
}

Describe 'Get-LayerDigest progress, hints and stopping' {
    It 'shows progress with a percentage for a long input of known size' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                    param($module, $tar)
                    Import-Module $module
                    $stream = [TestInputStream]::Open($tar, 65536, 40); $stream.Seekable = $true
                    Get-LayerDigest -InputStream $stream
                }).AddArgument($env:STREAMLAYER_MODULE).AddArgument($tar)
            $layer = $ps.Invoke()
            $layer[0].Digest | Should -Be $reference.Digest
            $records = @($ps.Streams.Progress | Where-Object RecordType -EQ 'Processing')
            $records.Count | Should -BeGreaterThan 0
            $records[-1].PercentComplete | Should -BeGreaterThan 0
            $records[-1].StatusDescription | Should -Match 'read'
            @($ps.Streams.Progress | Where-Object RecordType -EQ 'Completed').Count | Should -Be 1
        }
        finally { $ps.Dispose() }
    }

    It 'shows bytes and rate, without a percentage, when the size is unknown' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                    param($module, $tar)
                    Import-Module $module
                    Get-Content -AsByteStream -ReadCount 16384 -LiteralPath $tar | ForEach-Object { Start-Sleep -Milliseconds 5; , $_ } | Get-LayerDigest
                }).AddArgument($env:STREAMLAYER_MODULE).AddArgument($tar)
            $layer = $ps.Invoke()
            $layer[0].Digest | Should -Be $reference.Digest
            $records = @($ps.Streams.Progress | Where-Object RecordType -EQ 'Processing')
            $records.Count | Should -BeGreaterThan 0
            $records | ForEach-Object { $_.PercentComplete | Should -Be -1 }
            $records[-1].StatusDescription | Should -Match '/s'
            $records[-1].Activity | Should -Be 'Get-LayerDigest'
        }
        finally { $ps.Dispose() }
    }

    It 'shows no progress under $ProgressPreference = SilentlyContinue' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                    param($module, $tar)
                    Import-Module $module
                    $ProgressPreference = 'SilentlyContinue'
                    Get-LayerDigest -InputStream ([TestInputStream]::Open($tar, 65536, 40))
                }).AddArgument($env:STREAMLAYER_MODULE).AddArgument($tar)
            $null = $ps.Invoke()
            $ps.Streams.Progress.Count | Should -Be 0
        }
        finally { $ps.Dispose() }
    }

    It 'hints once at the fast input forms when a large input arrives one object per byte' {
        $bytes = [byte[]]::new(1MB + 10)
        $layer = $bytes | Get-LayerDigest -WarningVariable hints -WarningAction SilentlyContinue
        @($hints).Count | Should -Be 1
        "$($hints[0])" | Should -BeLike '*-ReadCount*'
        $layer.UncompressedSize | Should -Be $bytes.Length
        $layer.DiffId | Should -Be ('sha256:' + [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($bytes)).ToLowerInvariant())
    }

    It 'does not hint when the bytes arrive in arrays' {
        $null = Get-Content -AsByteStream -ReadCount 4096 -LiteralPath $tar | Get-LayerDigest -WarningVariable hints
        @($hints).Count | Should -Be 0
    }

    It 'stops an endless input when the pipeline is stopped, and removes its -OutFile' {
        $blob = Join-Path $work 'endless.gz'
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                    param($module, $blob)
                    Import-Module $module
                    Get-LayerDigest -InputStream ([TestInputStream]::new($null, 65536, 1)) -OutFile $blob
                }).AddArgument($env:STREAMLAYER_MODULE).AddArgument($blob)
            $async = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            # The blob is written beside its name (.endless.gz.<random>.partial); only a complete one takes the name.
            $partial = Join-Path $work '.endless.gz.*.partial'
            while (@(Get-ChildItem -Force $partial).Count -eq 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            Start-Sleep -Milliseconds 300
            @(Get-ChildItem -Force $partial).Count | Should -Be 1 -Because 'the command had started writing'
            Test-Path $blob | Should -BeFalse -Because 'an incomplete blob never has the -OutFile name'

            $stop = $ps.BeginStop($null, $null)
            # A hang guard, not a timing requirement: an endless input never finishes by itself.
            $stop.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(30)) | Should -BeTrue
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            Test-Path $blob | Should -BeFalse
            @(Get-ChildItem -Force $partial).Count | Should -Be 0 -Because 'the partial file was removed'
        }
        finally { $ps.Dispose() }
    }
}
