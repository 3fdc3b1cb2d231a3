# Registries whose blob storage (S3, GCS, Azure) or front end answers with redirects: the real docker-registry
# (htpasswd auth, TLS) behind the test proxy, which answers chosen requests with 307 to a second listener, a
# stand-in for blob storage that reaches the same registry with signed-URL rights of its own. The push must
# follow the redirects and never send its Authorization to the other host.
BeforeAll {
    Import-Module $env:STREAMLAYER_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRegistry.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestAuth.psm1') -Force

    $script:work = New-TestDirectory
    $script:tar = (New-TestTar -Path (Join-Path $work 'layer.tar') -SizeKiB 2500 -Seed 61).FullName
    $script:tarDiffId = Get-Sha256Sum $tar
    $script:reference = Get-LayerDigest -Path $tar

    $script:user = 'alice'
    $script:password = 'R3dir:ect/pw+=' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $script:credential = [pscredential]::new($user, (ConvertTo-SecureString $password -AsPlainText -Force))
    $script:pki = New-TestPki -Path (Join-Path $work 'pki')
    $htpasswd = New-HtpasswdFile -Path (Join-Path $work 'htpasswd') -Users @{ $user = $password }
    $script:registry = Start-HtpasswdRegistry -Pki $pki -Htpasswd $htpasswd
    $script:front = Start-FaultProxy -Registry $registry
    $script:storage = Start-FaultProxy -Registry $registry -UpstreamAuthorization (Get-BasicAuthorization $user $password)
    $script:repoCount = 0
    function script:New-RepositoryName { "redirects/case$((++$script:repoCount))" }

    function script:Invoke-RedirectedPush([string] $Repository, [hashtable] $Options = @{}) {
        $parameters = @{ Path = $tar; Repository = "$($front.Host)/$Repository"; Credential = $credential; RetryIntervalSec = 0; ErrorAction = 'Stop' } + $Options
        try { Push-StreamLayer @parameters } catch { $_ }
    }

    function script:Assert-Pushed($Layer, [string] $Repository) {
        $Layer | Should -BeOfType ([StreamLayer.PushedLayer]) -Because "$Layer"
        $Layer.Digest | Should -Be $reference.Digest
        $blob = Save-RegistryBlob -Registry $registry -Repository $Repository -Digest $Layer.Digest -OutFile (Join-Path $work "$([guid]::NewGuid()).gz") -Headers @{ Authorization = Get-BasicAuthorization $user $password }
        Get-Sha256Sum $blob.FullName | Should -Be $Layer.Digest
        Get-GunzipSha256 $blob.FullName | Should -Be $tarDiffId
        @(Get-UploadSessions -Registry $registry -Repository $Repository).Count | Should -Be 0
    }

    # The requests that reached the storage host, none of which may carry the registry's Authorization.
    function script:Assert-NoAuthorizationElsewhere([int] $AtLeast = 1) {
        $seen = @(Get-ProxyLog $storage)
        $seen.Count | Should -BeGreaterOrEqual $AtLeast -Because 'the redirects were followed to the other host'
        $seen | Where-Object Authorization | Should -BeNullOrEmpty -Because 'Authorization never goes to another host'
        $seen
    }
}

AfterAll {
    foreach ($p in $script:front, $script:storage) { if ($p) { Stop-FaultProxy $p } }
    if ($script:registry) { Stop-TestRegistry $script:registry }
    Remove-Item -Recurse -Force $script:work -ErrorAction Ignore
}

Describe 'Push-StreamLayer follows redirects to blob storage' {
    BeforeEach { Set-ProxyFaults $storage @() }

    It 'follows 307s of HEAD and GET on blobs (S3-style) in <Mode> mode, with -Tag, sending no Authorization there' -ForEach @(@{ Mode = 'Stream' }, @{ Mode = 'Chunked' }) {
        $repository = New-RepositoryName
        Set-ProxyFaults $front @(
            @{ Method = 'HEAD'; PathContains = '/blobs/sha256:'; Action = 'redirect'; Location = $storage.Url; Times = 0 }
            @{ Method = 'GET'; PathContains = '/blobs/sha256:'; Action = 'redirect'; Location = $storage.Url; Times = 0 }
        )
        $image = Invoke-RedirectedPush $repository @{ UploadMode = $Mode; ChunkSize = 1MB; Tag = 'v1' }

        $image | Should -BeOfType ([StreamLayer.PushedImage]) -Because "$image"
        Assert-Pushed $image.Layers[-1] $repository
        @(Get-ProxyLog $front | Where-Object { $_.Method -eq 'HEAD' -and $_.Status -eq 307 }).Count | Should -BeGreaterOrEqual 1
        $seen = Assert-NoAuthorizationElsewhere
        @($seen | Where-Object { $_.Method -eq 'HEAD' -and $_.Status -eq 200 }).Count | Should -BeGreaterOrEqual 1 -Because 'the blob was confirmed at the storage host'
    }

    It 'follows 307s of POST and PUT (a front end that sends uploads elsewhere) in <Mode> mode' -ForEach @(@{ Mode = 'Stream' }, @{ Mode = 'Chunked' }) {
        $repository = New-RepositoryName
        Set-ProxyFaults $front @(
            @{ Method = 'POST'; PathContains = '/blobs/uploads/'; Action = 'redirect'; Location = $storage.Url; Times = 0 }
        )
        $layer = Invoke-RedirectedPush $repository @{ UploadMode = $Mode; ChunkSize = 1MB }

        Assert-Pushed $layer $repository
        $seen = Assert-NoAuthorizationElsewhere -AtLeast 3
        @($seen | Where-Object { $_.Method -eq 'POST' -and $_.Status -eq 202 }).Count | Should -Be 1
        @($seen | Where-Object { $_.Method -eq 'PATCH' -and $_.Status -eq 202 }).Count | Should -BeGreaterOrEqual 1
        @($seen | Where-Object { $_.Method -eq 'PUT' -and $_.Status -eq 201 }).Count | Should -Be 1
    }

    It 'follows a 307 of the finishing PUT' {
        $repository = New-RepositoryName
        Set-ProxyFaults $front @(@{ Method = 'PUT'; Action = 'redirect'; Location = $storage.Url; Times = 0 })
        $layer = Invoke-RedirectedPush $repository @{ UploadMode = 'Chunked'; ChunkSize = 1MB }

        Assert-Pushed $layer $repository
        $seen = Assert-NoAuthorizationElsewhere
        @($seen | Where-Object { $_.Method -eq 'PUT' -and $_.Status -eq 201 }).Count | Should -Be 1
    }

    It 'sends a streamed PATCH again to its new Location when it is redirected before its body is sent' {
        $repository = New-RepositoryName
        Set-ProxyFaults $front @(@{ Method = 'PATCH'; Action = 'redirect'; Location = $storage.Url; Times = 1 })
        $layer = Invoke-RedirectedPush $repository @{ UploadMode = 'Stream' }

        Assert-Pushed $layer $repository
        $seen = Assert-NoAuthorizationElsewhere
        @($seen | Where-Object { $_.Method -eq 'PATCH' -and $_.Status -eq 202 -and $_.ChunkedEncoding }).Count | Should -Be 1 -Because 'the whole stream went to the new Location'
    }

    It 'fails clearly when a streamed PATCH is redirected after its body was sent: RegistryRedirectNotFollowed, session cancelled' {
        $repository = New-RepositoryName
        Set-ProxyFaults $front @(@{ Method = 'PATCH'; Action = 'redirectAfterBody'; Location = $storage.Url; Times = 1 })
        $result = Invoke-RedirectedPush $repository @{ UploadMode = 'Stream' }

        $result | Should -BeOfType ([Management.Automation.ErrorRecord])
        $result.FullyQualifiedErrorId | Should -BeLike 'RegistryRedirectNotFollowed,*'
        $result.Exception.Message | Should -Match 'Uploading the layer: .*PATCH .* 307 .* after its body was sent.*-UploadMode Chunked'
        @(Get-ProxyLog $front | Where-Object Method -EQ 'PUT').Count | Should -Be 0
        @(Get-UploadSessions -Registry $registry -Repository $repository).Count | Should -Be 0
        @(Get-ProxyLog $storage).Count | Should -Be 0 -Because 'nothing was sent to the other host'
    }
}

Describe 'Push-StreamLayer against redirect loops' {
    BeforeAll {
        Set-ProxyFaults $front @()
        $script:loopBase = New-RepositoryName
        $null = Invoke-RedirectedPush $loopBase @{ Tag = 'base' }
    }

    It 'gives up on a loop of <Method> redirects (<Step>) after 5 hops, naming the step, the request and the way out; nothing is left' -ForEach @(
        @{ Method = 'POST'; Step = 'Starting the upload'; Options = @{} }
        @{ Method = 'PATCH'; Step = 'Uploading the layer'; Options = @{ UploadMode = 'Stream' } }
        @{ Method = 'PATCH'; Step = 'Uploading a chunk'; Options = @{ UploadMode = 'Chunked'; ChunkSize = 1MB } }
        @{ Method = 'PUT'; Step = 'Finishing the upload'; PathContains = '/blobs/uploads/'; Options = @{} }
        @{ Method = 'HEAD'; Step = 'Looking for a blob'; Options = @{} }
        @{ Method = 'PUT'; Step = 'Writing the manifest'; PathContains = '/manifests/'; Options = @{ Tag = 'looped' } }
        @{ Method = 'GET'; Step = 'Reading a manifest'; PathContains = '/manifests/'; Options = @{ Tag = 'looped'; Base = $true } }
    ) {
        $repository = New-RepositoryName
        $options = @{} + $Options
        if ($options.ContainsKey('Base')) { $options.Remove('Base'); $options.BaseImage = "$($front.Host)/${loopBase}:base" }
        $rule = @{ Method = $Method; Action = 'redirect'; Status = 307; Location = $front.Url; Times = 0 }
        if ($PathContains) { $rule.PathContains = $PathContains }
        Set-ProxyFaults $front @($rule)
        $result = Invoke-RedirectedPush $repository $options
        Set-ProxyFaults $front @()

        $result | Should -BeOfType ([Management.Automation.ErrorRecord])
        $result.FullyQualifiedErrorId | Should -BeLike 'RegistryProtocolError,*'
        $result.Exception.Message | Should -Match "^$Step`: the registry answered $Method https?://\S+ with 307 Temporary Redirect to \S+, after 5 redirects already; giving up\..*tell its operator"
        $result.Exception.Method | Should -Be $Method
        @(Get-UploadSessions -Registry $registry -Repository $repository).Count | Should -Be 0 -Because 'the session was deleted'
        Test-Path (Join-Path $registry.Storage "docker/registry/v2/repositories/$repository/_manifests/tags") | Should -BeFalse -Because 'no tag was written'
    }
}

# A registry on https whose front end sends requests to plain http: following it would send the request, and
# whatever it carries (the credentials of a later hop, the blob), unencrypted. The push refuses it.
Describe 'Push-StreamLayer against redirects from https to http' {
    BeforeAll {
        $script:secureFront = Start-FaultProxy -Registry $registry -Pki $pki
        $script:trust = New-CertificateFolder -Path (Join-Path $work 'secure-front-certs') -Pki $pki
    }

    AfterAll { if ($script:secureFront) { Stop-FaultProxy $script:secureFront } }

    BeforeEach { Set-ProxyFaults $storage @() }

    It 'refuses a <Method> redirected from https to http (<Step>) with RegistryRedirectNotFollowed, naming the step, the request and where it went; nothing reaches the http host' -ForEach @(
        @{ Method = 'HEAD'; Step = 'Looking for a blob'; PathContains = '/blobs/sha256:' }
        @{ Method = 'POST'; Step = 'Starting the upload'; PathContains = '/blobs/uploads/' }
        @{ Method = 'PUT'; Step = 'Writing the manifest'; PathContains = '/manifests/' }
    ) {
        $repository = New-RepositoryName
        Set-ProxyFaults $secureFront @(@{ Method = $Method; PathContains = $PathContains; Action = 'redirect'; Status = 307; Location = $storage.Url; Times = 0 })
        $result = try {
            Push-StreamLayer -Path $tar -Repository "$($secureFront.Host)/$repository" -Tag 'v1' -Credential $credential -CertificateDirectory $trust -RetryIntervalSec 0 -ErrorAction Stop
        }
        catch { $_ }

        $result | Should -BeOfType ([Management.Automation.ErrorRecord]) -Because "$result"
        $result.FullyQualifiedErrorId | Should -BeLike 'RegistryRedirectNotFollowed,*'
        $result.Exception.Message | Should -Match "^$Step`: the registry answered $Method https://$([regex]::Escape($secureFront.Host))/\S+ with 307 Temporary Redirect to http://$([regex]::Escape($storage.Host))/\S+: from https to http, .*not followed"
        $result.Exception.Method | Should -Be $Method
        $result.Exception.Message | Should -Not -Match ([regex]::Escape($password))
        @(Get-ProxyLog $storage).Count | Should -Be 0 -Because 'nothing was sent over http'
        @(Get-UploadSessions -Registry $registry -Repository $repository).Count | Should -Be 0 -Because 'the session was deleted'
        Test-Path (Join-Path $registry.Storage "docker/registry/v2/repositories/$repository/_manifests/tags") | Should -BeFalse -Because 'no tag was written'
    }
}
