# Starts and stops a real registry for the tests: Debian's docker-registry (distribution 2.8) on a free
# loopback port with its own storage folder.
Set-StrictMode -Version 3

function Get-FreeTcpPort {
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Wait-HttpReady([string] $Url, [int] $Seconds = 30, [switch] $AnyStatus, [Security.Cryptography.X509Certificates.X509Certificate] $ClientCertificate) {
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    $tls = if ($ClientCertificate) { @{ Certificate = $ClientCertificate } } else { @{} }
    while ([DateTime]::UtcNow -lt $deadline) {
        try {
            $response = Invoke-WebRequest -Uri $Url -SkipHttpErrorCheck -SkipCertificateCheck -TimeoutSec 2 -UseBasicParsing @tls
            if ($AnyStatus -or $response.StatusCode -eq 200) { return }
        }
        catch { Start-Sleep -Milliseconds 100 }
    }
    throw "Nothing answered at $Url within $Seconds s."
}

function Start-TestRegistry {
    <#
    .SYNOPSIS
    Starts docker-registry on 127.0.0.1:<free port>. -ExtraConfig adds top-level YAML (auth), -HttpExtra YAML
    under http: (tls), -StorageExtra YAML under storage: (maintenance). -ClientCertificate: for a registry that
    requires one, to check that it is up.
    #>
    param([string] $ExtraConfig = '', [string] $HttpExtra = '', [string] $StorageExtra = '', [string] $Scheme = 'http',
        [Security.Cryptography.X509Certificates.X509Certificate] $ClientCertificate,
        # A folder for the storage (a small tmpfs, say) instead of one in the registry's own folder.
        [string] $StorageRoot)

    $port = Get-FreeTcpPort
    $root = Join-Path ([IO.Path]::GetTempPath()) ("streamlayer-registry-" + [guid]::NewGuid())
    $null = New-Item -ItemType Directory -Path $root
    $storage = if ($StorageRoot) { $StorageRoot } else { Join-Path $root 'storage' }
    $null = New-Item -ItemType Directory -Force -Path $storage
    $config = Join-Path $root 'config.yml'
    Set-Content -LiteralPath $config -Value @"
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $storage
  delete:
    enabled: true
$(if ($StorageExtra) { $StorageExtra } else { "  maintenance:`n    uploadpurging:`n      enabled: false" })
http:
  addr: 127.0.0.1:$port
  secret: streamlayer-tests
$HttpExtra
$ExtraConfig
"@
    $log = Join-Path $root 'registry.log'
    $process = Start-Process -FilePath docker-registry -ArgumentList 'serve', $config -RedirectStandardError $log -RedirectStandardOutput (Join-Path $root 'stdout.log') -PassThru
    $registry = [pscustomobject]@{
        Host    = "127.0.0.1:$port"
        Url     = "${Scheme}://127.0.0.1:$port"
        Port    = $port
        Root    = $root
        Storage = $storage
        Log     = $log
        Process = $process
    }
    try { Wait-HttpReady "$($registry.Url)/v2/" -AnyStatus -ClientCertificate $ClientCertificate }
    catch { Stop-TestRegistry $registry; throw "docker-registry did not start: $(Get-Content -Raw $log -ErrorAction Ignore)" }
    $registry
}

function Stop-TestRegistry {
    param([Parameter(Mandatory)] $Registry)
    if (-not $Registry.Process.HasExited) { $Registry.Process.Kill(); $null = $Registry.Process.WaitForExit(5000) }
    Remove-Item -Recurse -Force $Registry.Root -ErrorAction Ignore
}

function Save-RegistryBlob {
    <#
    .SYNOPSIS
    Reads a blob back over HTTP (GET /v2/<name>/blobs/<digest>) into a file, as a client pulling it would.
    #>
    param([Parameter(Mandatory)] $Registry, [Parameter(Mandatory)] [string] $Repository, [Parameter(Mandatory)] [string] $Digest, [Parameter(Mandatory)] [string] $OutFile, [hashtable] $Headers = @{},
        [Security.Cryptography.X509Certificates.X509Certificate] $Certificate)
    $tls = if ($Certificate) { @{ Certificate = $Certificate } } else { @{} }
    $null = Invoke-WebRequest -Uri "$($Registry.Url)/v2/$Repository/blobs/$Digest" -OutFile $OutFile -Headers $Headers -SkipCertificateCheck -UseBasicParsing @tls
    Get-Item $OutFile
}

function Get-RegistryBlobStatus {
    param([Parameter(Mandatory)] $Registry, [Parameter(Mandatory)] [string] $Repository, [Parameter(Mandatory)] [string] $Digest)
    (Invoke-WebRequest -Method Head -Uri "$($Registry.Url)/v2/$Repository/blobs/$Digest" -SkipHttpErrorCheck -SkipCertificateCheck -UseBasicParsing).StatusCode
}

function Get-StoredBlobs {
    <#
    .SYNOPSIS
    Every blob in the registry's storage with whether its content matches its name (sha256sum of the data file).
    #>
    param([Parameter(Mandatory)] $Registry)
    $blobs = Join-Path $Registry.Storage 'docker/registry/v2/blobs/sha256'
    if (-not (Test-Path $blobs)) { return }
    foreach ($data in Get-ChildItem $blobs -Recurse -Filter data -File) {
        $name = 'sha256:' + $data.Directory.Name
        $actual = 'sha256:' + ((& sha256sum -b $data.FullName) -split '\s+')[0]
        [pscustomobject]@{ Digest = $name; Size = $data.Length; Matches = $actual -eq $name }
    }
}

function Get-UploadSessions {
    <#
    .SYNOPSIS
    Upload sessions the registry still holds for a repository (folders under _uploads).
    #>
    param([Parameter(Mandatory)] $Registry, [Parameter(Mandatory)] [string] $Repository)
    # A live session has its 'startedat' file. distribution's DELETE can leave a bare 'hashstates' folder behind
    # (it writes the hash state while closing the writer it just cancelled); that is not a session it can resume.
    $uploads = Join-Path $Registry.Storage "docker/registry/v2/repositories/$Repository/_uploads"
    if (Test-Path $uploads) { Get-ChildItem $uploads -Directory | Where-Object { Test-Path (Join-Path $_.FullName 'startedat') } }
}

Export-ModuleMember -Function Get-FreeTcpPort, Wait-HttpReady, Start-TestRegistry, Stop-TestRegistry, Save-RegistryBlob, Get-RegistryBlobStatus, Get-StoredBlobs, Get-UploadSessions

function Start-FaultProxy {
    <#
    .SYNOPSIS
    Starts the test-only fault-injecting proxy (tests/StreamLayer.TestServer) in front of a registry.
    #>
    param([Parameter(Mandatory)] $Registry, [string] $UpstreamAuthorization, $Pki)
    # -Pki (New-TestPki): the proxy serves https with the PKI's server certificate (Kestrel's default certificate).
    $port = Get-FreeTcpPort
    $scheme = if ($Pki) { 'https' } else { 'http' }
    $server = Join-Path $env:STREAMLAYER_TESTSERVER 'StreamLayer.TestServer.dll'
    $log = Join-Path $Registry.Root "proxy-$port.log"
    $arguments = @($server, 'proxy', '--urls', "${scheme}://127.0.0.1:$port", '--upstream', $Registry.Url)
    if ($UpstreamAuthorization) { $arguments += '--upstream-authorization', "`"$UpstreamAuthorization`"" }
    if ($Pki) { $arguments += "--Kestrel:Certificates:Default:Path=$($Pki.ServerCertificate)", "--Kestrel:Certificates:Default:KeyPath=$($Pki.ServerKey)" }
    $process = Start-Process -FilePath dotnet -ArgumentList $arguments -RedirectStandardOutput $log -RedirectStandardError "$log.err" -PassThru
    $proxy = [pscustomobject]@{ Host = "127.0.0.1:$port"; Url = "${scheme}://127.0.0.1:$port"; Process = $process; Registry = $Registry }
    Wait-HttpReady "$($proxy.Url)/__log"
    $proxy
}

function Stop-FaultProxy {
    param([Parameter(Mandatory)] $Proxy)
    if (-not $Proxy.Process.HasExited) { $Proxy.Process.Kill(); $null = $Proxy.Process.WaitForExit(5000) }
}

function Set-ProxyFaults {
    <#
    .SYNOPSIS
    Replaces the proxy's fault rules and clears its request log. Rules: Method, PathContains, Skip, Times,
    Action (status|drop|dropUpstream|hang|relativeLocation|rejectChunkedEncoding|maxBody|maxChunk|redirect|redirectAfterBody|
    endlessBody|location|digest|stallBody), Status, RetryAfter, Bytes, Location, Digest.
    #>
    param([Parameter(Mandatory)] $Proxy, [hashtable[]] $Rules = @())
    $body = ConvertTo-Json -InputObject @($Rules) -Depth 4
    $null = Invoke-WebRequest -Method Post -Uri "$($Proxy.Url)/__faults" -Body $body -ContentType 'application/json' -UseBasicParsing -SkipCertificateCheck
}

function Get-ProxyLog {
    param([Parameter(Mandatory)] $Proxy)
    (Invoke-WebRequest -Uri "$($Proxy.Url)/__log" -UseBasicParsing -SkipCertificateCheck).Content | ConvertFrom-Json
}

function Wait-ProxyFault {
    <#
    .SYNOPSIS
    Waits (bounded: a hang guard) until the proxy has begun applying a fault to a request, and returns those
    requests (Method, Path, Fault); a hang or stall is in Get-ProxyLog only once it ends.
    #>
    param([Parameter(Mandatory)] $Proxy, [int] $Seconds = 60)
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    do {
        $started = @((Invoke-WebRequest -Uri "$($Proxy.Url)/__started" -UseBasicParsing -SkipCertificateCheck).Content | ConvertFrom-Json)
        if ($started.Count -gt 0) { return $started }
        Start-Sleep -Milliseconds 100
    } while ([DateTime]::UtcNow -lt $deadline)
    @()
}

Export-ModuleMember -Function Start-FaultProxy, Stop-FaultProxy, Set-ProxyFaults, Get-ProxyLog, Wait-ProxyFault
