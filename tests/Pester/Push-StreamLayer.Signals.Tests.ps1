# Signals and interruptions: SIGTERM handled like Ctrl+C (the upload session deleted, then the process ends), SIGINT
# too even when the process started with it ignored (a script's background job),
# Ctrl+C after progress has started removes a partial -OutFile, and a FIFO with no writer (a blocking open) or
# a stalled writer (a blocking read) can be stopped.
BeforeAll {
    Import-Module $env:STREAMLAYER_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRegistry.psm1') -Force

    $script:work = New-TestDirectory
    $script:tar = (New-TestTar -Path (Join-Path $work 'layer.tar') -SizeKiB 2000 -Seed 71).FullName
    $script:registry = Start-TestRegistry
    $script:repoCount = 0
    function script:New-RepositoryName { "signals/case$((++$script:repoCount))" }

    # Waits (bounded, a hang guard) until the registry holds an upload session for the repository.
    function script:Wait-UploadSession([string] $Repository) {
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while (@(Get-UploadSessions -Registry $registry -Repository $Repository).Count -eq 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        @(Get-UploadSessions -Registry $registry -Repository $Repository).Count | Should -Be 1 -Because 'the push was under way'
    }

    # Starts a command in a runspace of this process; the caller stops it.
    function script:Start-Runspace([scriptblock] $Script, [object[]] $ArgumentList) {
        $ps = [powershell]::Create()
        $null = $ps.AddScript($Script)
        foreach ($a in $ArgumentList) { $null = $ps.AddArgument($a) }
        [pscustomobject]@{ Shell = $ps; Async = $ps.BeginInvoke() }
    }

    function script:Stop-Runspace($Run) {
        $stop = $Run.Shell.BeginStop($null, $null)
        # A hang guard, not a timing requirement: these commands only end by being stopped.
        $stop.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(60))
    }
}

AfterAll {
    if ($script:registry) { Stop-TestRegistry $script:registry }
    Remove-Item -Recurse -Force $script:work -ErrorAction Ignore
}

Describe 'SIGTERM' {
    It 'during a <Mode> push deletes the upload session, and the process still ends' -ForEach @(@{ Mode = 'Stream' }, @{ Mode = 'Chunked' }) {
        $repository = New-RepositoryName
        $helpers = Join-Path $PSScriptRoot 'TestHelpers.psm1'
        # The input gives the first 256 KiB, then stalls for ten minutes: the signal comes mid-upload.
        $process = Start-ChildPwsh ("Import-Module '$env:STREAMLAYER_MODULE'; Import-Module '$helpers'; " +
            "Push-StreamLayer -InputStream ([TestInputStream]::Pausing('$tar', 256KB, 600000)) -Repository '$($registry.Host)/$repository' -UploadMode $Mode -ChunkSize 64KB")
        try {
            Wait-UploadSession $repository
            & kill -s TERM $process.Id
            # A hang guard: the process must end by itself after its cleanup.
            $process.WaitForExit(60000) | Should -BeTrue -Because 'SIGTERM still ends the process'
            @(Get-UploadSessions -Registry $registry -Repository $repository).Count | Should -Be 0 -Because 'the upload session was deleted before the process ended'
            Test-Path (Join-Path $registry.Storage "docker/registry/v2/repositories/$repository/_layers") | Should -BeFalse
        }
        finally { if (-not $process.HasExited) { $process.Kill() } }
    }
}

Describe 'SIGINT' {
    It 'during a push ends the process, failing, with the upload session deleted (SIGINT <Interrupt> when it started)' -ForEach @(@{ Interrupt = 'default' }, @{ Interrupt = 'ignored' }) {
        $repository = New-RepositoryName
        $helpers = Join-Path $PSScriptRoot 'TestHelpers.psm1'
        # The input gives the first 256 KiB, then stalls for ten minutes: the signal comes mid-upload, and only it can end the push.
        $process = Start-ChildPwsh -Interrupt $Interrupt -Command ("Import-Module '$env:STREAMLAYER_MODULE'; Import-Module '$helpers'; " +
            "Push-StreamLayer -InputStream ([TestInputStream]::Pausing('$tar', 256KB, 600000)) -Repository '$($registry.Host)/$repository'")
        try {
            Wait-UploadSession $repository
            & kill -s INT $process.Id
            # A hang guard, not a speed limit: without the signal the push would wait ten minutes for its input.
            $process.WaitForExit(30000) | Should -BeTrue -Because 'SIGINT stops the push as Ctrl+C does'
            $process.ExitCode | Should -Not -Be 0 -Because 'a stopped push is a failure to its caller'
            @(Get-UploadSessions -Registry $registry -Repository $repository).Count | Should -Be 0 -Because 'the upload session was deleted'
            Test-Path (Join-Path $registry.Storage "docker/registry/v2/repositories/$repository/_layers") | Should -BeFalse
        }
        finally { if (-not $process.HasExited) { $process.Kill() } }
    }

    It 'stops Get-LayerDigest -Path on a FIFO that no writer opens (SIGINT <Interrupt> when it started)' -ForEach @(@{ Interrupt = 'default' }, @{ Interrupt = 'ignored' }) {
        $fifo = Join-Path $work "no-writer-$Interrupt.fifo"
        & mkfifo $fifo
        $ready = Join-Path $work "ready-$Interrupt"
        $process = Start-ChildPwsh -Interrupt $Interrupt -Command "Import-Module '$env:STREAMLAYER_MODULE'; Set-Content '$ready' 1; Get-LayerDigest -Path '$fifo'"
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not (Test-Path $ready) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            # The command is blocked in open once it has started; give it a moment to get there.
            Start-Sleep -Seconds 1
            $process.HasExited | Should -BeFalse -Because 'the open waits for a writer'
            & kill -s INT $process.Id
            $process.WaitForExit(30000) | Should -BeTrue -Because 'SIGINT stops a command blocked in open'
            $process.ExitCode | Should -Not -Be 0
        }
        finally { if (-not $process.HasExited) { $process.Kill() } }
    }
}

Describe 'Ctrl+C' {
    It 'after progress has started removes the partial -OutFile of Get-LayerDigest, reading <Form>' -ForEach @(
        @{ Form = 'a stream'; Script = {
                param($module, $blob)
                Import-Module $module
                $ProgressPreference = 'Continue'
                Get-LayerDigest -InputStream ([TestInputStream]::new($null, 65536, 1)) -OutFile $blob
            } }
        # The layer of loose bytes is open between pipeline records: a stop while its progress is written still removes the file.
        @{ Form = 'byte arrays from the pipeline'; Script = {
                param($module, $blob)
                Import-Module $module
                $ProgressPreference = 'Continue'
                $endless = [TestInputStream]::new($null, 1MB, 0)
                & { while ($true) { $bytes = [byte[]]::new(1MB); $null = $endless.Read($bytes, 0, $bytes.Length); , $bytes } } | Get-LayerDigest -OutFile $blob
            } }
    ) {
        $blob = Join-Path $work "stopped-$($Form -replace '\W', '-').gz"
        $run = Start-Runspace -Script $Script -ArgumentList $env:STREAMLAYER_MODULE, $blob
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while ($run.Shell.Streams.Progress.Count -eq 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            $run.Shell.Streams.Progress.Count | Should -BeGreaterThan 0 -Because 'progress was being written when the stop came'
            # The blob is written beside its name; only a complete one takes it.
            $partial = Join-Path $work ".$(Split-Path -Leaf $blob).*.partial"
            @(Get-ChildItem -Force $partial).Count | Should -Be 1 -Because 'the blob was being written'
            Test-Path $blob | Should -BeFalse -Because 'an incomplete blob never has the -OutFile name'

            Stop-Runspace $run | Should -BeTrue
            $run.Shell.InvocationStateInfo.State | Should -Be 'Stopped'
            Test-Path $blob | Should -BeFalse
            @(Get-ChildItem -Force $partial).Count | Should -Be 0 -Because 'the partial file was removed'
        }
        finally { $run.Shell.Dispose() }
    }

    It 'stops Get-LayerDigest -Path on a FIFO that no writer opens (a blocking open)' {
        $fifo = Join-Path $work 'no-writer.fifo'
        & mkfifo $fifo
        $run = Start-Runspace -Script { param($module, $fifo) Import-Module $module; Get-LayerDigest -Path $fifo } -ArgumentList $env:STREAMLAYER_MODULE, $fifo
        try {
            Start-Sleep -Seconds 1
            $run.Async.IsCompleted | Should -BeFalse -Because 'the open waits for a writer'
            Stop-Runspace $run | Should -BeTrue -Because 'Ctrl+C stops a command blocked in open'
            $run.Shell.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally {
            # Whatever happened, let a reader still blocked in open go (opening the write side wakes it).
            $writer = Start-Job { param($f) [IO.File]::OpenWrite($f).Dispose() } -ArgumentList $fifo
            $null = Wait-Job $writer -Timeout 10; Remove-Job $writer -Force
            $run.Shell.Dispose()
        }
    }

    It 'stops Push-StreamLayer -Path on a FIFO whose writer stalls (a blocking read), deleting the upload session' {
        $fifo = Join-Path $work 'stalled.fifo'
        & mkfifo $fifo
        # The writer sends the first 64 KiB of the tar, then holds the FIFO open without writing.
        $start = [Diagnostics.ProcessStartInfo]::new('bash')
        foreach ($a in '-c', 'exec 3>"$1"; head -c 65536 "$2" >&3; sleep 600', '_', $fifo, $tar) { $start.ArgumentList.Add($a) }
        $writer = [Diagnostics.Process]::Start($start)
        $repository = New-RepositoryName
        $run = Start-Runspace -Script { param($module, $fifo, $target) Import-Module $module; Push-StreamLayer -Path $fifo -Repository $target } -ArgumentList $env:STREAMLAYER_MODULE, $fifo, "$($registry.Host)/$repository"
        try {
            Wait-UploadSession $repository
            Stop-Runspace $run | Should -BeTrue -Because 'Ctrl+C stops a command blocked in read'
            $run.Shell.InvocationStateInfo.State | Should -Be 'Stopped'
            @(Get-UploadSessions -Registry $registry -Repository $repository).Count | Should -Be 0 -Because 'the upload session was deleted'
        }
        finally {
            if (-not $writer.HasExited) { $writer.Kill($true) }
            $run.Shell.Dispose()
        }
    }
}

# Each step that can take long, held still so the signal surely comes during it: the copy of a base layer from
# another registry (the fault proxy in front of it sends the start of the blob, then nothing), the copy of an
# index's child from another registry (the same), the write of an index (the proxy never answers its PUT) and a
# token fetch (the token server never answers). The process must end by the signal alone, failing, with no upload
# session left and the tag where it was.
Describe 'Signals during the steps that take time' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestAuth.psm1') -Force
        $script:small = (New-TestTar -Path (Join-Path $work 'small.tar') -SizeKiB 64 -Seed 72).FullName
        $script:bigBase = (New-TestTar -Path (Join-Path $work 'big-base.tar') -SizeKiB 4096 -Seed 73).FullName
        # The base and the index's far child live on another registry, reached through the fault proxy.
        $script:far = Start-TestRegistry
        $script:farProxy = Start-FaultProxy -Registry $far
        $script:farBase = Push-StreamLayer -Path $bigBase -Repository "$($far.Host)/base" -Tag 'v1'
        $script:farChild = Push-StreamLayer -Path $bigBase -Repository "$($far.Host)/child" -Tag 'arm' -Platform 'linux/arm64'
        # The index is written through a proxy in front of this file's registry.
        $script:nearProxy = Start-FaultProxy -Registry $registry

        $script:tokenUser = 'alice'
        $script:tokenPassword = 'Sig' + [guid]::NewGuid().ToString('N')
        $script:tokenCredential = [pscredential]::new($tokenUser, (ConvertTo-SecureString $tokenPassword -AsPlainText -Force))
        $script:tokenConfig = @{ users = @(@{ name = $tokenUser; password = $tokenPassword; actions = @('push', 'pull') }) }
        $script:pki = New-TestPki -Path (Join-Path $work 'pki')
        $script:tokenServer = Start-TokenServer -Pki $pki -Config $tokenConfig
        $script:tokenRegistry = Start-TokenRegistry -Pki $pki -TokenServer $tokenServer
        $script:certificates = New-CertificateFolder -Path (Join-Path $work 'certs') -Pki $pki

        # What a tag of a registry's repository points to (its link file in the registry's storage), or $null.
        function script:Get-TagTarget($Registry, [string] $Repository, [string] $Tag) {
            $link = Join-Path $Registry.Storage "docker/registry/v2/repositories/$Repository/_manifests/tags/$Tag/current/link"
            if (Test-Path $link) { (Get-Content -Raw $link).Trim() }
        }

        # Runs $Command in a child pwsh, waits (bounded) for $Ready to say the slow step is under way, sends the
        # signal and checks that the process ends by itself (a hang guard, not a speed limit) and fails.
        function script:Invoke-Signalled([string] $Command, [string] $Signal, [scriptblock] $Ready) {
            $process = Start-ChildPwsh -Command ("Import-Module '$env:STREAMLAYER_MODULE'; " + $Command)
            $stderr = $process.StandardError.ReadToEndAsync()
            $stdout = $process.StandardOutput.ReadToEndAsync()
            try {
                & $Ready
                $process.HasExited | Should -BeFalse -Because "the step was still under way when the signal came: $(if ($process.HasExited) { $stdout.Result + $stderr.Result })"
                & kill -s $Signal $process.Id
                $process.WaitForExit(30000) | Should -BeTrue -Because "SIG$Signal ends a process held in a slow step"
                $process.ExitCode | Should -Not -Be 0 -Because "a push stopped by SIG$Signal is a failure to its caller"
                $stderr.Result + $stdout.Result
            }
            finally { if (-not $process.HasExited) { $process.Kill($true) } }
        }
    }

    AfterAll {
        foreach ($p in $script:farProxy, $script:nearProxy) { if ($p) { Stop-FaultProxy $p } }
        foreach ($r in $script:far, $script:tokenRegistry) { if ($r) { Stop-TestRegistry $r } }
        if ($script:tokenServer) { Stop-TokenServer $script:tokenServer }
    }

    AfterEach {
        Set-ProxyFaults $farProxy @()
        Set-ProxyFaults $nearProxy @()
    }

    # The copy travels as a layer does (streamed PATCH), so a stop ends its body cleanly and its session can be deleted.
    It 'SIG<Signal> while a base layer is copied from another registry: the process ends, failing, and the tag stays' -ForEach @(@{ Signal = 'TERM' }, @{ Signal = 'INT' }) {
        $repository = New-RepositoryName
        $before = (Push-StreamLayer -Path $small -Repository "$($registry.Host)/$repository" -Tag '1').ManifestDigest
        Get-TagTarget $registry $repository '1' | Should -Be $before
        Set-ProxyFaults $farProxy @(@{ Method = 'GET'; PathContains = $farBase.Layers[0].Digest; Action = 'stallBody'; Bytes = 64KB; Times = 0 })

        $null = Invoke-Signalled -Signal $Signal -Ready { @(Wait-ProxyFault $farProxy).Count | Should -Be 1; Wait-UploadSession $repository } -Command (
            "Push-StreamLayer -Path '$small' -Repository '$($registry.Host)/$repository' -Tag '1' -BaseImage '$($farProxy.Host)/base:v1'")

        Test-Path (Join-Path $registry.Storage "docker/registry/v2/repositories/$repository/_layers/sha256/$($farBase.Layers[0].Digest -replace '^sha256:')") | Should -BeFalse -Because 'the base layer never arrived'
        Get-TagTarget $registry $repository '1' | Should -Be $before -Because 'the tag did not move'
    }

    It 'SIG<Signal> while a base layer is copied from another registry deletes the copy''s upload session' -ForEach @(@{ Signal = 'TERM' }, @{ Signal = 'INT' }) {
        $repository = New-RepositoryName
        Set-ProxyFaults $farProxy @(@{ Method = 'GET'; PathContains = $farBase.Layers[0].Digest; Action = 'stallBody'; Bytes = 64KB; Times = 0 })
        $null = Invoke-Signalled -Signal $Signal -Ready { @(Wait-ProxyFault $farProxy).Count | Should -Be 1; Wait-UploadSession $repository } -Command (
            "Push-StreamLayer -Path '$small' -Repository '$($registry.Host)/$repository' -Tag '1' -BaseImage '$($farProxy.Host)/base:v1'")
        @(Get-UploadSessions -Registry $registry -Repository $repository).Count | Should -Be 0 -Because 'the copy''s upload session was deleted'
    }

    It 'SIG<Signal> while Push-ImageIndex copies a child from another registry: the process ends, failing, and no index or tag is written' -ForEach @(@{ Signal = 'TERM' }, @{ Signal = 'INT' }) {
        $repository = New-RepositoryName
        $near = Push-StreamLayer -Path $small -Repository "$($registry.Host)/$repository" -Tag 'amd' -Platform 'linux/amd64'
        Set-ProxyFaults $farProxy @(@{ Method = 'GET'; PathContains = $farChild.Layers[0].Digest; Action = 'stallBody'; Bytes = 64KB; Times = 0 })

        $null = Invoke-Signalled -Signal $Signal -Ready { @(Wait-ProxyFault $farProxy).Count | Should -Be 1; Wait-UploadSession $repository } -Command (
            "Push-ImageIndex -Repository '$($registry.Host)/$repository' -Tag 'multi' -Image '$($registry.Host)/${repository}:amd', '$($farProxy.Host)/child:arm'")

        Get-TagTarget $registry $repository 'multi' | Should -BeNullOrEmpty -Because 'no index was tagged'
        Get-TagTarget $registry $repository 'amd' | Should -Be $near.ManifestDigest
        @(Get-UploadSessions -Registry $registry -Repository $repository).Count | Should -Be 0 -Because 'the copy''s upload session was deleted'
    }

    It 'SIG<Signal> while Push-ImageIndex writes its index: the process ends and the tag stays on the earlier index' -ForEach @(@{ Signal = 'TERM' }, @{ Signal = 'INT' }) {
        $repository = New-RepositoryName
        $amd = Push-StreamLayer -Path $small -Repository "$($registry.Host)/$repository" -Tag 'amd' -Platform 'linux/amd64'
        $arm = Push-StreamLayer -Path $tar -Repository "$($registry.Host)/$repository" -Tag 'arm' -Platform 'linux/arm64'
        $earlier = (Push-ImageIndex -Repository "$($registry.Host)/$repository" -Tag 'multi' -Image $amd.Reference).ManifestDigest
        Set-ProxyFaults $nearProxy @(@{ Method = 'PUT'; PathContains = '/manifests/'; Action = 'hang'; Times = 0 })

        $null = Invoke-Signalled -Signal $Signal -Ready { @(Wait-ProxyFault $nearProxy).Count | Should -Be 1 -Because 'the index''s PUT was under way' } -Command (
            "Push-ImageIndex -Repository '$($nearProxy.Host)/$repository' -Tag 'multi' -Image '$($nearProxy.Host)/${repository}:amd', '$($nearProxy.Host)/${repository}:arm'")

        Get-TagTarget $registry $repository 'multi' | Should -Be $earlier -Because 'the tag did not move'
        @(Get-UploadSessions -Registry $registry -Repository $repository).Count | Should -Be 0
        $arm | Should -Not -BeNullOrEmpty
    }

    It 'SIG<Signal> while a token is fetched: the process ends, no upload session is left and the tag stays' -ForEach @(@{ Signal = 'TERM' }, @{ Signal = 'INT' }) {
        $repository = New-RepositoryName
        Set-TokenServerConfig $tokenServer $tokenConfig
        $before = (Push-StreamLayer -Path $small -Repository "$($tokenRegistry.Host)/$repository" -Tag '1' -Credential $tokenCredential -CertificateDirectory $certificates).ManifestDigest
        Get-TagTarget $tokenRegistry $repository '1' | Should -Be $before
        Set-TokenServerConfig $tokenServer ($tokenConfig + @{ stall = $true })
        try {
            $ready = {
                $deadline = [DateTime]::UtcNow.AddSeconds(60)
                while (@(Get-TokenServerLog $tokenServer | Where-Object Grant -EQ 'stall').Count -eq 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
                @(Get-TokenServerLog $tokenServer | Where-Object Grant -EQ 'stall').Count | Should -Be 1 -Because 'the token request was under way'
            }
            $null = Invoke-Signalled -Signal $Signal -Ready $ready -Command (
                "`$c = [pscredential]::new('$tokenUser', (ConvertTo-SecureString '$tokenPassword' -AsPlainText -Force)); " +
                "Push-StreamLayer -Path '$tar' -Repository '$($tokenRegistry.Host)/$repository' -Tag '1' -Credential `$c -CertificateDirectory '$certificates'")
        }
        finally { Set-TokenServerConfig $tokenServer $tokenConfig }

        @(Get-UploadSessions -Registry $tokenRegistry -Repository $repository).Count | Should -Be 0
        Get-TagTarget $tokenRegistry $repository '1' | Should -Be $before -Because 'the tag did not move'
    }
}
