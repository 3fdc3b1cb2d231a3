# Authentication against the real docker-registry behind TLS with htpasswd (bcrypt) auth: every source of
# credentials (-Credential, docker config, containers auth file, credential helpers), the refusals, private CAs
# and client certificates the way docker finds them, and no secret in anything the command shows.
BeforeAll {
    Import-Module $env:STREAMLAYER_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRegistry.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestAuth.psm1') -Force

    $script:work = New-TestDirectory
    $script:tar = (New-TestTar -Path (Join-Path $work 'layer.tar') -SizeKiB 600 -Seed 41).FullName
    $script:tarDiffId = Get-Sha256Sum $tar
    $script:reference = Get-LayerDigest -Path $tar

    $script:user = 'alice'
    # Characters that differ between the password, its URL encoding and its base64 forms.
    $script:password = 'S3cr:et/pw+=' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $script:credential = [pscredential]::new($user, (ConvertTo-SecureString $password -AsPlainText -Force))
    $script:wrongCredential = [pscredential]::new($user, (ConvertTo-SecureString 'not-the-password' -AsPlainText -Force))

    $script:pki = New-TestPki -Path (Join-Path $work 'pki')
    $htpasswd = New-HtpasswdFile -Path (Join-Path $work 'htpasswd') -Users @{ $user = $password }
    $script:registry = Start-HtpasswdRegistry -Pki $pki -Htpasswd $htpasswd
    $script:clientRegistry = Start-HtpasswdRegistry -Pki $pki -Htpasswd $htpasswd -RequireClientCertificate

    # Nothing of the machine's own logins or certificates takes part; the CA is trusted the way docker trusts it.
    $script:environment = Enter-CredentialEnvironment -Path (Join-Path $work 'env')
    $script:certsD = Join-Path $environment.Folders.Home '.docker/certs.d'
    $null = New-CertificateFolder -Path (Join-Path $certsD $registry.Host) -Pki $pki
    $script:repoCount = 0
    function script:New-RepositoryName { "auth/basic$((++$script:repoCount))" }

    function script:Assert-PushedLayer($Layer, [string] $Repository, $Registry = $script:registry) {
        $Layer | Should -BeOfType ([StreamLayer.PushedLayer])
        $Layer.Digest | Should -Be $reference.Digest
        $blob = Save-RegistryBlob -Registry $Registry -Repository $Repository -Digest $Layer.Digest -OutFile (Join-Path $work "$([guid]::NewGuid()).gz") `
            -Headers @{ Authorization = Get-BasicAuthorization $user $password }
        Get-Sha256Sum $blob.FullName | Should -Be $Layer.Digest -Because 'the blob read back is the pushed layer'
        $blob.Length | Should -Be $Layer.Size
        Get-GunzipSha256 $blob.FullName | Should -Be $tarDiffId -Because 'gzip -dc of the blob is the tar'
        @(Get-UploadSessions -Registry $Registry -Repository $Repository).Count | Should -Be 0
    }

    function script:Assert-Refused($Caught, [string] $ErrorId, [string] $Repository, $Registry = $script:registry) {
        $Caught | Should -Not -BeNullOrEmpty -Because 'the push must fail'
        $Caught.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        @(Get-UploadSessions -Registry $Registry -Repository $Repository).Count | Should -Be 0 -Because 'no upload session is left behind'
        Test-Path (Join-Path $Registry.Storage "docker/registry/v2/repositories/$Repository/_layers") | Should -BeFalse -Because 'no blob was linked'
    }

    function script:Invoke-Push([string] $Repository, [hashtable] $Options = @{}) {
        $parameters = @{ Path = $tar; Repository = "$($registry.Host)/$Repository"; RetryIntervalSec = 0; ErrorAction = 'Stop' } + $Options
        Push-StreamLayer @parameters
    }
}

AfterAll {
    if ($script:environment) { Exit-CredentialEnvironment $script:environment }
    foreach ($r in $script:registry, $script:clientRegistry) { if ($r) { Stop-TestRegistry $r } }
    Remove-Item -Recurse -Force $script:work -ErrorAction Ignore
}

Describe 'Push-StreamLayer to a registry with htpasswd auth behind TLS' {
    AfterEach { Clear-CredentialFiles $environment }

    It 'trusts the registry''s CA from its certs.d folder (~/.docker/certs.d/host:port) and pushes with -Credential in <Mode> mode' -ForEach @(@{ Mode = 'Stream' }, @{ Mode = 'Chunked' }) {
        $repository = New-RepositoryName
        $verbose = Invoke-Push $repository @{ Credential = $credential; UploadMode = $Mode; ChunkSize = 128KB; Verbose = $true } 4>&1
        $layer = $verbose | Where-Object { $_ -is [StreamLayer.PushedLayer] }
        $messages = @($verbose | Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message)

        Assert-PushedLayer $layer $repository
        $messages | Should -Contain "TLS for $($registry.Host): 1 CA certificate(s) and 0 client certificate(s) from $(Join-Path $certsD $registry.Host)"
        ($messages -match "^POST https://$([regex]::Escape($registry.Host))/v2/$repository/blobs/uploads/ -> 401").Count | Should -Be 1 -Because 'only the first request meets the challenge'
        ($messages -match '-> 401').Count | Should -Be 1 -Because 'the credentials go along with every later request'
        $messages | Should -Contain "the registry asks for a user name and password; sending user 'alice' (from -Credential)"
    }

    It 'pushes with the "auths" entry of the docker config (<Key>)' -ForEach @(
        @{ Key = 'host:port' }, @{ Key = 'https://host:port' }
    ) {
        $name = if ($Key -eq 'host:port') { $registry.Host } else { "https://$($registry.Host)" }
        Set-DockerConfig $environment @{ auths = @{ $name = @{ auth = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("${user}:$password")) } } }
        $repository = New-RepositoryName

        $output = Invoke-Push $repository @{ Verbose = $true } 4>&1

        Assert-PushedLayer ($output | Where-Object { $_ -is [StreamLayer.PushedLayer] }) $repository
        ($output | Where-Object { $_ -is [Management.Automation.VerboseRecord] }).Message | Should -Contain (
            "found credentials for $($registry.Host): user 'alice' (from docker config $(Join-Path $environment.Folders.Docker 'config.json') (""auths"" entry '$name'))")
    }

    It 'pushes with the containers auth file ($XDG_RUNTIME_DIR/containers/auth.json) when docker has nothing' {
        Set-DockerConfig $environment @{ auths = @{ 'other.example.com' = @{ auth = 'b3RoZXI6b3RoZXI=' } } }
        $containers = Join-Path $environment.Folders.Runtime 'containers'
        $null = New-Item -ItemType Directory -Force $containers
        $repository = New-RepositoryName
        ConvertTo-Json -Depth 4 @{ auths = @{ "$($registry.Host)/$repository" = @{ auth = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("${user}:$password")) } } } |
            Set-Content (Join-Path $containers 'auth.json')

        Assert-PushedLayer (Invoke-Push $repository) $repository
    }

    It 'pushes with a credential helper on PATH named by <Setting>' -ForEach @(@{ Setting = 'credHelpers' }, @{ Setting = 'credsStore' }) {
        $helper = New-CredentialHelper $environment -Name "sltest$Setting"
        $config = if ($Setting -eq 'credHelpers') { @{ credHelpers = @{ $registry.Host = "sltest$Setting" } } } else { @{ credsStore = "sltest$Setting"; auths = @{ $registry.Host = @{} } } }
        Set-DockerConfig $environment $config
        $env:SLTEST_HELPER_MODE = 'ok'; $env:SLTEST_HELPER_USER = $user; $env:SLTEST_HELPER_SECRET = $password
        $repository = New-RepositoryName

        Assert-PushedLayer (Invoke-Push $repository) $repository
        Get-Content $helper.Log | Should -Be @($registry.Host) -Because 'the helper was asked once, for host:port on standard input'
    }

    It '-Credential wins over the docker config' {
        Set-DockerConfig $environment @{ auths = @{ $registry.Host = @{ auth = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("${user}:wrong")) } } }
        $repository = New-RepositoryName
        Assert-PushedLayer (Invoke-Push $repository @{ Credential = $credential }) $repository
    }

    It 'trusts the CA given with -CertificateDirectory instead of certs.d' {
        $folder = New-CertificateFolder -Path (Join-Path $work 'given-certs') -Pki $pki
        $repository = New-RepositoryName
        Rename-Item (Join-Path $certsD $registry.Host) 'parked'
        try { Assert-PushedLayer (Invoke-Push $repository @{ Credential = $credential; CertificateDirectory = $folder }) $repository }
        finally { Rename-Item (Join-Path $certsD 'parked') $registry.Host }
    }
}

Describe 'Push-StreamLayer refuses, with a stable error id and nothing left behind' {
    AfterEach { Clear-CredentialFiles $environment }

    It 'without credentials: RegistryUnauthorized, naming where it looked' {
        $repository = New-RepositoryName
        $caught = $null
        try { Invoke-Push $repository } catch { $caught = $_ }
        Assert-Refused $caught 'RegistryUnauthorized' $repository
        $caught.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $caught.Exception.Message | Should -Match ([regex]::Escape((Join-Path $environment.Folders.Docker 'config.json')))
        $caught.Exception.Message | Should -Match '-Credential'
    }

    It 'with a wrong password from <Source>: RegistryAuthenticationFailed' -ForEach @(@{ Source = '-Credential' }, @{ Source = 'the docker config' }) {
        $repository = New-RepositoryName
        $options = @{}
        if ($Source -eq '-Credential') { $options.Credential = $wrongCredential }
        else { Set-DockerConfig $environment @{ auths = @{ $registry.Host = @{ auth = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("${user}:wrong")) } } } }
        $caught = $null
        try { Invoke-Push $repository $options } catch { $caught = $_ }
        Assert-Refused $caught 'RegistryAuthenticationFailed' $repository
        $caught.Exception.Message | Should -Match "refused user 'alice' \(from $([regex]::Escape($(if ($Source -eq '-Credential') { '-Credential' } else { 'docker config' })))"
    }

    It 'with a malformed docker config: CredentialFileInvalid, naming the file and line' {
        Set-DockerConfig $environment -Text "{`n  ""auths"": {`n    ""$($registry.Host)"": { ""auth"": ""$password"" `n}"
        $repository = New-RepositoryName
        $caught = $null
        try { Invoke-Push $repository } catch { $caught = $_ }
        Assert-Refused $caught 'CredentialFileInvalid' $repository
        $caught.CategoryInfo.Category | Should -Be 'InvalidData'
        $caught.Exception.Message | Should -Match ([regex]::Escape((Join-Path $environment.Folders.Docker 'config.json')) + ' cannot be used: it is not valid JSON \(at line \d+, column \d+\)')
        $caught.Exception.ToString() | Should -Not -Match ([regex]::Escape($password))
    }

    It 'with a docker config that is <Case>: CredentialFileInvalid naming the file, within the hang guard, echoing none of it' -ForEach @(
        @{ Case = 'a FIFO nobody writes'; Make = { param($f) & mkfifo $f }; Why = 'could not be read within' }
        @{ Case = 'an endless device (/dev/zero)'; Make = { param($f) $null = New-Item -ItemType SymbolicLink -Path $f -Target '/dev/zero' }; Why = 'larger than 4 MiB' }
        @{ Case = '5 MiB of one auth value'; Make = { param($f) [IO.File]::WriteAllText($f, '{"auths":{"x.example":{"auth":"' + ('QUJD' * 1.25MB) + '"}}}') }; Why = 'larger than 4 MiB' }
        @{ Case = 'nested 100000 deep'; Make = { param($f) [IO.File]::WriteAllText($f, ('[' * 100000) + (']' * 100000)) }; Why = 'not valid JSON|not a JSON object' }
        @{ Case = 'a secret in broken JSON'; Make = { param($f) [IO.File]::WriteAllText($f, '{"auths":{"x.example":{"auth":"' + $password + '"},' ) }; Why = 'not valid JSON' }
    ) {
        $config = Join-Path $environment.Folders.Docker 'config.json'
        Clear-CredentialFiles $environment
        & $Make $config
        try {
            $repository = New-RepositoryName
            # A hang guard, not a speed limit: a FIFO's open never returns by itself.
            $run = Invoke-Bounded -Seconds 60 -ArgumentList $env:STREAMLAYER_MODULE, "$($registry.Host)/$repository", $tar -Script {
                param($module, $target, $tar)
                Import-Module $module
                try { Push-StreamLayer -Path $tar -Repository $target -RetryIntervalSec 0 -ErrorAction Stop } catch { $_ }
            }
            $run.Completed | Should -BeTrue -Because 'reading a credential file is bounded'
            $caught = $run.Output | Select-Object -First 1
            Assert-Refused $caught 'CredentialFileInvalid' $repository
            $caught.Exception.Message | Should -Match ([regex]::Escape($config))
            $caught.Exception.Message | Should -Match $Why
            $caught.Exception.ToString() | Should -Not -Match ([regex]::Escape($password))
            $caught.Exception.ToString() | Should -Not -Match 'QUJDQUJD'
        }
        finally { Clear-CredentialFiles $environment }
    }

    It 'completes -Repository from the other login files, without throwing or hanging, when the docker config is <Case>' -ForEach @(
        @{ Case = 'a FIFO nobody writes'; Make = { param($f) & mkfifo $f } }
        @{ Case = 'an endless device (/dev/zero)'; Make = { param($f) $null = New-Item -ItemType SymbolicLink -Path $f -Target '/dev/zero' } }
        @{ Case = 'broken JSON'; Make = { param($f) [IO.File]::WriteAllText($f, '{"auths": {"a.example": ') } }
        @{ Case = 'nested 100000 deep'; Make = { param($f) [IO.File]::WriteAllText($f, ('{"a":' * 100000) + '1' + ('}' * 100000)) } }
    ) {
        $config = Join-Path $environment.Folders.Docker 'config.json'
        Clear-CredentialFiles $environment
        & $Make $config
        # podman's login file still names a registry: completion offers it.
        $auth = Join-Path $environment.Folders.Runtime 'containers/auth.json'
        $null = New-Item -ItemType Directory -Force (Split-Path $auth)
        Set-Content -LiteralPath $auth -Value '{"auths":{"podman.example":{"auth":"dTpw"}}}'
        try {
            $run = Invoke-Bounded -Seconds 60 -ArgumentList $env:STREAMLAYER_MODULE -Script {
                param($module)
                Import-Module $module
                $line = 'Push-StreamLayer -Repository '
                (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
            }
            $run.Completed | Should -BeTrue -Because 'completion never hangs'
            $run.Error | Should -BeNullOrEmpty -Because 'completion never throws'
            @($run.Output) | Should -Be @('podman.example/')
        }
        finally { Clear-CredentialFiles $environment }
    }

    It 'with a credential helper that is not on PATH: CredentialHelperNotFound' {
        Set-DockerConfig $environment @{ credHelpers = @{ $registry.Host = 'sltest-missing' } }
        $repository = New-RepositoryName
        $caught = $null
        try { Invoke-Push $repository } catch { $caught = $_ }
        Assert-Refused $caught 'CredentialHelperNotFound' $repository
        $caught.Exception.Message | Should -Match 'docker-credential-sltest-missing is not on PATH'
    }

    It 'with a credential helper that fails: CredentialHelperFailed, with what it said' {
        $null = New-CredentialHelper $environment -Name 'sltestfail'
        Set-DockerConfig $environment @{ credHelpers = @{ $registry.Host = 'sltestfail' } }
        $env:SLTEST_HELPER_MODE = 'fail'
        $repository = New-RepositoryName
        $caught = $null
        try { Invoke-Push $repository } catch { $caught = $_ }
        Assert-Refused $caught 'CredentialHelperFailed' $repository
        $caught.Exception.Message | Should -Match 'exited with code 1 and printed \d+ bytes \(not shown'
    }

    It 'with a credential helper that prints its answer and then fails: CredentialHelperFailed, with no secret in it' {
        $null = New-CredentialHelper $environment -Name 'sltestecho'
        Set-DockerConfig $environment @{ credHelpers = @{ $registry.Host = 'sltestecho' } }
        $env:SLTEST_HELPER_MODE = 'echofail'; $env:SLTEST_HELPER_USER = $user; $env:SLTEST_HELPER_SECRET = $password
        $repository = New-RepositoryName
        $captured = Invoke-CapturedPush -Push {
            param($tar, $target)
            Push-StreamLayer -Path $tar -Repository $target -Verbose -Debug -ErrorAction Stop
        } -ArgumentList $tar, "$($registry.Host)/$repository"

        $captured.Text | Should -Match 'FAILED: CredentialHelperFailed,'
        $captured.Text | Should -Match 'exited with code 1 and printed \d+ bytes \(not shown: they may hold a secret\); its error output says: could not save \*\*\*'
        foreach ($secret in Get-SecretForms -User $user -Password $password) {
            $captured.Text | Should -Not -Match ([regex]::Escape($secret))
        }
    }

    It 'with a credential helper that leaves a child holding its output: pushes with its answer and ends the child' {
        $helper = New-CredentialHelper $environment -Name 'sltestlinger'
        Set-DockerConfig $environment @{ credHelpers = @{ $registry.Host = 'sltestlinger' } }
        $env:SLTEST_HELPER_MODE = 'linger'; $env:SLTEST_HELPER_USER = $user; $env:SLTEST_HELPER_SECRET = $password
        $repository = New-RepositoryName
        $run = Invoke-Bounded -Script {
            param($module, $tar, $target)
            Import-Module $module
            Push-StreamLayer -Path $tar -Repository $target -ErrorAction Stop
        } -ArgumentList $env:STREAMLAYER_MODULE, $tar, "$($registry.Host)/$repository"

        $run.Completed | Should -BeTrue -Because 'a child holding the helper''s output must not hold up the push'
        $run.Error | Should -BeNullOrEmpty
        Assert-PushedLayer $run.Output[0] $repository
        $child = [int](Get-Content $helper.Child)
        Test-ProcessRunning $child | Should -BeFalse -Because 'the child the helper left was ended'
    }

    It 'with a credential helper that never answers: CredentialHelperFailed within -TimeoutSec, its children ended' {
        $helper = New-CredentialHelper $environment -Name 'sltesthang'
        Set-DockerConfig $environment @{ credHelpers = @{ $registry.Host = 'sltesthang' } }
        $env:SLTEST_HELPER_MODE = 'hang'
        $repository = New-RepositoryName
        $run = Invoke-Bounded -Script {
            param($module, $tar, $target)
            Import-Module $module
            try { Push-StreamLayer -Path $tar -Repository $target -TimeoutSec 2 -ErrorAction Stop } catch { $_ }
        } -ArgumentList $env:STREAMLAYER_MODULE, $tar, "$($registry.Host)/$repository"

        $run.Completed | Should -BeTrue
        Assert-Refused $run.Output[0] 'CredentialHelperFailed' $repository
        $run.Output[0].Exception.Message | Should -Match 'did not answer within 2 s; it and what it started were ended'
        $child = [int](Get-Content $helper.Child)
        Test-ProcessRunning $child | Should -BeFalse -Because 'the child the helper started was ended with it'
    }

    It 'with a credential helper that has nothing for the registry: RegistryUnauthorized' {
        $helper = New-CredentialHelper $environment -Name 'sltestempty'
        Set-DockerConfig $environment @{ credsStore = 'sltestempty' }
        $env:SLTEST_HELPER_MODE = 'notfound'
        $repository = New-RepositoryName
        $caught = $null
        try { Invoke-Push $repository } catch { $caught = $_ }
        Assert-Refused $caught 'RegistryUnauthorized' $repository
        Get-Content $helper.Log | Should -Be @($registry.Host)
    }

    It 'a registry whose certificate no known CA signed: RegistryCertificateUntrusted' {
        $folder = New-CertificateFolder -Path (Join-Path $work 'other-certs') -Pki $pki -Ca $pki.OtherCa
        $repository = New-RepositoryName
        $caught = $null
        try { Invoke-Push $repository @{ Credential = $credential; CertificateDirectory = $folder } } catch { $caught = $_ }
        Assert-Refused $caught 'RegistryCertificateUntrusted' $repository
        $caught.CategoryInfo.Category | Should -Be 'SecurityError'
        $caught.Exception.Message | Should -Match 'CN=StreamLayer Test CA, which is neither trusted by this system nor one of the CAs in'
    }

    It 'a malformed challenge (<Header>): RegistryChallengeInvalid' -ForEach @(
        @{ Header = 'Bearer realm="https://auth.example.com/token' }, @{ Header = 'Bearer service="registry"' }, @{ Header = 'Negotiate' }
    ) {
        $plain = Start-TestRegistry
        $proxy = Start-FaultProxy -Registry $plain
        try {
            Set-ProxyFaults $proxy @(@{ Method = 'POST'; Action = 'status'; Status = 401; Times = 0; WwwAuthenticate = $Header })
            $repository = New-RepositoryName
            $caught = $null
            try { Push-StreamLayer -Path $tar -Repository "$($proxy.Host)/$repository" -Credential $credential -ErrorAction Stop } catch { $caught = $_ }
            Assert-Refused $caught 'RegistryChallengeInvalid' $repository $plain
            $caught.CategoryInfo.Category | Should -Be 'ProtocolError'
            @(Get-ProxyLog $proxy | Where-Object Method -EQ 'POST').Count | Should -Be 1 -Because 'a challenge that cannot be followed is not retried'
        }
        finally { Stop-FaultProxy $proxy; Stop-TestRegistry $plain }
    }
}

Describe 'Push-StreamLayer with client certificates' {
    It 'pushes with client.cert and client.key from the certs.d folder' {
        $null = New-CertificateFolder -Path (Join-Path $certsD $clientRegistry.Host) -Pki $pki -Client
        $repository = New-RepositoryName
        $layer = Push-StreamLayer -Path $tar -Repository "$($clientRegistry.Host)/$repository" -Credential $credential -ErrorAction Stop
        Save-RegistryBlob -Registry $clientRegistry -Repository $repository -Digest $layer.Digest -OutFile (Join-Path $work 'client.gz') `
            -Headers @{ Authorization = Get-BasicAuthorization $user $password } -Certificate ([Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPemFile($pki.ClientCertificate, $pki.ClientKey)) |
            ForEach-Object { Get-Sha256Sum $_.FullName } | Should -Be $reference.Digest
        Remove-Item -Recurse (Join-Path $certsD $clientRegistry.Host)
    }

    It 'pushes with -Certificate' {
        $folder = New-CertificateFolder -Path (Join-Path $work 'ca-only') -Pki $pki
        $certificate = [Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPemFile($pki.ClientCertificate, $pki.ClientKey)
        $repository = New-RepositoryName
        $layer = Push-StreamLayer -Path $tar -Repository "$($clientRegistry.Host)/$repository" -Credential $credential -CertificateDirectory $folder -Certificate $certificate -ErrorAction Stop
        $layer.Digest | Should -Be $reference.Digest
        @(Get-UploadSessions -Registry $clientRegistry -Repository $repository).Count | Should -Be 0
    }

    It 'without a client certificate: RegistryCertificateUntrusted, suggesting one' {
        $folder = New-CertificateFolder -Path (Join-Path $work 'ca-only2') -Pki $pki
        $repository = New-RepositoryName
        $caught = $null
        try { Push-StreamLayer -Path $tar -Repository "$($clientRegistry.Host)/$repository" -Credential $credential -CertificateDirectory $folder -ErrorAction Stop } catch { $caught = $_ }
        Assert-Refused $caught 'RegistryCertificateUntrusted' $repository $clientRegistry
        $caught.Exception.Message | Should -Match 'client certificate'
    }

    It 'refuses a -Certificate without its private key: CertificateInvalid' {
        $publicOnly = [Security.Cryptography.X509Certificates.X509Certificate2]::new($pki.ClientCertificate)
        { Push-StreamLayer -Path $tar -Repository "$($clientRegistry.Host)/$(New-RepositoryName)" -Certificate $publicOnly -ErrorAction Stop } |
            Should -Throw -ErrorId 'CertificateInvalid,*'
    }
}

Describe 'Push-StreamLayer keeps secrets out of everything it shows' {
    AfterEach { Clear-CredentialFiles $environment }

    It 'shows no form of the password in any stream, error record or exception, with -Verbose -Debug (<Case>)' -ForEach @(
        @{ Case = 'a push with -Credential'; Fails = $false }
        @{ Case = 'a push with the docker config'; Fails = $false }
        @{ Case = 'a push with a credential helper'; Fails = $false }
        @{ Case = 'a refused password'; Fails = $true }
        @{ Case = 'a malformed docker config that holds the password'; Fails = $true }
    ) {
        $repository = New-RepositoryName
        $target = "$($registry.Host)/$repository"
        $pushCredential = $credential
        switch ($Case) {
            'a push with the docker config' { $pushCredential = $null; Set-DockerConfig $environment @{ auths = @{ $registry.Host = @{ auth = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("${user}:$password")) } } } }
            'a push with a credential helper' {
                $pushCredential = $null
                $null = New-CredentialHelper $environment -Name 'sltestleak'
                Set-DockerConfig $environment @{ credHelpers = @{ $registry.Host = 'sltestleak' } }
                $env:SLTEST_HELPER_MODE = 'ok'; $env:SLTEST_HELPER_USER = $user; $env:SLTEST_HELPER_SECRET = $password
            }
            'a refused password' {
                $pushCredential = $null
                # The right user with a near miss of the password, so that the real one is the secret to look for.
                Set-DockerConfig $environment @{ auths = @{ $registry.Host = @{ auth = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("${user}:$password-x")) } } }
            }
            'a malformed docker config that holds the password' { $pushCredential = $null; Set-DockerConfig $environment -Text "{""auths"":{""$($registry.Host)"":{""auth"":""$password""}}" }
        }

        # Slow enough that progress is shown too.
        $captured = Invoke-CapturedPush -Push {
            param($tar, $target, $pushCredential)
            $parameters = @{ InputStream = [TestInputStream]::Pausing($tar, 64KB, 1500); Repository = $target; Verbose = $true; Debug = $true; ErrorAction = 'Stop'; ChunkSize = 128KB }
            if ($pushCredential) { $parameters.Credential = $pushCredential }
            Push-StreamLayer @parameters
        } -ArgumentList $tar, $target, $pushCredential

        $captured.VerboseCount | Should -BeGreaterThan 3 -Because 'the HTTP steps were shown'
        if ($Fails) { $captured.Text | Should -Match 'FAILED: (RegistryAuthenticationFailed|CredentialFileInvalid),' }
        else {
            $captured.Text | Should -Match ([regex]::Escape($reference.Digest))
            $captured.ProgressCount | Should -BeGreaterThan 0 -Because 'progress was shown and checked too'
        }
        foreach ($secret in (Get-SecretForms -User $user -Password $password) + (Get-SecretForms -User $user -Password "$password-x")) {
            $captured.Text | Should -Not -Match ([regex]::Escape($secret)) -Because "no form of the password may appear ($Case)"
        }
    }
}
