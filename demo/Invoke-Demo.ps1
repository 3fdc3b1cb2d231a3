<#
.SYNOPSIS
The README's demo: makes a sample tar, turns it into a layer with the README's pipeline, and checks the
result with tools that know nothing of StreamLayer.
#>
param([Parameter(Mandatory)] [string] $ModulePath)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath

$work = Join-Path $PSScriptRoot '../out/demo'
$null = New-Item -ItemType Directory -Force $work
$tar = Join-Path $work 'sample.tar'
$blob = Join-Path $work 'sample.tar.gz'

Write-Host "1. A sample tar of this repository's sources: $tar"
& tar --exclude=bin --exclude=obj -cf $tar -C (Join-Path $PSScriptRoot '..') src docs README.md
if ($LASTEXITCODE -ne 0) { throw 'tar failed' }

Write-Host '2. The README pipeline: Get-Content -AsByteStream -ReadCount 1MB sample.tar | Get-LayerDigest -OutFile sample.tar.gz'
$layer = Get-Content -AsByteStream -ReadCount 1MB -LiteralPath $tar | Get-LayerDigest -OutFile $blob
$layer | Format-List | Out-Host

Write-Host '3. Checked independently:'
$tarHash = 'sha256:' + (Get-FileHash -LiteralPath $tar -Algorithm SHA256).Hash.ToLowerInvariant()
$blobHash = 'sha256:' + (Get-FileHash -LiteralPath $blob -Algorithm SHA256).Hash.ToLowerInvariant()
$gunzip = [IO.Compression.GZipStream]::new([IO.File]::OpenRead($blob), [IO.Compression.CompressionMode]::Decompress)
try { $restoredHash = 'sha256:' + (Get-FileHash -InputStream $gunzip -Algorithm SHA256).Hash.ToLowerInvariant() } finally { $gunzip.Dispose() }
$checks = [ordered]@{
    'DiffId = SHA-256 of the tar'                 = $layer.DiffId -eq $tarHash
    'Digest = SHA-256 of the blob'                = $layer.Digest -eq $blobHash
    'Size = length of the blob'                   = $layer.Size -eq (Get-Item $blob).Length
    'gunzip of the blob = the tar (by SHA-256)'   = $restoredHash -eq $tarHash
}
$checks.GetEnumerator() | ForEach-Object { Write-Host ("   {0,-45} {1}" -f $_.Key, $(if ($_.Value) { 'yes' } else { 'NO' })) }
if ($checks.Values -contains $false) { throw 'The demo found a mismatch.' }
Write-Host 'Demo complete.'
