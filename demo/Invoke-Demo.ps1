<#
.SYNOPSIS
The README's demo: starts a throwaway local registry, pushes a sample tar through the README's pipeline,
reads the blob back and shows that the digests match, then stops the registry.
#>
param([Parameter(Mandatory)] [string] $ModulePath)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
Import-Module (Join-Path $PSScriptRoot '../tests/Pester/TestRegistry.psm1')

$work = Join-Path $PSScriptRoot '../out/demo'
$null = New-Item -ItemType Directory -Force $work
$tar = Join-Path $work 'sample.tar'
$blob = Join-Path $work 'pulled.tar.gz'

function Get-Sha256([string] $Path) { 'sha256:' + (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash.ToLowerInvariant() }

Write-Host "1. A sample tar of this repository's sources: $tar"
& tar --exclude=bin --exclude=obj -cf $tar -C (Join-Path $PSScriptRoot '..') src docs README.md
if ($LASTEXITCODE -ne 0) { throw 'tar failed' }

Write-Host '2. A throwaway registry (docker-registry, distribution 2.8) on a free loopback port'
$registry = Start-TestRegistry
try {
    $repository = "localhost:$($registry.Port)/stream"
    Write-Host "3. The README pipeline: Get-Content -AsByteStream sample.tar | Push-StreamLayer -Repository $repository"
    $layer = Get-Content -AsByteStream -LiteralPath $tar | Push-StreamLayer -Repository $repository -WarningAction SilentlyContinue
    $layer | Format-List | Out-Host

    Write-Host "4. The blob read back from the registry (GET /v2/stream/blobs/$($layer.Digest.Substring(0, 19))...):"
    $null = Invoke-WebRequest -Uri "http://localhost:$($registry.Port)/v2/stream/blobs/$($layer.Digest)" -OutFile $blob -UseBasicParsing
    $gunzip = [IO.Compression.GZipStream]::new([IO.File]::OpenRead($blob), [IO.Compression.CompressionMode]::Decompress)
    try { $restored = 'sha256:' + (Get-FileHash -InputStream $gunzip -Algorithm SHA256).Hash.ToLowerInvariant() } finally { $gunzip.Dispose() }
    $checks = [ordered]@{
        'SHA-256 of the pulled blob = Digest'          = (Get-Sha256 $blob) -eq $layer.Digest
        'length of the pulled blob = Size'             = (Get-Item $blob).Length -eq $layer.Size
        'SHA-256 of the tar = DiffId'                  = (Get-Sha256 $tar) -eq $layer.DiffId
        'gunzip of the pulled blob = the tar'          = $restored -eq $layer.DiffId
    }
    $checks.GetEnumerator() | ForEach-Object { Write-Host ("   {0,-45} {1}" -f $_.Key, $(if ($_.Value) { 'yes' } else { 'NO' })) }
    if ($checks.Values -contains $false) { throw 'The demo found a mismatch.' }
}
finally {
    Write-Host '5. Stopping the registry'
    Stop-TestRegistry $registry
}
Write-Host 'Demo complete.'
