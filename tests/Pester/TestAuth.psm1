# Real components for the authentication tests: certificates made with openssl at test time, a bcrypt htpasswd
# file made with htpasswd -B, docker-registry behind TLS with htpasswd or token auth, and the test-only token
# server (tests/StreamLayer.TestServer, token mode). Also a private environment for docker's and podman's
# credential files, so the machine's own logins never take part.
Set-StrictMode -Version 3
Import-Module (Join-Path $PSScriptRoot 'TestRegistry.psm1')

function Invoke-OpenSsl {
    $output = & openssl @args 2>&1
    if ($LASTEXITCODE -ne 0) { throw "openssl $($args -join ' ') failed: $output" }
}

function New-TestPki {
    <#
    .SYNOPSIS
    A CA, a server certificate for 127.0.0.1 and localhost signed by it, a client certificate signed by it,
    another CA that signed nothing here, and a self-signed certificate for signing tokens. PEM files in -Path.
    #>
    param([Parameter(Mandatory)] [string] $Path)
    $null = New-Item -ItemType Directory -Force $Path
    $p = { param($name) Join-Path $Path $name }
    Invoke-OpenSsl req -x509 -newkey rsa:2048 -nodes -keyout (& $p ca.key) -out (& $p ca.crt) -days 2 -subj '/CN=StreamLayer Test CA' `
        -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign'
    Set-Content (& $p server.ext) "subjectAltName=IP:127.0.0.1,DNS:localhost`nbasicConstraints=CA:FALSE`nextendedKeyUsage=serverAuth"
    Invoke-OpenSsl req -newkey rsa:2048 -nodes -keyout (& $p server.key) -out (& $p server.csr) -subj '/CN=127.0.0.1'
    Invoke-OpenSsl x509 -req -in (& $p server.csr) -CA (& $p ca.crt) -CAkey (& $p ca.key) -CAcreateserial -out (& $p server.crt) -days 2 -extfile (& $p server.ext)
    Set-Content (& $p client.ext) "basicConstraints=CA:FALSE`nextendedKeyUsage=clientAuth"
    Invoke-OpenSsl req -newkey rsa:2048 -nodes -keyout (& $p client.key) -out (& $p client.csr) -subj '/CN=streamlayer-test-client'
    Invoke-OpenSsl x509 -req -in (& $p client.csr) -CA (& $p ca.crt) -CAkey (& $p ca.key) -CAcreateserial -out (& $p client.cert) -days 2 -extfile (& $p client.ext)
    Invoke-OpenSsl req -x509 -newkey rsa:2048 -nodes -keyout (& $p other-ca.key) -out (& $p other-ca.crt) -days 2 -subj '/CN=Some Other CA'
    Invoke-OpenSsl req -x509 -newkey rsa:2048 -nodes -keyout (& $p token.key) -out (& $p token.crt) -days 2 -subj '/CN=StreamLayer test token issuer'
    [pscustomobject]@{
        Path = $Path; Ca = (& $p ca.crt); OtherCa = (& $p other-ca.crt)
        ServerCertificate = (& $p server.crt); ServerKey = (& $p server.key)
        ClientCertificate = (& $p client.cert); ClientKey = (& $p client.key)
        TokenCertificate = (& $p token.crt); TokenKey = (& $p token.key)
    }
}

function New-CertificateFolder {
    <#
    .SYNOPSIS
    A certs.d-style folder: the given CA as ca.crt, and with -Client the client pair as client.cert/client.key.
    #>
    param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] $Pki, [string] $Ca = $Pki.Ca, [switch] $Client)
    $null = New-Item -ItemType Directory -Force $Path
    Copy-Item $Ca (Join-Path $Path 'ca.crt')
    if ($Client) {
        Copy-Item $Pki.ClientCertificate (Join-Path $Path 'client.cert')
        Copy-Item $Pki.ClientKey (Join-Path $Path 'client.key')
    }
    $Path
}

function New-HtpasswdFile {
    param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] [hashtable] $Users)
    $first = $true
    foreach ($user in $Users.Keys) {
        $flags = if ($first) { '-Bbc' } else { '-Bb' }
        $output = & htpasswd $flags $Path $user $Users[$user] 2>&1
        if ($LASTEXITCODE -ne 0) { throw "htpasswd failed: $output" }
        $first = $false
    }
    $Path
}

function Get-TlsYaml($Pki, [switch] $RequireClientCertificate) {
    $yaml = "  tls:`n    certificate: $($Pki.ServerCertificate)`n    key: $($Pki.ServerKey)"
    if ($RequireClientCertificate) { $yaml += "`n    clientcas:`n      - $($Pki.Ca)" }
    $yaml
}

function Start-HtpasswdRegistry {
    <#
    .SYNOPSIS
    docker-registry over TLS (the test CA's certificate) with htpasswd auth; with -RequireClientCertificate
    it also wants a client certificate signed by the test CA.
    #>
    param([Parameter(Mandatory)] $Pki, [Parameter(Mandatory)] [string] $Htpasswd, [switch] $RequireClientCertificate)
    $client = if ($RequireClientCertificate) { [Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPemFile($Pki.ClientCertificate, $Pki.ClientKey) } else { $null }
    Start-TestRegistry -Scheme https -HttpExtra (Get-TlsYaml $Pki -RequireClientCertificate:$RequireClientCertificate) -ClientCertificate $client `
        -ExtraConfig "auth:`n  htpasswd:`n    realm: streamlayer-tests`n    path: $Htpasswd"
}

function Start-TokenServer {
    <#
    .SYNOPSIS
    The test-only token server on a free loopback port. -Config: users, identityTokens, anonymousActions,
    lifetime, advertisedLifetime, oauth, redirectStatus, redirectTo, stall (see TokenServer.cs).
    #>
    # -Tls: served on https with the PKI's server certificate (Kestrel's default certificate).
    param([Parameter(Mandatory)] $Pki, [hashtable] $Config = @{}, [switch] $Tls)
    $port = Get-FreeTcpPort
    $scheme = if ($Tls) { 'https' } else { 'http' }
    $folder = Join-Path $Pki.Path "token-$port"
    $null = New-Item -ItemType Directory -Force $folder
    $configFile = Join-Path $folder 'config.json'
    ConvertTo-Json -InputObject $Config -Depth 5 | Set-Content $configFile
    $server = Join-Path $env:STREAMLAYER_TESTSERVER 'StreamLayer.TestServer.dll'
    $log = Join-Path $folder 'token.log'
    $arguments = @($server, 'token', '--urls', "${scheme}://127.0.0.1:$port", '--cert', $Pki.TokenCertificate, '--key', $Pki.TokenKey,
        '--issuer', 'streamlayer-test-issuer', '--service', 'streamlayer-test-registry', '--config', $configFile)
    if ($Tls) { $arguments += "--Kestrel:Certificates:Default:Path=$($Pki.ServerCertificate)", "--Kestrel:Certificates:Default:KeyPath=$($Pki.ServerKey)" }
    $process = Start-Process -FilePath dotnet -ArgumentList $arguments -RedirectStandardOutput $log -RedirectStandardError "$log.err" -PassThru
    $tokenServer = [pscustomobject]@{
        Url = "${scheme}://127.0.0.1:$port"; Realm = "${scheme}://127.0.0.1:$port/token"; Process = $process
        Issuer = 'streamlayer-test-issuer'; Service = 'streamlayer-test-registry'; Certificate = $Pki.TokenCertificate
    }
    Wait-HttpReady "$($tokenServer.Url)/__log"
    $tokenServer
}

function Stop-TokenServer {
    param([Parameter(Mandatory)] $TokenServer)
    if (-not $TokenServer.Process.HasExited) { $TokenServer.Process.Kill(); $null = $TokenServer.Process.WaitForExit(5000) }
}

function Set-TokenServerConfig {
    <# .SYNOPSIS Replaces the token server's users and lifetimes, and clears its log. #>
    param([Parameter(Mandatory)] $TokenServer, [Parameter(Mandatory)] [hashtable] $Config)
    $null = Invoke-WebRequest -Method Post -Uri "$($TokenServer.Url)/__config" -Body (ConvertTo-Json -InputObject $Config -Depth 5) -ContentType 'application/json' -UseBasicParsing -SkipCertificateCheck
}

function Get-TokenServerLog {
    <# .SYNOPSIS The token requests seen since the last Set-TokenServerConfig: Method, Grant, Account, Scopes, Status, Granted, Token. #>
    param([Parameter(Mandatory)] $TokenServer)
    @((Invoke-WebRequest -Uri "$($TokenServer.Url)/__log" -UseBasicParsing -SkipCertificateCheck).Content | ConvertFrom-Json)
}

function Start-TokenRegistry {
    <#
    .SYNOPSIS
    docker-registry over TLS with auth: token, trusting the token server's certificate (rootcertbundle).
    -Realm overrides where clients are sent for tokens.
    #>
    param([Parameter(Mandatory)] $Pki, [Parameter(Mandatory)] $TokenServer, [string] $Realm = $TokenServer.Realm)
    Start-TestRegistry -Scheme https -HttpExtra (Get-TlsYaml $Pki) -ExtraConfig (
        "auth:`n  token:`n    realm: $Realm`n    service: $($TokenServer.Service)`n    issuer: $($TokenServer.Issuer)`n    rootcertbundle: $($TokenServer.Certificate)")
}

function Get-BasicAuthorization([string] $User, [string] $Password) {
    'Basic ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("${User}:$Password"))
}

function Get-PullAuthorization {
    <# .SYNOPSIS An Authorization header that lets the tests read a repository back from the token registry. #>
    param([Parameter(Mandatory)] $TokenServer, [Parameter(Mandatory)] [string] $User, [Parameter(Mandatory)] [string] $Password, [Parameter(Mandatory)] [string] $Repository)
    $uri = "$($TokenServer.Realm)?service=$($TokenServer.Service)&scope=repository:${Repository}:pull"
    $answer = Invoke-RestMethod -Uri $uri -Headers @{ Authorization = Get-BasicAuthorization $User $Password }
    "Bearer $($answer.token)"
}

function Enter-CredentialEnvironment {
    <#
    .SYNOPSIS
    Points docker's and podman's credential and certificate lookups (DOCKER_CONFIG, REGISTRY_AUTH_FILE,
    XDG_RUNTIME_DIR, XDG_CONFIG_HOME, HOME) at empty folders under -Path. Returns what to give
    Exit-CredentialEnvironment to put the environment back.
    #>
    param([Parameter(Mandatory)] [string] $Path)
    $names = 'DOCKER_CONFIG', 'REGISTRY_AUTH_FILE', 'XDG_RUNTIME_DIR', 'XDG_CONFIG_HOME', 'HOME', 'PATH'
    $saved = @{}
    foreach ($name in $names) { $saved[$name] = [Environment]::GetEnvironmentVariable($name) }
    $folders = [pscustomobject]@{
        Home = Join-Path $Path 'home'; Docker = Join-Path $Path 'docker'; Runtime = Join-Path $Path 'run'; Bin = Join-Path $Path 'bin'
    }
    foreach ($folder in $folders.PSObject.Properties.Value) { $null = New-Item -ItemType Directory -Force $folder }
    $env:HOME = $folders.Home
    $env:DOCKER_CONFIG = $folders.Docker
    $env:XDG_RUNTIME_DIR = $folders.Runtime
    $env:XDG_CONFIG_HOME = $null
    $env:REGISTRY_AUTH_FILE = $null
    $env:PATH = $folders.Bin + [IO.Path]::PathSeparator + $saved['PATH']
    [pscustomobject]@{ Saved = $saved; Folders = $folders }
}

function Exit-CredentialEnvironment {
    param([Parameter(Mandatory)] $Environment)
    # A variable that was not set is removed, not left empty: docker-registry reads REGISTRY_* variables as its
    # configuration (REGISTRY_AUTH_FILE would be auth.file), and PowerShell passes $null to .NET as "".
    foreach ($name in $Environment.Saved.Keys) {
        $value = $Environment.Saved[$name]
        if ($null -eq $value) { Remove-Item "env:$name" -ErrorAction Ignore } else { Set-Item "env:$name" $value }
    }
}

function Set-DockerConfig {
    <# .SYNOPSIS Writes $DOCKER_CONFIG/config.json from a hashtable, or the raw -Text. #>
    param([Parameter(Mandatory)] $Environment, [hashtable] $Config, [string] $Text)
    if (-not $PSBoundParameters.ContainsKey('Text')) { $Text = ConvertTo-Json -InputObject $Config -Depth 5 }
    Set-Content -LiteralPath (Join-Path $Environment.Folders.Docker 'config.json') -Value $Text -NoNewline
}

function Clear-CredentialFiles {
    param([Parameter(Mandatory)] $Environment)
    Remove-Item (Join-Path $Environment.Folders.Docker 'config.json'), (Join-Path $Environment.Folders.Runtime 'containers') -Recurse -Force -ErrorAction Ignore
}

function New-CredentialHelper {
    <#
    .SYNOPSIS
    Puts docker-credential-<Name> on PATH: a shell script speaking docker's helper protocol. It appends the
    server URL it is asked for to <bin>/<Name>.log and answers by $env:SLTEST_HELPER_MODE: ok (user and
    secret from $env:SLTEST_HELPER_USER/SECRET), token (<token> and the secret), notfound or fail; echofail
    (prints its answer, says the secret on stderr, exits 1); linger (answers, leaving a child that holds its
    output, whose pid goes to <bin>/<Name>.child); hang (starts such a child and never answers).
    #>
    param([Parameter(Mandatory)] $Environment, [Parameter(Mandatory)] [string] $Name)
    $script = Join-Path $Environment.Folders.Bin "docker-credential-$Name"
    $log = Join-Path $Environment.Folders.Bin "$Name.log"
    $child = Join-Path $Environment.Folders.Bin "$Name.child"
    Set-Content -LiteralPath $script -Value @"
#!/bin/sh
server=`$(cat)
printf '%s\n' "`$server" >> '$log'
case "`$SLTEST_HELPER_MODE" in
  notfound) echo 'credentials not found in native keychain'; exit 1 ;;
  fail) echo 'the keychain is locked'; exit 1 ;;
  echofail) printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "`$server" "`$SLTEST_HELPER_USER" "`$SLTEST_HELPER_SECRET"; echo "could not save `$SLTEST_HELPER_SECRET" >&2; exit 1 ;;
  linger) sleep 300 & echo `$! > '$child'; printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "`$server" "`$SLTEST_HELPER_USER" "`$SLTEST_HELPER_SECRET"; exit 0 ;;
  hang) sleep 300 & echo `$! > '$child'; sleep 300 ;;
  token) printf '{"ServerURL":"%s","Username":"<token>","Secret":"%s"}' "`$server" "`$SLTEST_HELPER_SECRET" ;;
  *) printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "`$server" "`$SLTEST_HELPER_USER" "`$SLTEST_HELPER_SECRET" ;;
esac
"@
    & chmod +x $script
    [pscustomobject]@{ Path = $script; Log = $log; Child = $child }
}

function Test-ProcessRunning {
    <# .SYNOPSIS Whether a process runs: it exists and is not a zombie waiting to be reaped (Linux /proc). #>
    param([Parameter(Mandatory)] [int] $Id)
    $stat = "/proc/$Id/stat"
    if (-not (Test-Path $stat)) { return $false }
    $state = ((Get-Content -Raw $stat -ErrorAction Ignore) -replace '^.*\)\s+', '').Substring(0, 1)
    $state -notin 'Z', 'X'
}

function Invoke-Bounded {
    <#
    .SYNOPSIS
    Runs a script block in its own runspace and waits for it at most -Seconds (a hang guard, not a timing
    requirement): returns Completed, Output and Error, stopping it if it did not end.
    #>
    param([Parameter(Mandatory)] [scriptblock] $Script, [object[]] $ArgumentList = @(), [int] $Seconds = 120)
    $ps = [powershell]::Create()
    try {
        $null = $ps.AddScript($Script)
        foreach ($argument in $ArgumentList) { $null = $ps.AddArgument($argument) }
        $async = $ps.BeginInvoke()
        $completed = $async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($Seconds))
        $output = if ($completed) { $ps.EndInvoke($async) } else { $null = $ps.BeginStop($null, $null); $null }
        [pscustomobject]@{ Completed = $completed; Output = $output; Error = @($ps.Streams.Error) }
    }
    finally { if ($completed) { $ps.Dispose() } }
}

function Invoke-CapturedPush {
    <#
    .SYNOPSIS
    Runs a script block that pushes, in its own runspace, and returns everything it showed as one string:
    output, and every record of the error, warning, verbose, debug, information and progress streams, and
    for a failure the whole error record and every exception in it with all their properties.
    #>
    param([Parameter(Mandatory)] [scriptblock] $Push, [object[]] $ArgumentList = @())
    $ps = [powershell]::Create()
    try {
        $null = $ps.AddScript({
                param($module, $push, $arguments)
                Import-Module $module
                $DebugPreference = 'Continue'
                $VerbosePreference = 'Continue'
                try { & ([scriptblock]::Create($push)) @arguments | Format-List * -Force | Out-String }
                catch {
                    'FAILED: ' + $_.FullyQualifiedErrorId
                    $_ | Format-List * -Force | Out-String
                    $_.CategoryInfo | Format-List * -Force | Out-String
                    $_.InvocationInfo | Format-List * -Force | Out-String
                    $e = $_.Exception
                    while ($e) { $e | Format-List * -Force | Out-String; $e.ToString(); $e = $e.InnerException }
                    $_.ErrorDetails
                    $_.TargetObject | Out-String
                }
            }).AddArgument($env:STREAMLAYER_MODULE).AddArgument($Push.ToString()).AddArgument($ArgumentList)
        $output = $ps.Invoke()
        $text = [Text.StringBuilder]::new()
        foreach ($item in $output) { $null = $text.AppendLine("$item") }
        foreach ($record in $ps.Streams.Error) { $null = $text.AppendLine(($record | Format-List * -Force | Out-String)).AppendLine($record.Exception.ToString()) }
        foreach ($record in $ps.Streams.Warning) { $null = $text.AppendLine('WARNING: ' + $record.Message) }
        foreach ($record in $ps.Streams.Verbose) { $null = $text.AppendLine('VERBOSE: ' + $record.Message) }
        foreach ($record in $ps.Streams.Debug) { $null = $text.AppendLine('DEBUG: ' + $record.Message) }
        foreach ($record in $ps.Streams.Information) { $null = $text.AppendLine('INFORMATION: ' + $record.MessageData) }
        foreach ($record in $ps.Streams.Progress) { $null = $text.AppendLine("PROGRESS: $($record.Activity) | $($record.StatusDescription) | $($record.CurrentOperation)") }
        [pscustomobject]@{ Text = $text.ToString(); ProgressCount = $ps.Streams.Progress.Count; VerboseCount = $ps.Streams.Verbose.Count }
    }
    finally { $ps.Dispose() }
}

function Get-SecretForms {
    <# .SYNOPSIS Every form a password could leak in: as it is, URL-encoded, base64 alone and as user:password. #>
    param([Parameter(Mandatory)] [string] $User, [Parameter(Mandatory)] [string] $Password)
    $utf8 = [Text.Encoding]::UTF8
    @(
        $Password
        [uri]::EscapeDataString($Password)
        [Net.WebUtility]::UrlEncode($Password)
        [Convert]::ToBase64String($utf8.GetBytes($Password))
        [Convert]::ToBase64String($utf8.GetBytes("${User}:$Password"))
    ) | Select-Object -Unique
}


Export-ModuleMember -Function New-TestPki, New-CertificateFolder, New-HtpasswdFile, Start-HtpasswdRegistry, Start-TokenServer, Stop-TokenServer,
    Set-TokenServerConfig, Get-TokenServerLog, Start-TokenRegistry, Get-BasicAuthorization, Get-PullAuthorization,
    Enter-CredentialEnvironment, Exit-CredentialEnvironment, Set-DockerConfig, Clear-CredentialFiles, New-CredentialHelper,
    Invoke-CapturedPush, Get-SecretForms, Test-ProcessRunning, Invoke-Bounded, Get-TlsYaml
