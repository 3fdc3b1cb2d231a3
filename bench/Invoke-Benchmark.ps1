<#
.SYNOPSIS
Measures StreamLayer side by side with the peer tools, in one run, on one real tar.

.DESCRIPTION
build.ps1 Bench runs this after building the module. Every case runs in its own process, three times; the
table shows the median time and the largest peak resident memory (GNU time's %M). PowerShell cases time the
command itself (module import and the first call's JIT are outside the clock, as a session pays them once);
native cases are timed as whole pipelines. The machine is shared and noisy: compare the ratios within one run.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [int] $Repeat = 3,
    [string] $WorkPath = (Join-Path $PSScriptRoot '../out/bench')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3

$null = New-Item -ItemType Directory -Force $WorkPath
$WorkPath = (Resolve-Path $WorkPath).Path
$ModulePath = (Resolve-Path $ModulePath).Path

# A real tar of binaries and text: the .NET SDK folder this machine runs on.
$sdk = Split-Path ([IO.Path]::GetFullPath((& readlink -f (Get-Command dotnet).Source)))
$tar = Join-Path $WorkPath 'sdk.tar'
if (-not (Test-Path $tar)) {
    & tar -cf $tar -C (Split-Path $sdk) (Split-Path $sdk -Leaf)
    if ($LASTEXITCODE -ne 0) { throw "tar of $sdk failed" }
}
$tarBytes = (Get-Item $tar).Length
if ($tarBytes -lt 256MB) { throw "The benchmark tar is only $([Math]::Round($tarBytes / 1MB)) MiB; it needs 256 MiB or more." }

# Smaller samples for the slow pipeline forms.
function New-Sample([string] $Name, [long] $Bytes) {
    $path = Join-Path $WorkPath $Name
    if (-not (Test-Path $path) -or (Get-Item $path).Length -ne $Bytes) {
        & bash -c 'head -c "$1" "$2" > "$3"' _ $Bytes $tar $path
    }
    $path
}
$chunkSample = New-Sample 'sample-64m.bin' 64MB
$byteSample = New-Sample 'sample-1m.bin' 1MB

$results = [Collections.Generic.List[object]]::new()

function Measure-Case {
    param(
        [string] $Name,
        [string] $Group,
        [long] $Bytes,
        # A bash command line. When it prints 'ELAPSED <seconds>', that is the time; otherwise the wall time.
        [string] $Command
    )
    $times = [Collections.Generic.List[double]]::new()
    $peak = 0
    $extra = $null
    for ($i = 0; $i -lt $Repeat; $i++) {
        $timing = Join-Path $WorkPath 'time.txt'
        $output = & /usr/bin/time -f '%e %M' -o $timing bash -c $Command 2>&1
        if ($LASTEXITCODE -ne 0) { throw "$Name failed: $output" }
        $wall, $rssKiB = (Get-Content $timing | Select-Object -Last 1) -split ' '
        $self = $output | Select-String '^ELAPSED (\S+)' | Select-Object -Last 1
        $times.Add($(if ($self) { [double]$self.Matches[0].Groups[1].Value } else { [double]$wall }))
        $peak = [Math]::Max($peak, [long]$rssKiB)
        $note = $output | Select-String '^NOTE (.+)' | Select-Object -Last 1
        if ($note) { $extra = $note.Matches[0].Groups[1].Value }
    }
    $median = ($times | Sort-Object)[[int][Math]::Floor($times.Count / 2)]
    $result = [pscustomobject]@{
        Group = $Group; Case = $Name; MiB = [Math]::Round($Bytes / 1MB); Seconds = [Math]::Round($median, 2)
        MBps = [Math]::Round($Bytes / 1e6 / $median, 1); PeakRssMiB = [Math]::Round($peak / 1024); Note = $extra
    }
    $results.Add($result)
    Write-Host ("{0,-58} {1,8:N2} s {2,8:N1} MB/s {3,6} MiB RSS  {4}" -f $Name, $result.Seconds, $result.MBps, $result.PeakRssMiB, $extra)
}

$scriptCount = 0
function PwshCase([string] $Script) {
    # A script file that imports the module, warms the cmdlet up on a tiny input, then times $Script.
    $file = Join-Path $WorkPath ("case{0}.ps1" -f ++$script:scriptCount)
    Set-Content -LiteralPath $file -Value @"
Import-Module '$ModulePath'
`$null = ,[byte[]](1..10) | Get-LayerDigest
`$sw = [Diagnostics.Stopwatch]::StartNew()
`$r = & { $Script }
`$sw.Stop()
'ELAPSED ' + `$sw.Elapsed.TotalSeconds
if (`$r -and `$r.PSObject.Properties['Size']) { 'NOTE size ' + `$r.Size + ' (ratio ' + [Math]::Round(`$r.UncompressedSize / `$r.Size, 2) + ')' }
"@
    "dotnet pwsh -NoProfile -NonInteractive -File '$file'"
}

Write-Host "Benchmark on $(& nproc) cores, $((Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -replace '.*:\s*'); tar: $tar ($([Math]::Round($tarBytes / 1MB)) MiB)"
Write-Host ''

# Throughput of the whole tar: Get-LayerDigest against gzip/pigz with sha256sum of the tar and of the blob.
Measure-Case 'Get-LayerDigest -Path' 'digest' $tarBytes (PwshCase "Get-LayerDigest -Path '$tar'")
Measure-Case 'gzip -1 | sha256sum (tee: sha256sum of the tar)' 'digest' $tarBytes "set -o pipefail; tee >(sha256sum >/dev/null) < '$tar' | gzip -1 | sha256sum >/dev/null"
Measure-Case 'pigz -1 | sha256sum (tee: sha256sum of the tar)' 'digest' $tarBytes "set -o pipefail; tee >(sha256sum >/dev/null) < '$tar' | pigz -1 | sha256sum >/dev/null"
Measure-Case 'pigz -1 alone' 'digest' $tarBytes "pigz -1 < '$tar' > /dev/null"

# PowerShell's pipeline forms: our share next to PowerShell's own cost of sending the objects.
Measure-Case 'Get-Content -ReadCount 1MB | Get-LayerDigest (64 MiB)' 'pipeline' 64MB (PwshCase "Get-Content -AsByteStream -ReadCount 1MB -LiteralPath '$chunkSample' | Get-LayerDigest")
Measure-Case 'Get-Content -ReadCount 1MB | Out-Null (64 MiB)' 'pipeline' 64MB (PwshCase "Get-Content -AsByteStream -ReadCount 1MB -LiteralPath '$chunkSample' | Out-Null")
Measure-Case 'Get-Content -AsByteStream | Get-LayerDigest (1 MiB)' 'pipeline' 1MB (PwshCase "Get-Content -AsByteStream -LiteralPath '$byteSample' | Get-LayerDigest -WarningAction SilentlyContinue")
Measure-Case 'Get-Content -AsByteStream | Out-Null (1 MiB)' 'pipeline' 1MB (PwshCase "Get-Content -AsByteStream -LiteralPath '$byteSample' | Out-Null")

# Peak memory against input size: the layer streams through, so it must not grow with the input.
$stdin = "Get-LayerDigest -InputStream ([Console]::OpenStandardInput())"
Measure-Case 'Get-LayerDigest, 1 MiB on stdin' 'memory' 1MB "head -c 1048576 '$tar' | $(PwshCase $stdin)"
Measure-Case 'Get-LayerDigest, 256 MiB on stdin' 'memory' 256MB "head -c 268435456 '$tar' | $(PwshCase $stdin)"
Measure-Case 'Get-LayerDigest, 2 GiB on stdin' 'memory' 2GB "for i in 1 2 3 4; do cat '$tar'; done | head -c 2147483648 | $(PwshCase $stdin)"

function Ratio([string] $a, [string] $b) {
    $x = $results | Where-Object Case -EQ $a
    $y = $results | Where-Object Case -EQ $b
    [Math]::Round($y.Seconds / $x.Seconds, 2)
}
function Rss([string] $case) { ($results | Where-Object Case -EQ $case).PeakRssMiB }

Write-Host ''
Write-Host 'Ratios (higher is better for StreamLayer; time of the other / time of ours):'
Write-Host ("  Get-LayerDigest -Path vs gzip -1 | sha256sum:       {0}x" -f (Ratio 'Get-LayerDigest -Path' 'gzip -1 | sha256sum (tee: sha256sum of the tar)'))
Write-Host ("  Get-LayerDigest -Path vs pigz -1 | sha256sum:       {0}x" -f (Ratio 'Get-LayerDigest -Path' 'pigz -1 | sha256sum (tee: sha256sum of the tar)'))
Write-Host ("  Get-LayerDigest -Path vs pigz -1 alone:             {0}x" -f (Ratio 'Get-LayerDigest -Path' 'pigz -1 alone'))
Write-Host ("  -ReadCount chunks: Out-Null time / ours:            {0}x" -f (Ratio 'Get-Content -ReadCount 1MB | Get-LayerDigest (64 MiB)' 'Get-Content -ReadCount 1MB | Out-Null (64 MiB)'))
Write-Host ("  per-byte: Out-Null time / ours:                     {0}x" -f (Ratio 'Get-Content -AsByteStream | Get-LayerDigest (1 MiB)' 'Get-Content -AsByteStream | Out-Null (1 MiB)'))
Write-Host ("  peak RSS growth 1 MiB -> 2 GiB:                     {0} MiB" -f ((Rss 'Get-LayerDigest, 2 GiB on stdin') - (Rss 'Get-LayerDigest, 1 MiB on stdin')))
Write-Host ("  peak RSS growth 256 MiB -> 2 GiB:                   {0} MiB" -f ((Rss 'Get-LayerDigest, 2 GiB on stdin') - (Rss 'Get-LayerDigest, 256 MiB on stdin')))

$results | ConvertTo-Json | Set-Content (Join-Path $WorkPath 'results.json')
