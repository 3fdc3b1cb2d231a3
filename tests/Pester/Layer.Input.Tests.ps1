# Only tars go up as layers: files made by the real tools (xz, bzip2, lz4, zip, pzstd) and other bytes that are
# not a tar are refused before any blob is complete, naming what they are; a tar of only its end blocks and a
# pzstd file (zstd with skippable frames) are layers. Streams that cannot be read are refused before any request.
BeforeDiscovery {
    $notTars = @(
        @{ Name = 'a .tar.xz'; File = 'layer.tar.xz'; Make = 'xz -c "$1" > "$2"'; Named = 'it starts like xz-compressed data'; Hint = 'xz -dc' }
        @{ Name = 'a .tar.bz2'; File = 'layer.tar.bz2'; Make = 'bzip2 -c "$1" > "$2"'; Named = 'it starts like bzip2-compressed data'; Hint = 'bzip2 -dc' }
        @{ Name = 'a .tar.lz4'; File = 'layer.tar.lz4'; Make = 'lz4 -q -c "$1" > "$2"'; Named = 'it starts like lz4-compressed data'; Hint = 'lz4 -dc' }
        @{ Name = 'a zip'; File = 'layer.zip'; Make = 'cd "$(dirname "$1")" && zip -q "$2" "$(basename "$1")"'; Named = 'it starts like a zip archive'; Hint = 'tar -cf layer.tar' }
        @{ Name = 'random bytes'; File = 'random.bin'; Make = 'head -c 300000 /dev/urandom | { printf "\200"; cat; } > "$2"'; Named = 'not a tar header'; Hint = 'tar -cf layer.tar' }
        @{ Name = 'a text file'; File = 'notes.txt'; Make = 'yes "a line of notes, not a tar" | head -n 2000 > "$2"'; Named = 'it starts like text'; Hint = 'tar -cf layer.tar' }
        @{ Name = 'a .gz of a .tar.xz'; File = 'layer.tar.xz.gz'; Make = 'xz -c "$1" | gzip -c > "$2"'; Named = 'gzip-compressed, but what it holds is not a tar: it starts like xz-compressed data'; Hint = 'xz -dc' }
        @{ Name = 'a .zst of a text file'; File = 'notes.zst'; Make = 'yes "notes" | head -n 5000 | zstd -q -c > "$2"'; Named = 'zstd-compressed, but what it holds is not a tar: it starts like text'; Hint = 'tar -cf layer.tar' }
    )
}

BeforeAll {
    Import-Module $env:STREAMLAYER_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRegistry.psm1') -Force

    $script:work = New-TestDirectory
    $script:tar = (New-TestTar -Path (Join-Path $work 'layer.tar') -SizeKiB 600 -Seed 21).FullName
    $script:tarDiffId = Get-Sha256Sum $tar
    $script:registry = Start-TestRegistry
    $script:repoCount = 0
    function script:New-RepositoryName { "input/case$((++$script:repoCount))" }

    # Runs a command line of the real tools with the tar as $1 and the output file as $2.
    function script:New-Input([string] $Name, [string] $Command) {
        $path = Join-Path $work $Name
        & bash -c "set -e; $Command" _ $tar $path
        if ($LASTEXITCODE -ne 0) { throw "making $Name failed" }
        $path
    }

}

AfterAll {
    if ($script:registry) { Stop-TestRegistry $script:registry }
    Remove-Item -Recurse -Force $script:work -ErrorAction Ignore
}

Describe 'Only a tar makes a layer' {
    It 'Push-StreamLayer refuses <Name> in <Mode> mode: InputNotTar, naming it, with nothing left in the registry' -ForEach @(
        foreach ($mode in 'Stream', 'Chunked') { foreach ($case in $notTars) { $case + @{ Mode = $mode } } }
    ) {
        $path = New-Input $File $Make
        $repository = New-RepositoryName
        $caught = $null
        $output = $null
        try { $output = Push-StreamLayer -Path $path -Repository "$($registry.Host)/$repository" -UploadMode $Mode -ChunkSize 64KB -ErrorAction Stop } catch { $caught = $_ }

        $output | Should -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -BeLike 'InputNotTar,*'
        $caught.CategoryInfo.Category | Should -Be 'InvalidData'
        $caught.Exception.Message | Should -Match ([regex]::Escape($Named))
        $caught.Exception.Message | Should -Match ([regex]::Escape($Hint))
        @(Get-UploadSessions -Registry $registry -Repository $repository).Count | Should -Be 0 -Because 'the upload session was cancelled'
        Test-Path (Join-Path $registry.Storage "docker/registry/v2/repositories/$repository/_layers") | Should -BeFalse -Because 'no blob was linked'
        Get-StoredBlobs -Registry $registry | Should -BeNullOrEmpty -Because 'no blob was finished'
    }

    It 'Get-LayerDigest refuses <Name> and removes its -OutFile' -ForEach $notTars {
        $path = New-Input $File $Make
        $blob = Join-Path $work "$File.blob"
        { Get-LayerDigest -Path $path -OutFile $blob } | Should -Throw -ErrorId 'InputNotTar,*'
        Test-Path $blob | Should -BeFalse
    }

    It 'refuses an input shorter than one tar block, piped as bytes' {
        $caught = $null
        try { , [byte[]](1..100) | Get-LayerDigest -ErrorAction Stop } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'InputNotTar,*'
        $caught.Exception.Message | Should -Match 'only 100 bytes'
    }

    It 'pushes a tar that holds only its end-of-archive blocks (an empty layer)' {
        $empty = Join-Path $work 'empty.tar'
        & tar -cf $empty --files-from /dev/null
        $repository = New-RepositoryName
        $layer = Push-StreamLayer -Path $empty -Repository "$($registry.Host)/$repository" -ErrorAction Stop

        $layer.DiffId | Should -Be (Get-Sha256Sum $empty)
        $blob = Save-RegistryBlob -Registry $registry -Repository $repository -Digest $layer.Digest -OutFile (Join-Path $work 'empty.gz')
        Get-GunzipSha256 $blob.FullName | Should -Be (Get-Sha256Sum $empty)
    }

    It 'pushes a tar <Case> as it is: GNU tar lists it, the DiffId is sha256sum of every byte, gzip -dc of the blob gives it back' -ForEach @(
        @{ Case = 'whose first entry has a 4 MiB PAX header'; Pax = 4MB; Trailing = 0 }
        @{ Case = 'with bytes after its end-of-archive blocks'; Pax = 0; Trailing = 3000 }
    ) {
        # Built byte by byte: GNU tar cannot be given a 4 MiB PAX value on its command line.
        function New-Header([string] $Name, [long] $Size, [char] $Type) {
            $h = [byte[]]::new(512)
            $put = { param($at, $text) [Text.Encoding]::ASCII.GetBytes($text).CopyTo($h, $at) }
            & $put 0 $Name; & $put 100 "0000644`0"; & $put 108 "0000000`0"; & $put 116 "0000000`0"
            & $put 124 ([Convert]::ToString($Size, 8).PadLeft(11, '0') + "`0"); & $put 136 "00000000000`0"; & $put 148 '        '
            $h[156] = [byte]$Type; & $put 257 "ustar`0"; & $put 263 '00'
            $sum = 0; foreach ($b in $h) { $sum += $b }
            & $put 148 ([Convert]::ToString($sum, 8).PadLeft(6, '0') + "`0 ")
            , $h
        }
        function Get-Padded([byte[]] $Bytes) { $padded = [byte[]]::new([Math]::Ceiling($Bytes.Length / 512) * 512); $Bytes.CopyTo($padded, 0); , $padded }
        function Add-Bytes([byte[]] $Bytes) { $stream.Write($Bytes, 0, $Bytes.Length) }
        $content = [Text.Encoding]::ASCII.GetBytes("hello`n")
        $stream = [IO.MemoryStream]::new()
        if ($Pax) {
            $body = ' comment=' + ('p' * $Pax) + "`n"
            $length = $body.Length + 1; while ("$length$body".Length -ne $length) { $length = "$length$body".Length }
            $record = [Text.Encoding]::ASCII.GetBytes("$length$body")
            Add-Bytes (New-Header 'PaxHeaders/a.txt' $record.Length 'x'); Add-Bytes (Get-Padded $record)
        }
        Add-Bytes (New-Header 'a.txt' $content.Length '0'); Add-Bytes (Get-Padded $content); Add-Bytes ([byte[]]::new(1024))
        if ($Trailing) { Add-Bytes ([Text.Encoding]::ASCII.GetBytes('x' * $Trailing)) }
        $odd = Join-Path $work "odd-$($Pax)-$($Trailing).tar"
        [IO.File]::WriteAllBytes($odd, $stream.ToArray())
        & tar -tf $odd | Should -Be 'a.txt' -Because 'GNU tar reads it'

        $repository = New-RepositoryName
        $layer = Push-StreamLayer -Path $odd -Repository "$($registry.Host)/$repository" -ErrorAction Stop
        $layer.DiffId | Should -Be (Get-Sha256Sum $odd) -Because 'the layer is every byte as given, as a puller hashes it'
        $blob = Save-RegistryBlob -Registry $registry -Repository $repository -Digest $layer.Digest -OutFile (Join-Path $work "odd-$($Pax)-$($Trailing).gz")
        Get-Sha256Sum $blob.FullName | Should -Be $layer.Digest
        Get-GunzipSha256 $blob.FullName | Should -Be (Get-Sha256Sum $odd)
    }

    It 'takes what pzstd writes (zstd after a skippable frame) as zstd, and pushes it as it is' {
        $zst = Join-Path $work 'layer.tar.pzstd'
        & pzstd -q -p 2 -c $tar > $zst
        $LASTEXITCODE | Should -Be 0
        [IO.File]::ReadAllBytes($zst)[0..3] | Should -Be @(0x50, 0x2a, 0x4d, 0x18) -Because 'pzstd starts with a skippable frame'
        $repository = New-RepositoryName
        $layer = Push-StreamLayer -Path $zst -Repository "$($registry.Host)/$repository" -ErrorAction Stop

        $layer.MediaType | Should -Be 'application/vnd.oci.image.layer.v1.tar+zstd'
        $layer.Digest | Should -Be (Get-Sha256Sum $zst) -Because 'the pzstd file is the blob as it is'
        $layer.DiffId | Should -Be $tarDiffId
        $blob = Save-RegistryBlob -Registry $registry -Repository $repository -Digest $layer.Digest -OutFile (Join-Path $work 'back.zst')
        & bash -c 'zstd -dc "$1" | sha256sum' _ $blob.FullName | Should -Match ($tarDiffId -replace '^sha256:', '')
    }
}

Describe 'Streams that cannot be read' {
    It 'refuses a write-only -InputStream with InputNotReadable before any request' {
        $repository = New-RepositoryName
        $stream = [IO.File]::Open((Join-Path $work 'write-only.bin'), 'Create', 'Write')
        try {
            $caught = $null
            try { Push-StreamLayer -InputStream $stream -Repository "$($registry.Host)/$repository" -ErrorAction Stop } catch { $caught = $_ }
            $caught.FullyQualifiedErrorId | Should -BeLike 'InputNotReadable,*'
            $caught.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $caught.Exception.Message | Should -Match 'cannot be read'
            { Get-LayerDigest -InputStream $stream -ErrorAction Stop } | Should -Throw -ErrorId 'InputNotReadable,*'
        }
        finally { $stream.Dispose() }
        Test-Path (Join-Path $registry.Storage "docker/registry/v2/repositories/$repository") | Should -BeFalse -Because 'nothing was sent'
    }

    It 'refuses a stream that was disposed with InputClosed (InvalidOperation), not as write-only, given <How>' -ForEach @(
        @{ How = '-InputStream'; Push = { param($s, $target) Push-StreamLayer -InputStream $s -Repository $target -ErrorAction Stop }; Digest = { param($s) Get-LayerDigest -InputStream $s -ErrorAction Stop } }
        @{ How = 'the pipeline'; Push = { param($s, $target) $s | Push-StreamLayer -Repository $target -ErrorAction Stop }; Digest = { param($s) $s | Get-LayerDigest -ErrorAction Stop } }
    ) {
        $repository = New-RepositoryName
        $stream = [IO.File]::OpenRead($tar)
        $stream.Dispose()
        foreach ($run in @({ & $Push $stream "$($registry.Host)/$repository" }, { & $Digest $stream })) {
            $caught = $null
            try { & $run } catch { $caught = $_ }
            $caught.FullyQualifiedErrorId | Should -BeLike 'InputClosed,*'
            $caught.CategoryInfo.Category | Should -Be 'InvalidOperation'
            $caught.Exception.Message | Should -Match 'is closed: it was disposed before the command read it'
            $caught.Exception.Message | Should -Not -Match 'writing only'
        }
        Test-Path (Join-Path $registry.Storage "docker/registry/v2/repositories/$repository") | Should -BeFalse -Because 'nothing was sent'
    }
}
