<#
.SYNOPSIS
Measures StreamLayer side by side with the peer tools, in one run, on one real tar.

.DESCRIPTION
build.ps1 Bench runs this after building the module. Every case runs in its own process, three times; the
table shows the median time and the largest peak resident memory (GNU time's %M). PowerShell cases time the
command itself (module import and the first call's JIT are outside the clock, as a session pays them once);
native cases are timed as whole pipelines. The cases of a group run in rounds (A, B, C, A, B, C, ...), so that
load from the machine's other tenants falls on all of them alike. The machine is shared and noisy: compare the
ratios within one run.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    # An older build of the module (build.ps1 Bench -BaselineRef <commit> makes one): its key cases run beside
    # ours in the same rounds, marked [baseline], for a before/after comparison in one run.
    [string] $BaselineModulePath,
    [int] $Repeat = 3,
    # Which groups to run: digest, formats, pipeline, memory, push, directory.
    [string[]] $Section = @('digest', 'formats', 'pipeline', 'memory', 'push', 'directory'),
    # Where the markdown table goes; empty for none.
    [string] $MarkdownPath = (Join-Path $PSScriptRoot '../docs/benchmarks.md'),
    [string] $WorkPath = (Join-Path $PSScriptRoot '../out/bench')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3
$Section = @($Section -split ',')

$null = New-Item -ItemType Directory -Force $WorkPath
$WorkPath = (Resolve-Path $WorkPath).Path
$ModulePath = (Resolve-Path $ModulePath).Path
if ($BaselineModulePath) { $BaselineModulePath = (Resolve-Path $BaselineModulePath).Path }

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
$byteSample = New-Sample 'sample-512k.bin' 512KB

$results = [Collections.Generic.List[object]]::new()

$pending = [Collections.Generic.List[object]]::new()

function Measure-Case {
    # Queues a case; Complete-Group runs the queued cases.
    param(
        [string] $Name,
        [string] $Group,
        [long] $Bytes,
        # A bash command line. When it prints 'ELAPSED <seconds>', that is the time; otherwise the wall time.
        [string] $Command
    )
    $pending.Add([pscustomobject]@{ Name = $Name; Group = $Group; Bytes = $Bytes; Command = $Command; Times = [Collections.Generic.List[double]]::new(); Peak = 0L; Note = $null })
}

function Complete-Group {
    # Runs the queued cases in rounds, each the other way round from the one before (A, B, C, C, B, A, ...), so
    # that a burst of load from the machine's other tenants falls on all of them alike, and neither case of a
    # pair (this build, then the baseline) always runs second, after the other's writes; then records the median.
    param([int] $Rounds = $Repeat)
    for ($round = 0; $round -lt $Rounds; $round++) {
        $order = @($pending)
        if ($round % 2 -eq 1) { [array]::Reverse($order) }
        foreach ($case in $order) {
            $timing = Join-Path $WorkPath 'time.txt'
            $output = & /usr/bin/time -f '%e %M' -o $timing bash -c $case.Command 2>&1
            if ($LASTEXITCODE -ne 0) { throw "$($case.Name) failed: $output" }
            $wall, $rssKiB = (Get-Content $timing | Select-Object -Last 1) -split ' '
            $self = $output | Select-String '^ELAPSED (\S+)' | Select-Object -Last 1
            $case.Times.Add($(if ($self) { [double]$self.Matches[0].Groups[1].Value } else { [double]$wall }))
            $case.Peak = [Math]::Max($case.Peak, [long]$rssKiB)
            $note = $output | Select-String '^NOTE (.+)' | Select-Object -Last 1
            if ($note) { $case.Note = $note.Matches[0].Groups[1].Value }
        }
    }

    foreach ($case in $pending) {
        $median = ($case.Times | Sort-Object)[[int][Math]::Floor($case.Times.Count / 2)]
        $result = [pscustomobject]@{
            Group = $case.Group; Case = $case.Name; MiB = [Math]::Round($case.Bytes / 1MB, $(if ($case.Bytes -lt 1MB) { 1 } else { 0 })); Seconds = [Math]::Round($median, 2)
            MBps = [Math]::Round($case.Bytes / 1e6 / $median, 1); PeakRssMiB = [Math]::Round($case.Peak / 1024); Note = $case.Note
            # The blob's bytes, where the case noted them ('size N'): the layer a push leaves in the registry.
            Size = if ($case.Note -match '^size (\d+)') { [long]$Matches[1] } else { $null }
        }
        $results.Add($result)
        Write-Host ("{0,-58} {1,8:N2} s {2,8:N1} MB/s {3,6} MiB RSS  {4}" -f $case.Name, $result.Seconds, $result.MBps, $result.PeakRssMiB, $case.Note)
    }

    $pending.Clear()
}

$scriptCount = 0
function PwshCase([string] $Script, [string] $Module = $ModulePath) {
    # A script file that imports the module, warms the cmdlet up on a tiny input, then times $Script.
    $file = Join-Path $WorkPath ("case{0}.ps1" -f ++$script:scriptCount)
    Set-Content -LiteralPath $file -Value @"
Import-Module '$Module'
`$null = ,[byte[]]::new(1024) | Get-LayerDigest
`$sw = [Diagnostics.Stopwatch]::StartNew()
`$r = & { $Script }
`$sw.Stop()
'ELAPSED ' + `$sw.Elapsed.TotalSeconds
if (`$r -and `$r.PSObject.Properties['Size']) { 'NOTE size ' + `$r.Size + ' (ratio ' + [Math]::Round(`$r.UncompressedSize / `$r.Size, 2) + ')' }
"@
    "dotnet pwsh -NoProfile -NonInteractive -File '$file'"
}

function NativeSized([string] $Pipeline) {
    # A native pipeline timed as a whole, its output counted (wc -c costs next to nothing) and noted as the size.
    "set -o pipefail; n=`$($Pipeline | wc -c) || exit 1; echo NOTE size `$n '(ratio' `$(echo `"scale=2; $tarBytes / `$n`" | bc)')'"
}

function Measure-Pair {
    # Queues a PowerShell case, and its twin on the baseline build when there is one.
    param([string] $Name, [string] $Group, [long] $Bytes, [string] $Script, [string] $Prefix = '')
    Measure-Case $Name $Group $Bytes ($Prefix + (PwshCase $Script))
    if ($BaselineModulePath) { Measure-Case "$Name [baseline]" $Group $Bytes ($Prefix + (PwshCase $Script $BaselineModulePath)) }
}

Write-Host "Benchmark on $(& nproc) cores, $((Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -replace '.*:\s*'); tar: $tar ($([Math]::Round($tarBytes / 1MB)) MiB)"
Write-Host ''

# Throughput of the whole tar: Get-LayerDigest against gzip/pigz with sha256sum of the tar and of the blob.
if ($Section -contains 'digest') {
Measure-Pair 'Get-LayerDigest -Path' 'digest' $tarBytes "Get-LayerDigest -Path '$tar'"
Measure-Case 'Get-LayerDigest -Path -CompressionLevel 4' 'digest' $tarBytes (PwshCase "Get-LayerDigest -Path '$tar' -CompressionLevel 4")
Measure-Case 'gzip -1 | sha256sum (tee: sha256sum of the tar)' 'digest' $tarBytes "set -o pipefail; tee >(sha256sum >/dev/null) < '$tar' | gzip -1 | sha256sum >/dev/null"
Measure-Case 'pigz -1 | sha256sum (tee: sha256sum of the tar)' 'digest' $tarBytes "set -o pipefail; tee >(sha256sum >/dev/null) < '$tar' | pigz -1 | sha256sum >/dev/null"
Measure-Case 'pigz -1 alone' 'digest' $tarBytes "pigz -1 < '$tar' > /dev/null"
Measure-Case 'pigz -6 alone' 'digest' $tarBytes (NativeSized "pigz -6 < '$tar'")
# What the fastest native deflates would give (issue 19), each on one thread (they have no threads of their own):
# libdeflate, and ISA-L's igzip at its smallest level. Native only; nothing of either is served for .NET.
foreach ($level in 1, 2, 4) {
    Measure-Case "libdeflate-gzip -$level alone (1 thread)" 'digest' $tarBytes (NativeSized "libdeflate-gzip -$level -c < '$tar'")
}
if (Get-Command igzip -ErrorAction Ignore) { Measure-Case 'igzip -3 alone (1 thread)' 'digest' $tarBytes (NativeSized "igzip -3 -c < '$tar'") }
Complete-Group
}

# Formats and levels: speed and size of what each choice makes.
if ($Section -contains 'formats') {
Measure-Case 'Get-LayerDigest -Path -CompressionLevel 6 (gzip)' 'formats' $tarBytes (PwshCase "Get-LayerDigest -Path '$tar' -CompressionLevel 6")
Measure-Pair 'Get-LayerDigest -Path -Compression Zstd (level 1)' 'formats' $tarBytes "Get-LayerDigest -Path '$tar' -Compression Zstd"
Measure-Case 'Get-LayerDigest -Path -Compression Zstd -CompressionLevel 3' 'formats' $tarBytes (PwshCase "Get-LayerDigest -Path '$tar' -Compression Zstd -CompressionLevel 3")
Measure-Case 'Get-LayerDigest -Path -Compression None' 'formats' $tarBytes (PwshCase "Get-LayerDigest -Path '$tar' -Compression None")
Measure-Case 'zstd -1 | sha256sum (tee: sha256sum of the tar)' 'formats' $tarBytes "set -o pipefail; tee >(sha256sum >/dev/null) < '$tar' | zstd -q -1 -T0 | sha256sum >/dev/null"
Measure-Case 'zstd -1 -T2 alone' 'formats' $tarBytes (NativeSized "zstd -q -1 -T2 < '$tar'")
Complete-Group
}

# PowerShell's pipeline forms: our share next to PowerShell's own cost of sending the objects.
if ($Section -contains 'pipeline') {
Measure-Pair 'Get-Content -ReadCount 1MB | Get-LayerDigest (64 MiB)' 'pipeline' 64MB "Get-Content -AsByteStream -ReadCount 1MB -LiteralPath '$chunkSample' | Get-LayerDigest"
Measure-Case 'Get-Content -ReadCount 1MB | Out-Null (64 MiB)' 'pipeline' 64MB (PwshCase "Get-Content -AsByteStream -ReadCount 1MB -LiteralPath '$chunkSample' | Out-Null")
Measure-Pair 'Get-Content -AsByteStream | Get-LayerDigest (512 KiB)' 'pipeline' 512KB "Get-Content -AsByteStream -LiteralPath '$byteSample' | Get-LayerDigest -WarningAction SilentlyContinue"
Measure-Case 'Get-Content -AsByteStream | Out-Null (512 KiB)' 'pipeline' 512KB (PwshCase "Get-Content -AsByteStream -LiteralPath '$byteSample' | Out-Null")
# PowerShell's per-object pipeline varies a lot from run to run, so this group gets more rounds.
Complete-Group -Rounds ([Math]::Max($Repeat, 5))
}

# Peak memory against input size: the layer streams through, so it must not grow with the input.
if ($Section -contains 'memory') {
$stdin = "Get-LayerDigest -InputStream ([Console]::OpenStandardInput())"
Measure-Case 'Get-LayerDigest, 1 MiB on stdin' 'memory' 1MB "head -c 1048576 '$tar' | $(PwshCase $stdin)"
Measure-Case 'Get-LayerDigest, 256 MiB on stdin' 'memory' 256MB "head -c 268435456 '$tar' | $(PwshCase $stdin)"
Measure-Pair 'Get-LayerDigest, 2 GiB on stdin' 'memory' 2GB $stdin "for i in 1 2 3 4; do cat '$tar'; done | head -c 2147483648 | "
Complete-Group
}

# Pushing to a local docker-registry: StreamLayer, skopeo copy of the same tar as a one-layer OCI layout, and the
# reference flow (go-containerregistry's stream.Layer + remote.WriteLayer, rebuilt from Go's standard library).
if ($Section -contains 'push') {
    Import-Module (Join-Path $PSScriptRoot '../tests/Pester/TestRegistry.psm1')
    $registry = Start-TestRegistry
    try {
        $target = "127.0.0.1:$($registry.Port)"
        $unique = '$(head -c 6 /dev/urandom | od -An -tx1 | tr -d " \n")'
        $pushScript = { param($options) "Push-StreamLayer -Path '$tar' -Repository ('$target/bench/sl-' + [guid]::NewGuid().ToString('N').Substring(0, 8)) $options" }
        Measure-Pair 'Push-StreamLayer -Path (defaults)' 'push' $tarBytes (& $pushScript '')
        Measure-Pair 'Push-StreamLayer -Path -UploadMode Chunked (16 MiB)' 'push' $tarBytes (& $pushScript '-UploadMode Chunked')
        Measure-Case 'Push-StreamLayer -Path -ChunkSize 4MB' 'push' $tarBytes (PwshCase (& $pushScript '-ChunkSize 4MB'))
        Measure-Case 'Push-StreamLayer -Path -CompressionLevel 3' 'push' $tarBytes (PwshCase (& $pushScript '-CompressionLevel 3'))
        Measure-Case 'Push-StreamLayer -Path -CompressionLevel 4' 'push' $tarBytes (PwshCase (& $pushScript '-CompressionLevel 4'))
        Measure-Case 'Push-StreamLayer -Path -Compression Zstd' 'push' $tarBytes (PwshCase (& $pushScript '-Compression Zstd'))
        Measure-Case 'Push-StreamLayer -Path -Compression Zstd -CompressionLevel 3' 'push' $tarBytes (PwshCase (& $pushScript '-Compression Zstd -CompressionLevel 3'))
        $stdinPush = "Push-StreamLayer -InputStream ([Console]::OpenStandardInput()) -Repository ('$target/bench/stdin-' + [guid]::NewGuid().ToString('N').Substring(0, 8))"
        Measure-Case 'Push-StreamLayer, 256 MiB on stdin' 'push memory' 256MB "head -c 268435456 '$tar' | $(PwshCase $stdinPush)"
        Measure-Pair 'Push-StreamLayer, 2 GiB on stdin' 'push memory' 2GB $stdinPush "for i in 1 2 3 4; do cat '$tar'; done | head -c 2147483648 | "

        # skopeo needs the layer as an OCI layout: the tar itself is the (uncompressed) layer blob; skopeo
        # compresses it on the way to the registry. Its blob-info cache is deleted before every run.
        $layout = Join-Path $WorkPath 'layout'
        if (-not (Test-Path (Join-Path $layout 'index.json'))) {
            $null = New-Item -ItemType Directory -Force (Join-Path $layout 'blobs/sha256')
            $tarHex = ((& sha256sum -b $tar) -split '\s+')[0]
            $tarBlob = Join-Path $layout "blobs/sha256/$tarHex"
            if (-not (Test-Path $tarBlob)) { & ln $tar $tarBlob; if ($LASTEXITCODE) { Copy-Item $tar $tarBlob } }
            function Write-Blob([string] $Json) {
                $bytes = [Text.Encoding]::UTF8.GetBytes($Json)
                $hex = [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($bytes)).ToLowerInvariant()
                [IO.File]::WriteAllBytes((Join-Path $layout "blobs/sha256/$hex"), $bytes)
                [pscustomobject]@{ Digest = "sha256:$hex"; Size = $bytes.Length }
            }
            $config = Write-Blob ('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:' + $tarHex + '"]}}')
            $manifest = Write-Blob ('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"' + $config.Digest + '","size":' + $config.Size + '},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:' + $tarHex + '","size":' + $tarBytes + '}]}')
            Set-Content -LiteralPath (Join-Path $layout 'oci-layout') -Value '{"imageLayoutVersion":"1.0.0"}' -NoNewline
            Set-Content -LiteralPath (Join-Path $layout 'index.json') -NoNewline -Value ('{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"' + $manifest.Digest + '","size":' + $manifest.Size + ',"annotations":{"org.opencontainers.image.ref.name":"bench"}}]}')
        }
        $skopeoCache = '/var/lib/containers/cache/blob-info-cache-v1.boltdb ${XDG_CACHE_HOME:-$HOME/.cache}/containers/blob-info-cache-v1.boltdb'
        function SkopeoCase([string] $Options) {
            # The copy is timed; the layer's size is read back from the pushed manifest (its last "size").
            "rm -f $skopeoCache; repo=bench/skopeo-$unique; s=`$(date +%s.%N); skopeo copy -q --dest-tls-verify=false $Options oci:'$layout':bench docker://$target/`$repo:latest >/dev/null || exit 1; " +
            "e=`$(date +%s.%N); echo ELAPSED `$(echo `"`$e - `$s`" | bc); size=`$(skopeo inspect --tls-verify=false --raw docker://$target/`$repo:latest | grep -o '`"size`":[0-9]*' | tail -1 | cut -d: -f2); " +
            "echo NOTE size `$size '(ratio' `$(echo `"scale=2; $tarBytes / `$size`" | bc)')'"
        }
        # The registry's own share: the zstd layer, already made, uploaded by curl as we upload it.
        $ingestBlob = Join-Path $WorkPath 'ingest.zst'
        if (-not (Test-Path $ingestBlob)) { & zstd -q -1 -T2 -f $tar -o $ingestBlob; if ($LASTEXITCODE) { throw 'zstd failed' } }
        $ingestHex = ((& sha256sum -b $ingestBlob) -split '\s+')[0]
        $ingestSize = (Get-Item $ingestBlob).Length
        Measure-Case 'registry alone: curl uploads the zstd -1 blob (streamed)' 'push' $tarBytes "'$(Join-Path $PSScriptRoot 'registry-ingest.sh')' $target bench/ingest-$unique '$ingestBlob' $ingestHex && echo NOTE size $ingestSize"
        Measure-Case 'skopeo copy (OCI layout -> registry)' 'push' $tarBytes (SkopeoCase '')
        Measure-Case 'skopeo copy --dest-compress-format zstd' 'push' $tarBytes (SkopeoCase '--dest-compress-format zstd')

        if (Get-Command go -ErrorAction Ignore) {
            $reference = Join-Path $WorkPath 'reference'
            $env:GOCACHE = Join-Path $WorkPath 'gocache'
            $env:GOFLAGS = '-mod=mod'
            Push-Location (Join-Path $PSScriptRoot 'reference')
            try { & go build -o $reference . ; if ($LASTEXITCODE) { throw 'go build of the reference flow failed' } } finally { Pop-Location }
            Measure-Case 'reference flow (ggcr stream.Layer, Go stdlib)' 'push' $tarBytes "'$reference' '$tar' http://$target bench/ref-$unique"
        }
        else { Write-Host 'go is not installed (Debian: golang-go): the reference flow is not measured.' }
        Complete-Group
    }
    finally { Stop-TestRegistry $registry }
}

# Folder layers (-Directory): StreamLayer writes the SDK folder's tar itself, beside GNU tar piped into StreamLayer
# and into pigz -1, in the same rounds; and a folder four times the SDK (hard links, stored as files) for memory.
if ($Section -contains 'directory') {
    $sdkParent = Split-Path $sdk
    $sdkLeaf = Split-Path $sdk -Leaf
    $gnuTar = "tar -cf - -C '$sdkParent' '$sdkLeaf'"
    $stdinDigest = "Get-LayerDigest -InputStream ([Console]::OpenStandardInput())"
    Measure-Case 'Get-LayerDigest -Directory (SDK folder)' 'directory' $tarBytes (PwshCase "Get-LayerDigest -Directory '$sdk'")
    Measure-Case 'tar -c | Get-LayerDigest (SDK folder)' 'directory' $tarBytes "$gnuTar | $(PwshCase $stdinDigest)"
    Measure-Case 'tar -c | pigz -1 (SDK folder)' 'directory' $tarBytes "set -o pipefail; $gnuTar | pigz -1 > /dev/null"
    Measure-Case 'Get-LayerDigest -Directory -Compression None (SDK folder)' 'directory' $tarBytes (PwshCase "Get-LayerDigest -Directory '$sdk' -Compression None")
    $fourfold = Join-Path $WorkPath 'sdk-x4'
    if (-not (Test-Path (Join-Path $fourfold '4'))) {
        $null = New-Item -ItemType Directory -Force $fourfold
        foreach ($n in 1..4) { if (-not (Test-Path (Join-Path $fourfold $n))) { & cp -al $sdk (Join-Path $fourfold $n); if ($LASTEXITCODE) { throw "cp -al of $sdk failed" } } }
    }
    Measure-Case 'Get-LayerDigest -Directory (SDK folder x4, 2.5 GiB)' 'directory memory' (4 * $tarBytes) (PwshCase "Get-LayerDigest -Directory '$fourfold'")
    Import-Module (Join-Path $PSScriptRoot '../tests/Pester/TestRegistry.psm1')
    $folderRegistry = Start-TestRegistry
    try {
        $folderTarget = "127.0.0.1:$($folderRegistry.Port)"
        $repository = "('$folderTarget/bench/dir-' + [guid]::NewGuid().ToString('N').Substring(0, 8))"
        Measure-Case 'Push-StreamLayer -Directory (SDK folder)' 'directory push' $tarBytes (PwshCase "Push-StreamLayer -Directory '$sdk' -Repository $repository")
        Measure-Case 'tar -c | Push-StreamLayer (SDK folder)' 'directory push' $tarBytes "$gnuTar | $(PwshCase "Push-StreamLayer -InputStream ([Console]::OpenStandardInput()) -Repository $repository")"
        Complete-Group
    }
    finally { Stop-TestRegistry $folderRegistry }
}

function Get-Result([string] $Case) { $results | Where-Object Case -EQ $Case }

$ratioLines = [Collections.Generic.List[string]]::new()

function Write-Ratio([string] $Label, [string] $Ours, [string] $Theirs) {
    $x = Get-Result $Ours
    $y = Get-Result $Theirs
    if ($x -and $y) {
        $ratio = [Math]::Round($y.Seconds / $x.Seconds, 2)
        Write-Host ("  {0,-58} {1}x" -f $Label, $ratio)
        $ratioLines.Add("${Label}: ${ratio}x")
    }
}

function Write-SizeMatched([string] $Label, [string[]] $Ours, [string] $Theirs) {
    # Our fastest push among $Ours whose layer is no bigger than the peer's: the speed at equal or better size.
    $y = Get-Result $Theirs
    if (-not $y -or $null -eq $y.Size) { return }
    $fastest = @($results | Where-Object { $_.Case -in $Ours -and $null -ne $_.Size -and $_.Size -le $y.Size } | Sort-Object Seconds | Select-Object -First 1)
    $line = if ($fastest) {
        "${Label}: $([Math]::Round($y.Seconds / $fastest[0].Seconds, 2))x ($($fastest[0].Case), $([Math]::Round($fastest[0].Size / 1e6, 1)) MB vs $([Math]::Round($y.Size / 1e6, 1)) MB)"
    }
    else { "${Label}: none of our layers is as small as the peer's ($([Math]::Round($y.Size / 1e6, 1)) MB)" }
    Write-Host "  $line"
    $ratioLines.Add($line)
}

function Write-SizeRatio([string] $Label, [string] $Ours, [string] $Theirs) {
    # Layer bytes of ours / the other's: at or below 1 means ours is no bigger.
    $x = Get-Result $Ours
    $y = Get-Result $Theirs
    if ($x -and $y -and $null -ne $x.Size -and $null -ne $y.Size) {
        $line = "${Label}: $([Math]::Round($x.Size / $y.Size, 3))x ($($x.Size) / $($y.Size) bytes)"
        Write-Host "  $line"
        $ratioLines.Add($line)
    }
}

function Write-Growth([string] $Label, [string] $Small, [string] $Large) {
    $x = Get-Result $Small
    $y = Get-Result $Large
    if ($x -and $y) {
        Write-Host ("  {0,-58} {1} MiB" -f $Label, ($y.PeakRssMiB - $x.PeakRssMiB))
        $ratioLines.Add("${Label}: $($y.PeakRssMiB - $x.PeakRssMiB) MiB ($($x.PeakRssMiB) -> $($y.PeakRssMiB) MiB)")
    }
}

Write-Host ''
Write-Host 'Ratios (time of the other / time of ours: above 1 means StreamLayer is faster):'
Write-Ratio 'Get-LayerDigest -Path (default, level 1) vs gzip -1 | sha256sum' 'Get-LayerDigest -Path' 'gzip -1 | sha256sum (tee: sha256sum of the tar)'
Write-Ratio 'Get-LayerDigest -Path (default, level 1) vs pigz -1 | sha256sum' 'Get-LayerDigest -Path' 'pigz -1 | sha256sum (tee: sha256sum of the tar)'
Write-Ratio 'Get-LayerDigest -Path (default, level 1) vs pigz -1 alone' 'Get-LayerDigest -Path' 'pigz -1 alone'
Write-Ratio 'Get-LayerDigest -Path -CompressionLevel 4 vs pigz -6 alone' 'Get-LayerDigest -Path -CompressionLevel 4' 'pigz -6 alone'
Write-Ratio '-ReadCount chunks: | Out-Null vs | Get-LayerDigest' 'Get-Content -ReadCount 1MB | Get-LayerDigest (64 MiB)' 'Get-Content -ReadCount 1MB | Out-Null (64 MiB)'
Write-Ratio 'per byte: | Out-Null vs | Get-LayerDigest' 'Get-Content -AsByteStream | Get-LayerDigest (512 KiB)' 'Get-Content -AsByteStream | Out-Null (512 KiB)'
Write-Ratio 'Push-StreamLayer (defaults) vs skopeo copy' 'Push-StreamLayer -Path (defaults)' 'skopeo copy (OCI layout -> registry)'
Write-Ratio 'Push-StreamLayer (defaults) vs the reference flow' 'Push-StreamLayer -Path (defaults)' 'reference flow (ggcr stream.Layer, Go stdlib)'
Write-Ratio 'Push-StreamLayer -CompressionLevel 3 vs skopeo copy' 'Push-StreamLayer -Path -CompressionLevel 3' 'skopeo copy (OCI layout -> registry)'
Write-Ratio 'Push-StreamLayer -CompressionLevel 4 vs skopeo copy' 'Push-StreamLayer -Path -CompressionLevel 4' 'skopeo copy (OCI layout -> registry)'
Write-Ratio 'Push-StreamLayer: streamed vs 16 MiB chunks' 'Push-StreamLayer -Path (defaults)' 'Push-StreamLayer -Path -UploadMode Chunked (16 MiB)'
Write-Ratio 'Push-StreamLayer -Compression Zstd vs skopeo copy' 'Push-StreamLayer -Path -Compression Zstd' 'skopeo copy (OCI layout -> registry)'
Write-Ratio 'Push-StreamLayer -Compression Zstd vs skopeo copy --dest-compress-format zstd' 'Push-StreamLayer -Path -Compression Zstd' 'skopeo copy --dest-compress-format zstd'
Write-Ratio 'the registry alone vs Push-StreamLayer -Compression Zstd (1 = the push takes no longer than the registry''s own share)' 'Push-StreamLayer -Path -Compression Zstd' 'registry alone: curl uploads the zstd -1 blob (streamed)'
Write-Ratio 'Get-LayerDigest -Compression Zstd vs zstd -1 -T2 alone' 'Get-LayerDigest -Path -Compression Zstd (level 1)' 'zstd -1 -T2 alone'
Write-Ratio 'Get-LayerDigest -Path -CompressionLevel 4 vs the default (level 1)' 'Get-LayerDigest -Path -CompressionLevel 4' 'Get-LayerDigest -Path'
$gzipPushes = 'Push-StreamLayer -Path (defaults)', 'Push-StreamLayer -Path -CompressionLevel 3', 'Push-StreamLayer -Path -CompressionLevel 4'
$zstdPushes = 'Push-StreamLayer -Path -Compression Zstd', 'Push-StreamLayer -Path -Compression Zstd -CompressionLevel 3'
Write-SizeMatched 'gzip push, size-matched, vs skopeo copy' $gzipPushes 'skopeo copy (OCI layout -> registry)'
Write-SizeMatched 'gzip push, size-matched, vs the reference flow' $gzipPushes 'reference flow (ggcr stream.Layer, Go stdlib)'
Write-SizeMatched 'zstd push, size-matched, vs skopeo copy --dest-compress-format zstd' $zstdPushes 'skopeo copy --dest-compress-format zstd'
Write-SizeRatio 'Get-LayerDigest -Path (default gzip) layer / pigz -6''s' 'Get-LayerDigest -Path' 'pigz -6 alone'
Write-SizeRatio 'Get-LayerDigest -Path -CompressionLevel 4 layer / pigz -6''s' 'Get-LayerDigest -Path -CompressionLevel 4' 'pigz -6 alone'
foreach ($native in 'libdeflate-gzip -1', 'libdeflate-gzip -2', 'libdeflate-gzip -4', 'igzip -3') {
    Write-SizeRatio "$native layer / pigz -6's" "$native alone (1 thread)" 'pigz -6 alone'
}
Write-SizeRatio 'Push-StreamLayer (defaults) layer / skopeo copy''s' 'Push-StreamLayer -Path (defaults)' 'skopeo copy (OCI layout -> registry)'
Write-SizeRatio 'Push-StreamLayer (defaults) layer / the reference flow''s' 'Push-StreamLayer -Path (defaults)' 'reference flow (ggcr stream.Layer, Go stdlib)'
Write-SizeRatio 'Push-StreamLayer -Compression Zstd layer / skopeo zstd''s' 'Push-StreamLayer -Path -Compression Zstd' 'skopeo copy --dest-compress-format zstd'
Write-Ratio 'zstd (level 1) vs gzip (level 1), Get-LayerDigest' 'Get-LayerDigest -Path -Compression Zstd (level 1)' 'Get-LayerDigest -Path'
Write-Ratio 'Get-LayerDigest -Compression Zstd vs zstd -1 -T0 | sha256sum' 'Get-LayerDigest -Path -Compression Zstd (level 1)' 'zstd -1 | sha256sum (tee: sha256sum of the tar)'
if ($BaselineModulePath) {
    Write-Host ''
    Write-Host 'This build against the baseline (time of the baseline / time of this build: above 1 means this build is faster):'
    foreach ($case in @($results | Where-Object Case -Like '* `[baseline`]')) {
        $name = $case.Case -replace ' \[baseline\]$', ''
        Write-Ratio "after vs before: $name" $name $case.Case
    }
}
Write-Growth 'Get-LayerDigest peak RSS growth, 1 MiB -> 2 GiB' 'Get-LayerDigest, 1 MiB on stdin' 'Get-LayerDigest, 2 GiB on stdin'
Write-Growth 'Get-LayerDigest peak RSS growth, 256 MiB -> 2 GiB' 'Get-LayerDigest, 256 MiB on stdin' 'Get-LayerDigest, 2 GiB on stdin'
Write-Growth 'Push-StreamLayer peak RSS growth, 256 MiB -> 2 GiB' 'Push-StreamLayer, 256 MiB on stdin' 'Push-StreamLayer, 2 GiB on stdin'

# Folder layers.
Write-Ratio 'Get-LayerDigest -Directory vs tar -c | Get-LayerDigest' 'Get-LayerDigest -Directory (SDK folder)' 'tar -c | Get-LayerDigest (SDK folder)'
Write-Ratio 'Get-LayerDigest -Directory vs tar -c | pigz -1' 'Get-LayerDigest -Directory (SDK folder)' 'tar -c | pigz -1 (SDK folder)'
Write-Ratio 'Push-StreamLayer -Directory vs tar -c | Push-StreamLayer' 'Push-StreamLayer -Directory (SDK folder)' 'tar -c | Push-StreamLayer (SDK folder)'
Write-Growth 'Get-LayerDigest -Directory peak RSS growth, SDK -> SDK x4' 'Get-LayerDigest -Directory (SDK folder)' 'Get-LayerDigest -Directory (SDK folder x4, 2.5 GiB)'

if ($MarkdownPath) {
    $commit = (& git -C $PSScriptRoot rev-parse --short HEAD 2>$null) ?? 'unknown'
    $md = [Text.StringBuilder]::new()
    $null = $md.AppendLine('# Benchmarks').AppendLine()
    $null = $md.AppendLine('Written by `dotnet pwsh ./build.ps1 Bench` (bench/Invoke-Benchmark.ps1); every figure below comes from one run.').AppendLine()
    $null = $md.AppendLine("- Machine: $(& nproc) cores, $((Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -replace '.*:\s*'), $([Math]::Round((Get-Content /proc/meminfo -TotalCount 1).Split(' ', [StringSplitOptions]::RemoveEmptyEntries)[1] / 1MB)) GiB, $((Get-Content /etc/os-release | Where-Object { $_ -like 'PRETTY_NAME=*' }) -replace 'PRETTY_NAME=|"'); shared and noisy, so compare ratios within the run.")
    $null = $md.AppendLine("- Run: $([DateTime]::UtcNow.ToString('yyyy-MM-dd HH:mm')) UTC, commit $commit, PowerShell $($PSVersionTable.PSVersion), $Repeat runs per case (median time, largest peak RSS).")
    $null = $md.AppendLine("- Input: a tar of the .NET SDK folder (binaries and text), $([Math]::Round($tarBytes / 1MB)) MiB; smaller samples for the per-object pipeline forms.")
    $null = $md.AppendLine('- PowerShell cases time the command inside one process (module import and the first call''s JIT outside the clock); native cases are timed as whole pipelines. Peak RSS is of the whole process (PowerShell itself is most of it).').AppendLine()
    $null = $md.AppendLine('| Group | Case | MiB | Seconds | MB/s | Peak RSS MiB | Layer MB | Notes |').AppendLine('| --- | --- | --- | --- | --- | --- | --- | --- |')
    foreach ($r in $results) {
        $layerMB = if ($null -ne $r.Size) { [Math]::Round($r.Size / 1e6, 1) } else { '' }
        $null = $md.AppendLine("| $($r.Group) | $($r.Case -replace '\|', '\|') | $($r.MiB) | $($r.Seconds) | $($r.MBps) | $($r.PeakRssMiB) | $layerMB | $(($r.Note -replace 'diffid.*', '') -replace '\|', '\|') |")
    }
    $null = $md.AppendLine().AppendLine('## Ratios').AppendLine().AppendLine('Time of the other / time of ours: above 1 means StreamLayer is faster. "Size-matched": our fastest push whose layer is no bigger than the peer''s. "layer / …''s": bytes of ours / bytes of theirs, at or below 1 means ours is no bigger.').AppendLine()
    foreach ($line in $ratioLines) { $null = $md.AppendLine("- $line") }
    Set-Content -LiteralPath $MarkdownPath -Value $md.ToString() -NoNewline
    Write-Host "Wrote $MarkdownPath"
}

$results | ConvertTo-Json | Set-Content (Join-Path $WorkPath 'results.json')
