# Token authentication against the real docker-registry (auth: token, behind TLS) and the test-only token
# server, which signs RS256 JWTs with a key made at test time: the anonymous refusal, one token per push,
# tokens that expire in the middle of an upload, denied scopes, wrong passwords, identity tokens, token
# servers without OAuth2 or out of reach, and no password or token in anything the command shows.
BeforeAll {
    Import-Module $env:STREAMLAYER_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRegistry.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestAuth.psm1') -Force

    $script:work = New-TestDirectory
    $script:tar = (New-TestTar -Path (Join-Path $work 'layer.tar') -SizeKiB 1200 -Seed 43).FullName
    $script:tarDiffId = Get-Sha256Sum $tar
    $script:reference = Get-LayerDigest -Path $tar

    $script:user = 'alice'
    $script:password = 'T0k:en/pw+=' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $script:identityToken = 'idtok-' + [guid]::NewGuid().ToString('N')
    $script:credential = [pscredential]::new($user, (ConvertTo-SecureString $password -AsPlainText -Force))
    $script:tokenConfig = @{
        users          = @(
            @{ name = $user; password = $password; actions = @('push', 'pull') }
            @{ name = 'reader'; password = $password; actions = @('pull') }
        )
        identityTokens = @(@{ token = $identityToken; user = $user })
        lifetime       = 300
    }

    $script:pki = New-TestPki -Path (Join-Path $work 'pki')
    $script:tokenServer = Start-TokenServer -Pki $pki -Config $tokenConfig
    $script:registry = Start-TokenRegistry -Pki $pki -TokenServer $tokenServer
    # The CA is trusted through the parameter here (the htpasswd tests use the certs.d folders).
    $script:certificates = New-CertificateFolder -Path (Join-Path $work 'certs') -Pki $pki
    $script:environment = Enter-CredentialEnvironment -Path (Join-Path $work 'env')
    $script:repoCount = 0
    function script:New-RepositoryName { "auth/token$((++$script:repoCount))" }

    # The token server's settings with some replaced.
    function script:Get-TokenConfig([hashtable] $Changes) {
        $config = $tokenConfig.Clone()
        foreach ($key in $Changes.Keys) { $config[$key] = $Changes[$key] }
        $config
    }

    function script:Invoke-TokenPush([string] $Repository, [hashtable] $Options = @{}, $Registry = $script:registry) {
        $parameters = @{ Path = $tar; Repository = "$($Registry.Host)/$Repository"; CertificateDirectory = $certificates; RetryIntervalSec = 0; ErrorAction = 'Stop' }
        foreach ($key in $Options.Keys) { $parameters[$key] = $Options[$key] }
        if ($parameters.ContainsKey('InputStream')) { $parameters.Remove('Path') }
        Push-StreamLayer @parameters
    }

    function script:Split-Output($Output) {
        [pscustomobject]@{
            Layer    = $Output | Where-Object { $_ -is [StreamLayer.PushedLayer] }
            Image    = $Output | Where-Object { $_ -is [StreamLayer.PushedImage] }
            Messages = @($Output | Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message)
        }
    }

    # Reads the blob back with a pull token of its own; call it after counting the push's token requests.
    function script:Assert-TokenPushed($Layer, [string] $Repository) {
        $Layer | Should -BeOfType ([StreamLayer.PushedLayer])
        $Layer.Digest | Should -Be $reference.Digest
        $authorization = Get-PullAuthorization -TokenServer $tokenServer -User $user -Password $password -Repository $Repository
        $blob = Save-RegistryBlob -Registry $registry -Repository $Repository -Digest $Layer.Digest -OutFile (Join-Path $work "$([guid]::NewGuid()).gz") -Headers @{ Authorization = $authorization }
        Get-Sha256Sum $blob.FullName | Should -Be $Layer.Digest -Because 'the blob read back is the pushed layer'
        $blob.Length | Should -Be $Layer.Size
        Get-GunzipSha256 $blob.FullName | Should -Be $tarDiffId -Because 'gzip -dc of the blob is the tar'
        @(Get-UploadSessions -Registry $registry -Repository $Repository).Count | Should -Be 0
    }

    function script:Assert-Refused($Caught, [string] $ErrorId, [string] $Repository, $Registry = $script:registry) {
        $Caught | Should -Not -BeNullOrEmpty -Because 'the push must fail'
        $Caught.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        @(Get-UploadSessions -Registry $Registry -Repository $Repository).Count | Should -Be 0 -Because 'no upload session is left behind'
        Test-Path (Join-Path $Registry.Storage "docker/registry/v2/repositories/$Repository/_layers") | Should -BeFalse -Because 'no blob was linked'
    }
}

AfterAll {
    if ($script:environment) { Exit-CredentialEnvironment $script:environment }
    if ($script:registry) { Stop-TestRegistry $script:registry }
    if ($script:tokenServer) { Stop-TokenServer $script:tokenServer }
    Remove-Item -Recurse -Force $script:work -ErrorAction Ignore
}

Describe 'Push-StreamLayer to a registry with token auth' {
    BeforeEach { Set-TokenServerConfig $tokenServer $tokenConfig }
    AfterEach { Clear-CredentialFiles $environment }

    It 'refuses an anonymous push: RegistryUnauthorized, after an anonymous token did not grant it' {
        $repository = New-RepositoryName
        $caught = $null
        try { Invoke-TokenPush $repository } catch { $caught = $_ }

        Assert-Refused $caught 'RegistryUnauthorized' $repository
        $caught.Exception.Message | Should -Match 'needs credentials for repository:auth/token\d+:push,pull \(insufficient_scope\)'
        $requests = Get-TokenServerLog $tokenServer
        $requests.Count | Should -Be 1
        $requests[0].Method | Should -Be 'GET'
        $requests[0].Grant | Should -Be 'anonymous'
        $requests[0].Scopes | Should -Be "repository:${repository}:push,pull"
    }

    It 'gets one token and uses it for every request of a <Mode> push' -ForEach @(@{ Mode = 'Stream' }, @{ Mode = 'Chunked' }) {
        $repository = New-RepositoryName
        $pushed = Split-Output (Invoke-TokenPush $repository @{ Credential = $credential; UploadMode = $Mode; ChunkSize = 128KB; Verbose = $true } 4>&1)

        $requests = Get-TokenServerLog $tokenServer
        $requests.Count | Should -Be 1 -Because 'one token serves the whole push'
        $requests[0].Method | Should -Be 'GET' -Because 'a user name and password go by GET with Basic, as docker does'
        $requests[0].Grant | Should -Be 'basic'
        $requests[0].Account | Should -Be $user
        $requests[0].Granted | Should -Be "${repository}:push,pull"
        ($pushed.Messages -match ' -> 401 ').Count | Should -Be 1 -Because 'only the first request meets the challenge'
        ($pushed.Messages -match '^PATCH .* -> 202').Count | Should -Be $(if ($Mode -eq 'Chunked') { [Math]::Ceiling($reference.Size / 128KB) } else { 1 })
        Assert-TokenPushed $pushed.Layer $repository
    }

    It 'survives a token that the registry refuses in the middle of a <Mode> upload' -ForEach @(@{ Mode = 'Chunked' }, @{ Mode = 'Stream' }) {
        # The token server says a token lasts 300 s, but the registry stops taking it after 3 s (a clock behind,
        # a revoked token): the refusal comes mid-upload, and the push must get a new token and carry on.
        Set-TokenServerConfig $tokenServer (Get-TokenConfig @{ lifetime = 3; advertisedLifetime = 300 })
        $repository = New-RepositoryName
        $input = [TestInputStream]::Pausing($tar, 256KB, 5000)
        $pushed = Split-Output (Invoke-TokenPush $repository @{ InputStream = $input; Credential = $credential; UploadMode = $Mode; ChunkSize = 128KB; Verbose = $true } 4>&1)
        $input.Dispose()

        ($pushed.Messages -match '^(PATCH|PUT) .* -> 401').Count | Should -BeGreaterOrEqual 1 -Because 'the registry refused the expired token mid-upload'
        $pushed.Messages | Should -Contain 'the registry refused the token (invalid_token); getting a new one'
        @(Get-TokenServerLog $tokenServer).Count | Should -BeGreaterOrEqual 2
        Assert-TokenPushed $pushed.Layer $repository
    }

    It 'renews a token before it expires, so that no request of a <Mode> upload is refused' -ForEach @(@{ Mode = 'Chunked' }, @{ Mode = 'Stream' }) {
        Set-TokenServerConfig $tokenServer (Get-TokenConfig @{ lifetime = 4 })
        $repository = New-RepositoryName
        $input = [TestInputStream]::Pausing($tar, 256KB, 6000)
        $pushed = Split-Output (Invoke-TokenPush $repository @{ InputStream = $input; Credential = $credential; UploadMode = $Mode; ChunkSize = 128KB; Verbose = $true } 4>&1)
        $input.Dispose()

        ($pushed.Messages -match ' -> 401').Count | Should -Be 1 -Because 'only the first request met the challenge'
        $pushed.Messages | Should -Contain 'the token is about to expire; getting a new one'
        @(Get-TokenServerLog $tokenServer).Count | Should -BeGreaterOrEqual 2
        Assert-TokenPushed $pushed.Layer $repository
    }

    It 'writes an image on a base in another repository: reads it with pull and mounts it with one token' {
        $base = New-RepositoryName
        $app = New-RepositoryName
        $null = Invoke-TokenPush $base @{ Credential = $credential; Tag = 'base' }
        Set-TokenServerConfig $tokenServer $tokenConfig
        $pushed = Split-Output (Invoke-TokenPush $app @{ Credential = $credential; Tag = '1'; BaseImage = "$($registry.Host)/${base}:base"; Verbose = $true } 4>&1)

        @($pushed.Messages -match "mounted from $base").Count | Should -Be 1
        ($pushed.Messages -match "^POST .*mount=.*from=$base -> 201").Count | Should -Be 1
        $scopes = @(Get-TokenServerLog $tokenServer | ForEach-Object Scopes)
        $scopes | Should -Contain "repository:${base}:pull" -Because 'the base is read with a pull-only token'
        ($scopes -match [regex]::Escape("repository:${app}:push,pull") -and $scopes -match [regex]::Escape("repository:${base}:pull")).Count | Should -BeGreaterThan 0
        $authorization = Get-PullAuthorization -TokenServer $tokenServer -User $user -Password $password -Repository $app
        $manifest = Invoke-RestMethod -Uri "$($registry.Url)/v2/$app/manifests/1" -Headers @{ Authorization = $authorization; Accept = 'application/vnd.docker.distribution.manifest.v2+json' } -SkipCertificateCheck
        $manifest.layers.Count | Should -Be 2
        $manifest.layers[1].digest | Should -Be $pushed.Image.Layers[-1].Digest
        $pushed.Image.Tags | Should -Be @('1')
        $pushed.Image.Reference | Should -Be "$($registry.Host)/${app}@$($pushed.Image.ManifestDigest)"
    }

    It 'refuses a scope the account does not have: RegistryDenied' {
        $repository = New-RepositoryName
        $reader = [pscredential]::new('reader', (ConvertTo-SecureString $password -AsPlainText -Force))
        $caught = $null
        try { Invoke-TokenPush $repository @{ Credential = $reader } } catch { $caught = $_ }

        Assert-Refused $caught 'RegistryDenied' $repository
        $caught.CategoryInfo.Category | Should -Be 'PermissionDenied'
        $caught.Exception.Message | Should -Match "did not grant repository:${repository}:push,pull to user 'reader'"
        (Get-TokenServerLog $tokenServer).Granted | Should -Be "${repository}:pull"
    }

    It 'refuses a wrong password: RegistryAuthenticationFailed, after one failed login' {
        $repository = New-RepositoryName
        $wrong = [pscredential]::new($user, (ConvertTo-SecureString 'wrong' -AsPlainText -Force))
        $caught = $null
        try { Invoke-TokenPush $repository @{ Credential = $wrong } } catch { $caught = $_ }

        Assert-Refused $caught 'RegistryAuthenticationFailed' $repository
        $caught.Exception.Message | Should -Match "the token server $([regex]::Escape($tokenServer.Realm)) refused user 'alice' \(from -Credential\)"
        @(Get-TokenServerLog $tokenServer | ForEach-Object { "$($_.Method) $($_.Grant) $($_.Status)" }) | Should -Be @('GET basic 401') -Because 'registries lock accounts after repeated failures'

    }

    It 'exchanges an identity token from <Source> (grant_type=refresh_token)' -ForEach @(@{ Source = 'the docker config' }, @{ Source = 'a credential helper' }) {
        if ($Source -eq 'the docker config') {
            Set-DockerConfig $environment @{ auths = @{ $registry.Host = @{ auth = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('<token>:')); identitytoken = $identityToken } } }
        }
        else {
            $null = New-CredentialHelper $environment -Name 'sltesttoken'
            Set-DockerConfig $environment @{ credHelpers = @{ $registry.Host = 'sltesttoken' } }
            $env:SLTEST_HELPER_MODE = 'token'; $env:SLTEST_HELPER_SECRET = $identityToken
        }
        $repository = New-RepositoryName
        $layer = Invoke-TokenPush $repository

        $requests = Get-TokenServerLog $tokenServer
        $requests.Count | Should -Be 1
        $requests[0].Grant | Should -Be 'refresh_token'
        $requests[0].Account | Should -Be $user
        Assert-TokenPushed $layer $repository
    }

    It 'asks with GET and basic credentials, never the OAuth2 POST, for a password (a token server without OAuth2)' {
        Set-TokenServerConfig $tokenServer (Get-TokenConfig @{ oauth = $false })
        $repository = New-RepositoryName
        $layer = Invoke-TokenPush $repository @{ Credential = $credential }

        @(Get-TokenServerLog $tokenServer | ForEach-Object { "$($_.Method) $($_.Grant) $($_.Status)" }) | Should -Be @('GET basic 200')
        Assert-TokenPushed $layer $repository
    }

    It 'follows the token server''s <Status> redirect on its own host, credentials and all (<Grant>)' -ForEach @(
        @{ Status = 302; Grant = 'basic'; Method = 'GET' }
        @{ Status = 307; Grant = 'refresh_token'; Method = 'POST' }
    ) {
        Set-TokenServerConfig $tokenServer (Get-TokenConfig @{ redirectStatus = $Status })
        $options = @{ Credential = $credential }
        if ($Grant -eq 'refresh_token') {
            Set-DockerConfig $environment @{ auths = @{ $registry.Host = @{ auth = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('<token>:')); identitytoken = $identityToken } } }
            $options = @{}
        }
        $repository = New-RepositoryName
        $layer = Invoke-TokenPush $repository $options

        @(Get-TokenServerLog $tokenServer | ForEach-Object { "$($_.Method) $($_.Grant) $($_.Status) $($_.Account)" }) |
            Should -Be @("$Method redirect $Status ", "$Method $Grant 200 $user")
        Set-TokenServerConfig $tokenServer $tokenConfig # the check reads the blob with a token of its own
        Assert-TokenPushed $layer $repository
    }

    It 'sends no password to another host the token server redirects to: the token it gets there is anonymous' {
        $elsewhere = ([uri]$tokenServer.Url).Port
        Set-TokenServerConfig $tokenServer (Get-TokenConfig @{ redirectStatus = 302; redirectTo = "http://localhost:$elsewhere/moved-token" })
        $repository = New-RepositoryName
        $caught = $null
        try { Invoke-TokenPush $repository @{ Credential = $credential } } catch { $caught = $_ }

        $caught | Should -Not -BeNullOrEmpty -Because 'an anonymous token does not grant push'
        $requests = @(Get-TokenServerLog $tokenServer)
        @($requests | Where-Object Grant -NE 'redirect' | ForEach-Object { "$($_.Grant) $($_.Account)" } | Select-Object -Unique) |
            Should -Be @('anonymous ') -Because 'the Basic header stays with the realm''s own host'
        "$caught" | Should -Not -Match ([regex]::Escape($password))
    }

    It 'does not carry an identity token to another host with a 307: RegistryRedirectNotFollowed' {
        $elsewhere = ([uri]$tokenServer.Url).Port
        Set-TokenServerConfig $tokenServer (Get-TokenConfig @{ redirectStatus = 307; redirectTo = "http://localhost:$elsewhere/moved-token" })
        Set-DockerConfig $environment @{ auths = @{ $registry.Host = @{ auth = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('<token>:')); identitytoken = $identityToken } } }
        $repository = New-RepositoryName
        $caught = $null
        try { Invoke-TokenPush $repository } catch { $caught = $_ }

        Assert-Refused $caught 'RegistryRedirectNotFollowed' $repository
        $caught.Exception.Message | Should -Match 'another host, keeping the form that holds the identity token; it was not sent there'
        @(Get-TokenServerLog $tokenServer | ForEach-Object { "$($_.Method) $($_.Grant)" }) | Should -Be @('POST redirect')
    }

    It 'gives up on a token server that redirects to itself, after five hops' {
        Set-TokenServerConfig $tokenServer (Get-TokenConfig @{ redirectStatus = 302; redirectTo = '/token' })
        $repository = New-RepositoryName
        $caught = $null
        try { Invoke-TokenPush $repository @{ Credential = $credential } } catch { $caught = $_ }

        Assert-Refused $caught 'RegistryProtocolError' $repository
        $caught.Exception.Message | Should -Match 'the token server answered GET .* with 302 .*, after 5 redirects already; giving up'
        @(Get-TokenServerLog $tokenServer).Count | Should -Be 6 -Because 'the first request and five hops'
    }

    It 'reports a fresh token the registry cannot verify (invalid_token): RegistryTokenRejected, with that advice' {
        # A registry that trusts another certificate than the one the token server signs with: it refuses every token.
        $other = New-TestPki -Path (Join-Path $work 'other-pki')
        $distrustful = Start-TestRegistry -Scheme https -HttpExtra (Get-TlsYaml $pki) -ExtraConfig (
            "auth:`n  token:`n    realm: $($tokenServer.Realm)`n    service: $($tokenServer.Service)`n    issuer: $($tokenServer.Issuer)`n    rootcertbundle: $($other.TokenCertificate)")
        try {
            $repository = New-RepositoryName
            $caught = $null
            try { Invoke-TokenPush $repository @{ Credential = $credential } $distrustful } catch { $caught = $_ }

            Assert-Refused $caught 'RegistryTokenRejected' $repository $distrustful
            $caught.CategoryInfo.Category | Should -Be 'AuthenticationError'
            $caught.Exception.Message | Should -Match 'refused the token that the token server .* had just issued to user ''alice'' .*\(invalid_token\)'
            $caught.Exception.Message | Should -Match 'rootcertbundle.*clocks'
            $caught.Exception.Message | Should -Not -Match 'may not push'
            (Get-TokenServerLog $tokenServer | Where-Object Status -EQ 200).Count | Should -Be 1 -Because 'the token server did issue a token'
        }
        finally { Stop-TestRegistry $distrustful }
    }

    It 'reports a token server that cannot be reached: RegistryTokenRealmUnreachable' {
        $realm = "http://127.0.0.1:$(Get-FreeTcpPort)/token"
        $stranded = Start-TokenRegistry -Pki $pki -TokenServer $tokenServer -Realm $realm
        try {
            $repository = New-RepositoryName
            $caught = $null
            try { Invoke-TokenPush $repository @{ Credential = $credential; MaximumRetryCount = 1 } $stranded } catch { $caught = $_ }

            Assert-Refused $caught 'RegistryTokenRealmUnreachable' $repository $stranded
            $caught.CategoryInfo.Category | Should -Be 'ConnectionError'
            $caught.Exception.Message | Should -Match ([regex]::Escape($realm) + ' for a token, and it cannot be reached')
        }
        finally { Stop-TestRegistry $stranded }
    }
}

# A token server on https that sends its clients to plain http: following it would send the password (or what
# the client would post there) unencrypted. The push refuses it before anything reaches the http host.
Describe 'Push-StreamLayer against a token server that redirects from https to http' {
    BeforeAll {
        $script:secureTokens = Start-TokenServer -Pki $pki -Config $tokenConfig -Tls
        # The token server is another host: its CA is trusted through its certs.d folder, as docker finds it.
        $null = New-CertificateFolder -Path (Join-Path $env:HOME ".docker/certs.d/$(([uri]$secureTokens.Url).Authority)") -Pki $pki
        $script:secureRegistry = Start-TokenRegistry -Pki $pki -TokenServer $secureTokens
    }

    AfterAll {
        if ($script:secureRegistry) { Stop-TestRegistry $script:secureRegistry }
        if ($script:secureTokens) { Stop-TokenServer $script:secureTokens }
    }

    It 'refuses a <Status> of the token request from https to http with RegistryRedirectNotFollowed, naming the step, the request and where it went' -ForEach @(@{ Status = 302 }, @{ Status = 307 }) {
        Set-TokenServerConfig $tokenServer $tokenConfig
        Set-TokenServerConfig $secureTokens (Get-TokenConfig @{ redirectStatus = $Status; redirectTo = "$($tokenServer.Url)/moved-token" })
        $repository = New-RepositoryName
        $caught = $null
        try { Invoke-TokenPush $repository @{ Credential = $credential } $secureRegistry } catch { $caught = $_ }

        Assert-Refused $caught 'RegistryRedirectNotFollowed' $repository $secureRegistry
        $caught.Exception.Message | Should -Match "the token server answered (GET|POST) https://127\.0\.0\.1:$(([uri]$secureTokens.Url).Port)/token\S* with $Status .* to http://127\.0\.0\.1:$(([uri]$tokenServer.Url).Port)/moved-token\S*: from https to http, .*not followed"
        "$caught" | Should -Not -Match ([regex]::Escape($password))
        @(Get-TokenServerLog $secureTokens | ForEach-Object Grant) | Should -Be @('redirect') -Because 'one request, redirected and not followed'
        @(Get-TokenServerLog $tokenServer).Count | Should -Be 0 -Because 'nothing was sent over http'
    }
}

Describe 'Push-StreamLayer keeps passwords and tokens out of everything it shows' {
    BeforeEach { Set-TokenServerConfig $tokenServer (Get-TokenConfig @{ lifetime = 3; advertisedLifetime = 300 }) }
    AfterEach { Clear-CredentialFiles $environment }

    It 'shows no password, identity token or issued token with -Verbose -Debug (<Case>)' -ForEach @(
        @{ Case = 'a chunked push with a token refreshed mid-upload'; Fails = $false }
        @{ Case = 'an identity token from the docker config'; Fails = $false }
        @{ Case = 'a wrong password'; Fails = $true }
        @{ Case = 'a token server that echoes the request in a 400'; Fails = $true; Echo = 400 }
        @{ Case = 'a token server that echoes the request in a 500'; Fails = $true; Echo = 500 }
    ) {
        $repository = New-RepositoryName
        $pushCredential = $credential
        switch ($Case) {
            'an identity token from the docker config' {
                $pushCredential = $null
                Set-DockerConfig $environment @{ auths = @{ $registry.Host = @{ identitytoken = $identityToken } } }
            }
            'a wrong password' { $pushCredential = [pscredential]::new($user, (ConvertTo-SecureString "$password-x" -AsPlainText -Force)) }
            default { if ($Echo) { Set-TokenServerConfig $tokenServer (Get-TokenConfig @{ echoStatus = $Echo }) } }
        }

        $captured = Invoke-CapturedPush -Push {
            param($tar, $target, $certificates, $pushCredential)
            $parameters = @{ InputStream = [TestInputStream]::Pausing($tar, 256KB, 4000); Repository = $target; CertificateDirectory = $certificates; ChunkSize = 128KB; Verbose = $true; Debug = $true; ErrorAction = 'Stop' }
            if ($pushCredential) { $parameters.Credential = $pushCredential }
            Push-StreamLayer @parameters
        } -ArgumentList $tar, "$($registry.Host)/$repository", $certificates, $pushCredential

        $issued = @(Get-TokenServerLog $tokenServer | Where-Object Token | ForEach-Object Token)
        if ($Echo) {
            $captured.Text | Should -Match "FAILED: $(if ($Echo -eq 500) { 'RegistryUnavailable' } else { 'RegistryRejected' }),"
            $captured.Text | Should -Match 'ECHO: bad request: Authorization: Basic \*\*\*' -Because 'the server''s words are shown, scrubbed'
        }
        elseif ($Fails) { $captured.Text | Should -Match 'FAILED: RegistryAuthenticationFailed,' }
        else {
            $captured.Text | Should -Match ([regex]::Escape($reference.Digest))
            $issued.Count | Should -BeGreaterOrEqual 2 -Because 'a token was refreshed, so there are two to look for'
        }
        $captured.VerboseCount | Should -BeGreaterThan 3
        $secrets = @(Get-SecretForms -User $user -Password $password) + @(Get-SecretForms -User $user -Password "$password-x") + @(Get-SecretForms -User '<token>' -Password $identityToken) + $issued
        foreach ($secret in $secrets) {
            $captured.Text | Should -Not -Match ([regex]::Escape($secret)) -Because "no secret may appear ($Case)"
        }
        # Parts of a token would betray one too: its signature is the secret part.
        foreach ($token in $issued) { $captured.Text | Should -Not -Match ([regex]::Escape($token.Split('.')[2])) }
    }
}
