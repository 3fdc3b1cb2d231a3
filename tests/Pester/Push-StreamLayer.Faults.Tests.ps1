# Faults the real registry will not produce on its own, injected by the test-only proxy in front of it. Every
# case ends in one of two ways: the push succeeds and the blob read back checks out, or it fails with a clear
# error and the upload session deleted. Either way no blob in the registry differs from its digest.
BeforeAll {
    Import-Module $env:STREAMLAYER_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRegistry.psm1') -Force

    $script:work = New-TestDirectory
    # Random content, so the blob is about as large as the tar: several MiB, several chunks.
    $script:tar = Join-Path $work 'random.tar'
    $source = Join-Path $work 'src'
    $null = New-Item -ItemType Directory $source
    $bytes = [byte[]]::new(9MB); [Random]::new(7).NextBytes($bytes)
    [IO.File]::WriteAllBytes((Join-Path $source 'random.bin'), $bytes)
    & tar --owner=0 --group=0 --mtime='2020-01-01 00:00Z' -C $source -cf $tar .
    $script:tarDiffId = Get-Sha256Sum $tar
    $script:reference = Get-LayerDigest -Path $tar

    $script:registry = Start-TestRegistry
    $script:proxy = Start-FaultProxy -Registry $registry
    $script:repoCount = 0
    function script:New-RepositoryName { "faults/case$((++$script:repoCount))" }

    # Pushes through the proxy with fast retries; returns the layer or the error.
    function script:Invoke-FaultyPush([string] $Repository, [hashtable] $Options = @{}) {
        $parameters = @{ Path = $tar; Repository = "$($proxy.Host)/$Repository"; RetryIntervalSec = 0; ErrorAction = 'Stop' } + $Options
        try { Push-StreamLayer @parameters } catch { $_ }
    }

    function script:Assert-Pushed($Result, [string] $Repository) {
        $Result | Should -BeOfType ([StreamLayer.PushedLayer]) -Because "$Result"
        $Result.Digest | Should -Be $reference.Digest
        $blob = Save-RegistryBlob -Registry $registry -Repository $Repository -Digest $Result.Digest -OutFile (Join-Path $work "$([guid]::NewGuid()).gz")
        Get-Sha256Sum $blob.FullName | Should -Be $Result.Digest
        $blob.Length | Should -Be $Result.Size
        Get-GunzipSha256 $blob.FullName | Should -Be $tarDiffId
        Assert-Clean $Repository
    }

    function script:Assert-Clean([string] $Repository) {
        @(Get-UploadSessions -Registry $registry -Repository $Repository).Count | Should -Be 0 -Because 'no upload session is left behind'
        Get-StoredBlobs -Registry $registry | Where-Object { -not $_.Matches } | Should -BeNullOrEmpty -Because 'no blob differs from its digest'
    }

    function script:Get-Requests([string] $Method) { @(Get-ProxyLog $proxy | Where-Object Method -EQ $Method) }
}

AfterAll {
    if ($script:proxy) { Stop-FaultProxy $script:proxy }
    if ($script:registry) { Stop-TestRegistry $script:registry }
    Remove-Item -Recurse -Force $script:work -ErrorAction Ignore
}

Describe 'Push-StreamLayer retries what can be replayed' {
    It 'retries <Status> on <Method> in <Mode> mode, honouring Retry-After' -ForEach @(
        @{ Method = 'POST'; Status = 503; Mode = 'Stream' }
        @{ Method = 'POST'; Status = 429; Mode = 'Chunked' }
        @{ Method = 'PATCH'; Status = 503; Mode = 'Stream' }
        @{ Method = 'PATCH'; Status = 429; Mode = 'Chunked' }
        @{ Method = 'PUT'; Status = 503; Mode = 'Stream' }
        @{ Method = 'PUT'; Status = 429; Mode = 'Chunked' }
    ) {
        $repository = New-RepositoryName
        Set-ProxyFaults $proxy @(@{ Method = $Method; Action = 'status'; Status = $Status; RetryAfter = 1; Times = 2; Skip = $(if ($Mode -eq 'Chunked' -and $Method -eq 'PATCH') { 1 } else { 0 }) })
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $result = Invoke-FaultyPush $repository @{ UploadMode = $Mode; ChunkSize = 2MB }
        $clock.Stop()

        Assert-Pushed $result $repository
        (Get-Requests $Method | Where-Object Status -EQ $Status).Count | Should -Be 2
        $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 2 -Because 'two Retry-After: 1 waits were honoured (a lower bound, not a speed limit)'
    }

    It 'resends a chunk whose connection dropped mid-body, from what the registry has (a buffering proxy in front)' {
        $repository = New-RepositoryName
        Set-ProxyFaults $proxy @(@{ Method = 'PATCH'; Action = 'drop'; Bytes = 300000; Skip = 1; Times = 1 })
        $result = Invoke-FaultyPush $repository @{ UploadMode = 'Chunked'; ChunkSize = 2MB }

        Assert-Pushed $result $repository
        $log = Get-ProxyLog $proxy
        @($log | Where-Object Fault -EQ 'drop').Count | Should -Be 1
        @($log | Where-Object { $_.Method -eq 'GET' -and $_.Path -like '*/blobs/uploads/*' }).Count | Should -BeGreaterOrEqual 1 -Because 'the client asked the registry how much it had'
        $ranges = @($log | Where-Object { $_.Method -eq 'PATCH' -and $_.Status -eq 202 } | ForEach-Object ContentRange)
        $ranges[1] | Should -Be '2097152-4194303' -Because 'the dropped chunk is sent again from where the registry stopped'
    }

    It 'fails cleanly when a dropped chunk left the registry with part of it' {
        # distribution then refuses the session's state for good (BLOB_UPLOAD_INVALID): it cannot resume, be
        # finished or be deleted through the API, and is purged when it expires. What must hold: a clear error,
        # no PUT, and no blob under any digest.
        $repository = New-RepositoryName
        Set-ProxyFaults $proxy @(@{ Method = 'PATCH'; Action = 'dropUpstream'; Bytes = 300000; Skip = 1; Times = 1 })
        $result = Invoke-FaultyPush $repository @{ UploadMode = 'Chunked'; ChunkSize = 2MB; MaximumRetryCount = 2 }

        $result | Should -BeOfType ([Management.Automation.ErrorRecord])
        $result.FullyQualifiedErrorId | Should -BeLike 'RegistryBlobRejected,*'
        $result.Exception.ErrorCode | Should -Be 'BLOB_UPLOAD_INVALID'
        $result.Exception.Message | Should -Match 'kept part of it.*cannot resume'
        (Get-Requests 'PUT').Count | Should -Be 0
        Get-StoredBlobs -Registry $registry | Where-Object { -not $_.Matches } | Should -BeNullOrEmpty
        Test-Path (Join-Path $registry.Storage "docker/registry/v2/repositories/$repository/_layers") | Should -BeFalse -Because 'no blob was linked into the repository'
    }

    It 'fails cleanly, deleting the session, when a streamed body is cut off (it cannot be replayed)' {
        $repository = New-RepositoryName
        Set-ProxyFaults $proxy @(@{ Method = 'PATCH'; Action = 'drop'; Bytes = 1MB; Times = 1 })
        $result = Invoke-FaultyPush $repository @{ UploadMode = 'Stream' }

        $result | Should -BeOfType ([Management.Automation.ErrorRecord])
        $result.FullyQualifiedErrorId | Should -BeLike 'RegistryConnectionFailed,*'
        (Get-Requests 'PUT').Count | Should -Be 0 -Because 'an incomplete blob is never finished'
        Assert-Clean $repository
    }
}

Describe 'Push-StreamLayer adapts to front ends that limit requests' {
    It 'falls back to Content-Range chunks when chunked transfer encoding is refused (411)' {
        $repository = New-RepositoryName
        Set-ProxyFaults $proxy @(@{ Action = 'rejectChunkedEncoding' })
        $result = Invoke-FaultyPush $repository @{ Verbose = $true } 4>$null

        Assert-Pushed $result $repository
        $patches = Get-Requests 'PATCH'
        @($patches | Where-Object Status -EQ 411).Count | Should -Be 1
        $accepted = @($patches | Where-Object Status -EQ 202)
        $accepted.Count | Should -BeGreaterThan 1
        $accepted | ForEach-Object { $_.ChunkedEncoding | Should -BeFalse; $_.ContentRange | Should -Match '^\d+-\d+$' }
    }

    It 'halves chunks that a registry refuses as too large (416 over 4 MiB, as GHCR does)' {
        $repository = New-RepositoryName
        Set-ProxyFaults $proxy @(@{ Action = 'maxChunk'; Bytes = 4MB })
        $result = Invoke-FaultyPush $repository @{ UploadMode = 'Chunked' }

        Assert-Pushed $result $repository
        $patches = Get-Requests 'PATCH'
        @($patches | Where-Object Status -EQ 416).Count | Should -BeGreaterThan 0
        $patches | Where-Object Status -EQ 202 | ForEach-Object { $_.ContentLength | Should -BeLessOrEqual 4MB }
    }

    It 'pushes in chunks under a front end''s body limit (413)' {
        $repository = New-RepositoryName
        Set-ProxyFaults $proxy @(@{ Action = 'maxBody'; Bytes = 3MB })
        $result = Invoke-FaultyPush $repository @{ UploadMode = 'Chunked'; ChunkSize = 8MB }

        Assert-Pushed $result $repository
        @(Get-Requests 'PATCH' | Where-Object Status -EQ 413).Count | Should -BeGreaterThan 0
    }

    It 'fails cleanly, naming the way out, when a streamed body passes a front end''s limit (413)' {
        $repository = New-RepositoryName
        Set-ProxyFaults $proxy @(@{ Action = 'maxBody'; Bytes = 1MB })
        $result = Invoke-FaultyPush $repository @{ UploadMode = 'Stream' }

        $result | Should -BeOfType ([Management.Automation.ErrorRecord])
        $result.Exception.StatusCode | Should -Be 413
        $result.Exception.Message | Should -Match '-UploadMode Chunked'
        $result.Exception.ErrorCode | Should -Be 'TOO_LARGE' -Because 'the error carries the code from the JSON error body'
        Assert-Clean $repository
    }

    It 'follows relative Locations, keeping their query' {
        $repository = New-RepositoryName
        Set-ProxyFaults $proxy @(@{ Action = 'relativeLocation' })
        foreach ($mode in 'Stream', 'Chunked') {
            $result = Invoke-FaultyPush "$repository-$($mode.ToLower())" @{ UploadMode = $mode; ChunkSize = 2MB }
            Assert-Pushed $result "$repository-$($mode.ToLower())"
        }
        @(Get-Requests 'PUT' | Where-Object Status -EQ 201).Count | Should -Be 2
    }
}

Describe 'Push-StreamLayer against a registry that does not answer' {
    It 'times out on a <Method> that never gets an answer, and cancels the session' -ForEach @(
        @{ Method = 'PATCH'; Mode = 'Stream' }, @{ Method = 'PATCH'; Mode = 'Chunked' }, @{ Method = 'PUT'; Mode = 'Stream' }
    ) {
        $repository = New-RepositoryName
        Set-ProxyFaults $proxy @(@{ Method = $Method; Action = 'hang'; Times = 0 })
        $result = Invoke-FaultyPush $repository @{ UploadMode = $Mode; ChunkSize = 2MB; TimeoutSec = 2; MaximumRetryCount = 1 }

        $result | Should -BeOfType ([Management.Automation.ErrorRecord])
        $result.FullyQualifiedErrorId | Should -BeLike 'RegistryTimeout,*'
        $result.CategoryInfo.Category | Should -Be 'OperationTimeout'
        $result.Exception.Message | Should -Match 'no answer within 2 s'
        @(Get-Requests 'DELETE').Count | Should -BeGreaterOrEqual 1 -Because 'the session is cancelled'
        if ($Method -ne 'PUT') { Assert-Clean $repository }
    }

    It 'times out when the registry never answers at all, and outputs nothing' {
        Set-ProxyFaults $proxy @(@{ Action = 'hang'; Times = 0 })
        $result = Invoke-FaultyPush (New-RepositoryName) @{ TimeoutSec = 1; MaximumRetryCount = 0 }
        $result | Should -BeOfType ([Management.Automation.ErrorRecord])
        $result.FullyQualifiedErrorId | Should -BeLike 'RegistryTimeout,*'
    }

    It 'reports retries exhausted with the registry''s own code and message' {
        $repository = New-RepositoryName
        Set-ProxyFaults $proxy @(@{ Method = 'POST'; Action = 'status'; Status = 503; Times = 0 })
        $result = Invoke-FaultyPush $repository @{ MaximumRetryCount = 2 }

        $result.FullyQualifiedErrorId | Should -BeLike 'RegistryUnavailable,*'
        $result.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $result.Exception.ErrorCode | Should -Be 'INJECTED'
        $result.Exception.RegistryMessage | Should -Be 'fault injected by the test proxy'
        $result.Exception.Message | Should -Match '503.*INJECTED: fault injected by the test proxy'
        (Get-Requests 'POST').Count | Should -Be 3
    }
}

Describe 'Push-StreamLayer against hostile and broken answers' {
    It 'gives up on a registry that never answers after two attempts by default, saying how many and how long' {
        $repository = New-RepositoryName
        Set-ProxyFaults $proxy @(@{ Action = 'hang'; Times = 0 })
        # Default retries (4): the deadline of 2 x -TimeoutSec, not the retry count, ends it.
        $result = Invoke-FaultyPush $repository @{ TimeoutSec = 2; MaximumRetryCount = 4 }

        $result.FullyQualifiedErrorId | Should -BeLike 'RegistryTimeout,*'
        $result.Exception.Message | Should -Match 'POST .* failed: no answer within 2 s \(2 attempts in \d+ s\)\.'
        (Get-Requests 'POST').Count | Should -Be 2
    }

    It 'gives up on a POST that is never answered at the deadline the help states: twice -TimeoutSec, the wait before the retry included' {
        $repository = New-RepositoryName
        Set-ProxyFaults $proxy @(@{ Method = 'POST'; Action = 'hang'; Times = 0 })
        # A long wait before the retry: a retry given a whole -TimeoutSec of its own would end 3 s past the deadline of 8 s.
        $clock = [Diagnostics.Stopwatch]::StartNew()
        try { Push-StreamLayer -Path $tar -Repository "$($proxy.Host)/$repository" -TimeoutSec 4 -RetryIntervalSec 3 -ErrorAction Stop; $result = $null } catch { $result = $_ }
        $clock.Stop()

        $result.FullyQualifiedErrorId | Should -BeLike 'RegistryTimeout,*'
        $result.Exception.Message | Should -Match 'Starting the upload: POST .* failed: no answer within 4 s \(2 attempts in \d+ s\)\.'
        (Get-Requests 'POST').Count | Should -Be 2
        # The documented bound (8 s) with room for a loaded machine, well short of the 11 s of an attempt past the deadline.
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 9.5 -Because 'about_StreamLayer: each request has a deadline of twice -TimeoutSec, counting every attempt and every wait'
    }

    It 'reads no more than a small part of an endless error body (the process stays small)' {
        Set-ProxyFaults $proxy @(@{ Method = 'POST'; Action = 'endlessBody'; Status = 500; Times = 0 })
        $command = "Import-Module '$env:STREAMLAYER_MODULE'; " +
            "try { Push-StreamLayer -Path '$tar' -Repository '$($proxy.Host)/$(New-RepositoryName)' -MaximumRetryCount 1 -RetryIntervalSec 0 -TimeoutSec 30 -ErrorAction Stop } " +
            "catch { `$_.FullyQualifiedErrorId; `$_.Exception.StatusCode }; " +
            "((Get-Content /proc/self/status) -match '^VmHWM:' -replace '\D', '')"
        $output = Invoke-ChildPwsh $command

        $output[0] | Should -BeLike 'RegistryUnavailable,*'
        "$($output[1])" | Should -Be 'InternalServerError'
        [long]$output[2] * 1KB | Should -BeLessThan 1GB -Because 'an endless body is cut at 64 KiB, not buffered (peak resident memory)'
        (Get-Requests 'POST').Count | Should -Be 2 -Because 'the 500 was retried once, each body cut short'
    }

    It 'refuses a Location that is not http or https: RegistryLocationInvalid, naming the step, the request and the scheme' {
        $repository = New-RepositoryName
        Set-ProxyFaults $proxy @(@{ Method = 'POST'; Action = 'location'; Location = 'file:///etc/passwd' })
        $result = Invoke-FaultyPush $repository

        $result.FullyQualifiedErrorId | Should -BeLike 'RegistryLocationInvalid,*'
        $result.Exception.Message | Should -Match '^Starting the upload: the registry answered POST http://.*/blobs/uploads/ with 202 Accepted and a Location whose scheme is ''file'''
        $result.Exception.Message | Should -Match 'tell its operator'
        $result.Exception.Method | Should -Be 'POST'
        $result.Exception.Url | Should -BeLike "http://$($proxy.Host)/v2/$repository/blobs/uploads/*"
        (Get-Requests 'PATCH').Count | Should -Be 0
    }

    # The registry takes the upload, then HEAD says the blob is not there: the layer's confirmation, and (with -Tag,
    # after the layer's HEAD passed) the config's.
    It 'refuses a <What> the registry accepted but then does not hold: RegistryProtocolError naming <Step> and the HEAD' -ForEach @(
        @{ What = 'layer'; Step = 'Confirming the blob'; Skip = 0; Options = @{} }
        @{ What = 'config'; Step = 'Uploading a blob'; Skip = 1; Options = @{ Tag = '1' } }
    ) {
        $repository = New-RepositoryName
        Set-ProxyFaults $proxy @(@{ Method = 'HEAD'; PathContains = '/blobs/sha256:'; Action = 'status'; Status = 404; Code = 'BLOB_UNKNOWN'; Skip = $Skip; Times = 0 })
        $result = Invoke-FaultyPush $repository $Options

        $result.FullyQualifiedErrorId | Should -BeLike 'RegistryProtocolError,*'
        $result.Exception.Message | Should -Match ("^$Step" + ': the registry accepted sha256:[0-9a-f]{64}, but answers HEAD http://' + [regex]::Escape("$($proxy.Host)/v2/$repository/blobs/sha256:") + '[0-9a-f]{64} with 404 Not Found')
        $result.Exception.Method | Should -Be 'HEAD'
        $result.Exception.StatusCode | Should -Be 'NotFound'
        if ($What -eq 'layer') { $result.Exception.Message | Should -Match ([regex]::Escape($reference.Digest)) }
        (Get-Requests 'PUT' | Where-Object Path -Like "*/$repository/manifests/*").Count | Should -Be 0 -Because 'no manifest refers to a blob the registry does not hold'
        Assert-Clean $repository
    }

    It 'refuses a blob the registry confirms under another digest: RegistryDigestMismatch, naming both digests' {
        $repository = New-RepositoryName
        $other = 'sha256:' + ('ab' * 32)
        Set-ProxyFaults $proxy @(@{ Method = 'HEAD'; PathContains = '/blobs/sha256:'; Action = 'digest'; Digest = $other })
        $result = Invoke-FaultyPush $repository

        $result.FullyQualifiedErrorId | Should -BeLike 'RegistryDigestMismatch,*'
        $result.Exception.Message | Should -Match ([regex]::Escape("asked for $($reference.Digest), the registry answered HEAD"))
        $result.Exception.Message | Should -Match ([regex]::Escape($other))
        $result.Exception.Message | Should -Not -Match 'bytes'
    }
}

Describe 'Push-StreamLayer to a registry whose storage is full' -Tag 'Root' {
    BeforeAll {
        # A real out-of-space: the registry's storage on a small tmpfs (needs root to mount).
        $script:isRoot = $IsLinux -and ((& id -u) -eq '0')
        if ($isRoot) {
            $script:fullRoot = Join-Path $work 'full'
            $null = New-Item -ItemType Directory -Force $fullRoot
            & mount -t tmpfs -o size=4m tmpfs $fullRoot
            if ($LASTEXITCODE -ne 0) { throw 'mount -t tmpfs failed' }
            $script:fullRegistry = Start-TestRegistry -StorageRoot $fullRoot
        }
    }

    AfterAll {
        if ($script:fullRegistry) { Stop-TestRegistry $script:fullRegistry }
        if ($script:fullRoot) { & umount $script:fullRoot }
    }

    # distribution keeps what a failed upload wrote; each case starts with the space the registry had before.
    BeforeEach { if ($isRoot) { Get-ChildItem (Join-Path $fullRegistry.Storage 'docker/registry/v2/repositories') -Recurse -Directory -Filter _uploads -ErrorAction Ignore | Remove-Item -Recurse -Force } }

    It 'says the registry is out of space in <Mode> mode: RegistryStorageFull' -ForEach @(@{ Mode = 'Stream' }, @{ Mode = 'Chunked' }) {
        if (-not $isRoot) { Set-ItResult -Skipped -Because 'mounting a small tmpfs for the registry needs root'; return }
        $repository = "full/$($Mode.ToLower())"
        $caught = $null
        try { Push-StreamLayer -Path $tar -Repository "$($fullRegistry.Host)/$repository" -UploadMode $Mode -ChunkSize 1MB -RetryIntervalSec 0 -ErrorAction Stop } catch { $caught = $_ }

        $caught.FullyQualifiedErrorId | Should -BeLike 'RegistryStorageFull,*'
        $caught.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $caught.Exception.Message | Should -Match 'out of storage space'
        $caught.Exception.Message | Should -Match 'no space left on device|"Err":28'
        Test-Path (Join-Path $fullRegistry.Storage "docker/registry/v2/repositories/$repository/_layers") | Should -BeFalse
    }
}
