BeforeAll {
    Import-Module $env:STREAMLAYER_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRegistry.psm1') -Force

    $script:work = New-TestDirectory
    $script:tar = (New-TestTar -Path (Join-Path $work 'layer.tar') -SizeKiB 3500 -Seed 11).FullName
    $script:smallTar = (New-TestTar -Path (Join-Path $work 'small.tar') -SizeKiB 120 -Seed 12).FullName
    $script:tarDiffId = Get-Sha256Sum $tar
    $script:smallDiffId = Get-Sha256Sum $smallTar
    $script:reference = Get-LayerDigest -Path $tar
    $script:smallReference = Get-LayerDigest -Path $smallTar
    $script:registry = Start-TestRegistry
    $script:repoCount = 0

    function script:New-RepositoryName { "test/push$((++$script:repoCount))" }

    # Reads the blob back over HTTP and checks it with tools that know nothing of StreamLayer.
    function script:Assert-PushedLayer($Layer, [string] $Repository, [string] $ExpectedDiffId, $Registry = $script:registry) {
        $Layer | Should -BeOfType ([StreamLayer.PushedLayer])
        $Layer.Registry | Should -Be $Registry.Host
        $Layer.Repository | Should -Be $Repository
        $Layer.Reference | Should -Be "$($Registry.Host)/$Repository@$($Layer.Digest)"

        $blob = Save-RegistryBlob -Registry $Registry -Repository $Repository -Digest $Layer.Digest -OutFile (Join-Path $work ([guid]::NewGuid().ToString() + '.gz'))
        Get-Sha256Sum $blob.FullName | Should -Be $Layer.Digest -Because 'sha256 of the blob read back is the Digest'
        $blob.Length | Should -Be $Layer.Size -Because 'the blob read back is Size bytes'
        Get-GunzipSha256 $blob.FullName | Should -Be $Layer.DiffId -Because 'gzip -dc of the blob is the tar'
        $Layer.DiffId | Should -Be $ExpectedDiffId -Because 'the DiffId is sha256sum of the tar'
        Remove-Item $blob.FullName

        @(Get-UploadSessions -Registry $Registry -Repository $Repository).Count | Should -Be 0 -Because 'no upload session is left open'
        Get-StoredBlobs -Registry $Registry | Where-Object { -not $_.Matches } | Should -BeNullOrEmpty
    }

    function script:Assert-NothingLeft([string] $Repository, $Registry = $script:registry) {
        @(Get-UploadSessions -Registry $Registry -Repository $Repository).Count | Should -Be 0 -Because 'the failed upload session was deleted'
        Get-StoredBlobs -Registry $Registry | Where-Object { -not $_.Matches } | Should -BeNullOrEmpty -Because 'no blob holds content other than its digest says'
    }
}

AfterAll {
    if ($script:registry) { Stop-TestRegistry $script:registry }
    Remove-Item -Recurse -Force $script:work -ErrorAction Ignore
}

Describe 'Push-StreamLayer into docker-registry' {
    It 'pushes with the README pipeline (one object per byte, localhost name)' {
        $repository = New-RepositoryName
        $port = $registry.Port
        $layer = Get-Content -AsByteStream $smallTar | Push-StreamLayer -Repository "localhost:$port/$repository"

        $layer.Registry | Should -Be "localhost:$port"
        $layer.Digest | Should -Be $smallReference.Digest
        $layer.DiffId | Should -Be $smallDiffId
        $blob = Save-RegistryBlob -Registry $registry -Repository $repository -Digest $layer.Digest -OutFile (Join-Path $work 'readme.gz')
        Get-Sha256Sum $blob.FullName | Should -Be $layer.Digest
        Get-GunzipSha256 $blob.FullName | Should -Be $smallDiffId
    }

    It 'pushes <Name> in <Mode> mode, as Get-LayerDigest computes it' -ForEach @(
        foreach ($mode in 'Stream', 'Chunked') {
            @{ Mode = $mode; Name = '-Path'; Run = { param($r, $m) Push-StreamLayer -Path $tar -Repository $r -UploadMode $m -ChunkSize 1MB } }
            @{ Mode = $mode; Name = '-LiteralPath'; Run = { param($r, $m) Push-StreamLayer -LiteralPath $tar -Repository $r -UploadMode $m -ChunkSize 1MB } }
            @{ Mode = $mode; Name = '-ReadCount chunks'; Run = { param($r, $m) Get-Content -AsByteStream -ReadCount 64KB -LiteralPath $tar | Push-StreamLayer -Repository $r -UploadMode $m -ChunkSize 1MB } }
            @{ Mode = $mode; Name = '-Raw'; Run = { param($r, $m) Get-Content -AsByteStream -Raw -LiteralPath $tar | Push-StreamLayer -Repository $r -UploadMode $m -ChunkSize 1MB } }
            @{ Mode = $mode; Name = 'a Stream in the pipeline'; Run = { param($r, $m) $s = [IO.File]::OpenRead($tar); try { $s | Push-StreamLayer -Repository $r -UploadMode $m -ChunkSize 1MB } finally { $s.Dispose() } } }
            @{ Mode = $mode; Name = '-InputStream (not seekable)'; Run = { param($r, $m) Push-StreamLayer -InputStream ([TestInputStream]::Open($tar)) -Repository $r -UploadMode $m -ChunkSize 1MB } }
            @{ Mode = $mode; Name = 'Get-Item in the pipeline'; Run = { param($r, $m) Get-Item $tar | Push-StreamLayer -Repository $r -UploadMode $m -ChunkSize 1MB } }
        }
    ) {
        $repository = New-RepositoryName
        $layer = & $Run "$($registry.Host)/$repository" $Mode

        @($layer).Count | Should -Be 1
        $layer.Digest | Should -Be $reference.Digest
        $layer.Size | Should -Be $reference.Size
        $layer.UncompressedSize | Should -Be $reference.UncompressedSize
        $layer.MediaType | Should -Be $reference.MediaType
        Assert-PushedLayer $layer $repository $tarDiffId
    }

    It 'pushes one object per byte in chunked mode' {
        $repository = New-RepositoryName
        $layer = Get-Content -AsByteStream $smallTar | Push-StreamLayer -Repository "$($registry.Host)/$repository" -UploadMode Chunked -ChunkSize 16KB
        $layer.Digest | Should -Be $smallReference.Digest
        Assert-PushedLayer $layer $repository $smallDiffId
    }

    It 'pushes one layer per file from a wildcard -Path' {
        $folder = Join-Path $work 'many'
        $null = New-Item -ItemType Directory -Force $folder
        Copy-Item $tar (Join-Path $folder 'a.tar')
        Copy-Item $smallTar (Join-Path $folder 'b.tar')
        $repository = New-RepositoryName

        $layers = Push-StreamLayer -Path (Join-Path $folder '*.tar') -Repository "$($registry.Host)/$repository"

        $layers.Count | Should -Be 2
        Assert-PushedLayer $layers[0] $repository $tarDiffId
        Assert-PushedLayer $layers[1] $repository $smallDiffId
        $layers[1].Path | Should -Be (Join-Path $folder 'b.tar')
    }

    It 'honours -MediaType and -CompressionLevel like Get-LayerDigest' {
        $repository = New-RepositoryName
        $expected = Get-LayerDigest -Path $tar -MediaType Oci -CompressionLevel 6
        $layer = Push-StreamLayer -Path $tar -Repository "$($registry.Host)/$repository" -MediaType Oci -CompressionLevel 6
        $layer.Digest | Should -Be $expected.Digest
        $layer.MediaType | Should -Be 'application/vnd.oci.image.layer.v1.tar+gzip'
        Assert-PushedLayer $layer $repository $tarDiffId
    }

    It 'pushes a <Compression> layer that <Tool> restores, in <Mode> mode' -ForEach @(
        @{ Compression = 'Zstd'; Tool = 'zstd -dc'; Mode = 'Stream' }
        @{ Compression = 'Zstd'; Tool = 'zstd -dc'; Mode = 'Chunked' }
        @{ Compression = 'None'; Tool = 'cat'; Mode = 'Stream' }
    ) {
        $repository = New-RepositoryName
        $expected = Get-LayerDigest -Path $tar -Compression $Compression
        $layer = Push-StreamLayer -Path $tar -Repository "$($registry.Host)/$repository" -Compression $Compression -UploadMode $Mode -ChunkSize 1MB
        $layer.Digest | Should -Be $expected.Digest
        $layer.MediaType | Should -Be $expected.MediaType
        $blob = Save-RegistryBlob -Registry $registry -Repository $repository -Digest $layer.Digest -OutFile (Join-Path $work "$repository-$Mode.blob".Replace('/', '-'))
        Get-Sha256Sum $blob.FullName | Should -Be $layer.Digest
        ((& bash -c "$Tool `"`$1`" | sha256sum" _ $blob.FullName) -split '\s+')[0] | Should -Be $tarDiffId.Substring(7)
        @(Get-UploadSessions -Registry $registry -Repository $repository).Count | Should -Be 0
    }

    It 'pushes a .tar.gz as it is, and refuses a corrupt one without leaving a blob' {
        $gz = Join-Path $work 'layer.tar.gz'
        & bash -c 'gzip -c "$1" > "$2"' _ $tar $gz
        $repository = New-RepositoryName
        $layer = Push-StreamLayer -Path $gz -Repository "$($registry.Host)/$repository"
        $layer.Digest | Should -Be (Get-Sha256Sum $gz)
        $layer.DiffId | Should -Be $tarDiffId
        Assert-PushedLayer $layer $repository $tarDiffId

        $bad = Join-Path $work 'truncated.tar.gz'
        $bytes = [IO.File]::ReadAllBytes($gz)
        [IO.File]::WriteAllBytes($bad, $bytes[0..($bytes.Length - 100)])
        $repository = New-RepositoryName
        { Push-StreamLayer -Path $bad -Repository "$($registry.Host)/$repository" } | Should -Throw -ErrorId 'InputCorrupt,*'
        Assert-NothingLeft $repository
        Test-Path (Join-Path $registry.Storage "docker/registry/v2/repositories/$repository/_layers") | Should -BeFalse -Because 'the corrupt blob was never finished'
    }

    It 'names each HTTP step in -Verbose, without session state or credentials' {
        $repository = New-RepositoryName
        $verbose = Push-StreamLayer -Path $smallTar -Repository "$($registry.Host)/$repository" -Verbose 4>&1 | Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message

        $verbose | Should -Contain ($verbose | Where-Object { $_ -match "^POST http://$([regex]::Escape($registry.Host))/v2/$repository/blobs/uploads/ -> 202" })
        ($verbose -match '^PATCH .* -> 202').Count | Should -Be 1
        ($verbose -match "^PUT .*digest=$($smallReference.Digest) -> 201").Count | Should -Be 1
        ($verbose -match "^HEAD .*/blobs/$($smallReference.Digest) -> 200").Count | Should -Be 1
        ($verbose -join "`n") | Should -Not -Match '_state=[^.&]'
    }

    It 'shows upload progress for a long push' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                    param($module, $tar, $target)
                    Import-Module $module
                    Push-StreamLayer -InputStream ([TestInputStream]::Open($tar, 65536, 40)) -Repository $target
                }).AddArgument($env:STREAMLAYER_MODULE).AddArgument($tar).AddArgument("$($registry.Host)/$(New-RepositoryName)")
            $layer = $ps.Invoke()
            $layer[0].Digest | Should -Be $reference.Digest
            $records = @($ps.Streams.Progress | Where-Object RecordType -EQ 'Processing')
            $records.Count | Should -BeGreaterThan 0
            $records[-1].StatusDescription | Should -Match 'uploaded'
            $records[-1].Activity | Should -BeLike 'Push-StreamLayer*'
        }
        finally { $ps.Dispose() }
    }
}

Describe 'Push-StreamLayer refusals' {
    It 'refuses an invalid repository name before reading any input' -ForEach @(
        @{ Name = 'Upper/Case' }, @{ Name = 'localhost:5000/has space' }, @{ Name = 'localhost:5000/stream:tag' }, @{ Name = '' }
        @{ Name = 'localhost:0/stream' }, @{ Name = '127.0.0.1:65536/stream' }
    ) {
        $script:produced = 0
        $caught = $null
        try { & { $script:produced++; [byte]1 } | Push-StreamLayer -Repository $Name } catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -BeLike $(if ($Name) { 'InvalidRepository,*' } else { 'ParameterArgumentValidationError*' })
        $script:produced | Should -Be 0
    }

    It 'reads and uploads nothing under -WhatIf' {
        $repository = New-RepositoryName
        $stream = [TestInputStream]::Open($tar)
        $output = Push-StreamLayer -InputStream $stream -Repository "$($registry.Host)/$repository" -WhatIf
        $fromFiles = Push-StreamLayer -Path $tar -Repository "$($registry.Host)/$repository" -WhatIf
        $fromPipeline = Get-Content -AsByteStream -ReadCount 64KB $tar | Push-StreamLayer -Repository "$($registry.Host)/$repository" -WhatIf

        $output, $fromFiles, $fromPipeline | Should -BeNullOrEmpty
        $stream.Reads | Should -Be 0
        Test-Path (Join-Path $registry.Storage "docker/registry/v2/repositories/$repository") | Should -BeFalse
    }

    It 'cancels the upload session when the input turns out bad mid-way, and outputs nothing' -ForEach @(@{ Mode = 'Stream' }, @{ Mode = 'Chunked' }) {
        $repository = New-RepositoryName
        $bytes = [IO.File]::ReadAllBytes($tar)
        $output = $null
        { $script:output = & { , $bytes; 'not bytes' } | Push-StreamLayer -Repository "$($registry.Host)/$repository" -UploadMode $Mode -ChunkSize 1MB } |
            Should -Throw -ErrorId 'InputNotBytes,*'
        $script:output | Should -BeNullOrEmpty
        Assert-NothingLeft $repository
        Test-Path (Join-Path $registry.Storage "docker/registry/v2/repositories/$repository/_layers") | Should -BeFalse
    }

    It 'stops promptly on Ctrl+C, deletes the upload session and leaves no blob' {
        $repository = New-RepositoryName
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                    param($module, $target)
                    Import-Module $module
                    Push-StreamLayer -InputStream ([TestInputStream]::new($null, 65536, 1)) -Repository $target
                }).AddArgument($env:STREAMLAYER_MODULE).AddArgument("$($registry.Host)/$repository")
            $null = $ps.BeginInvoke()
            $uploads = Join-Path $registry.Storage "docker/registry/v2/repositories/$repository/_uploads"
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while (-not (Get-ChildItem $uploads -Recurse -Filter data -ErrorAction Ignore | Where-Object Length -GT 1MB) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            @(Get-UploadSessions -Registry $registry -Repository $repository).Count | Should -Be 1 -Because 'the push was under way'

            $stop = $ps.BeginStop($null, $null)
            $stop.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(30)) | Should -BeTrue -Because 'an endless push only ends by being stopped'
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            Assert-NothingLeft $repository
        }
        finally { $ps.Dispose() }
    }

    It 'reports a read-only registry that refuses pushes as unsupported' {
        $readOnly = Start-TestRegistry -StorageExtra "  maintenance:`n    readonly:`n      enabled: true"
        try {
            $caught = $null
            try { Push-StreamLayer -Path $smallTar -Repository "$($readOnly.Host)/readonly" -MaximumRetryCount 0 } catch { $caught = $_ }
            $caught.FullyQualifiedErrorId | Should -BeLike 'RegistryUnsupported,*'
            $caught.CategoryInfo.Category | Should -Be 'NotImplemented'
            $caught.Exception.StatusCode | Should -Be 405
            $caught.Exception.Message | Should -Match 'Starting the upload: the registry answered POST .*/v2/readonly/blobs/uploads/ with 405'
        }
        finally { Stop-TestRegistry $readOnly }
    }

    It 'reports a registry that is not there as a connection failure, and outputs nothing' {
        $port = Get-FreeTcpPort
        $output = $null
        $caught = $null
        try { $output = Push-StreamLayer -Path $smallTar -Repository "127.0.0.1:$port/nothing" -MaximumRetryCount 1 -RetryIntervalSec 0 } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'RegistryConnectionFailed,*'
        $caught.CategoryInfo.Category | Should -Be 'ConnectionError'
        $caught.Exception.Message | Should -Match "127\.0\.0\.1:$port"
        $output | Should -BeNullOrEmpty
    }
}
