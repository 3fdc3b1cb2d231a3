#!/usr/bin/env pwsh
<#
.SYNOPSIS
Builds, documents, tests, benchmarks and packages the StreamLayer module.

.DESCRIPTION
Run it with the PowerShell that the repository's tool manifest brings:

    dotnet tool restore
    dotnet pwsh ./build.ps1 [Build|Docs|Test|Bench|Package|Demo]

Build   (default) lays out an importable module in out/StreamLayer (manifest, dlls, format file, en-US help).
Docs    turns docs/help/en-US into MAML and about_*.help.txt in out/StreamLayer/en-US.
Test    builds, packages, runs the unit tests, the Pester tests against out/StreamLayer in a child process, and
        the .NET Framework code paths on Mono (printed as "Mono (.NET Framework code paths): N passed, N failed"),
        and ends with the line "N passed, N failed" for all of them.
Bench   measures StreamLayer side by side with the peer tools on this machine (see bench/); -BaselineRef <commit>
        adds that commit's build beside this one.
Package makes a .nupkg of out/StreamLayer with PSResourceGet in out/package.
Demo    builds and runs the module's main job on a sample tar.
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Docs', 'Test', 'Bench', 'Package', 'Demo')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Test: run only the Pester tests with these tags (the unit tests always run).
    [string[]] $Tag,

    # Test: run only the Pester test files whose names contain this, e.g. Push-StreamLayer.
    [string] $TestFile,

    # Bench: run only these groups of cases (digest, formats, pipeline, memory, push, directory).
    [string[]] $BenchSection,

    # Bench: also build this commit (e.g. HEAD~3, a tag) and run its key cases beside this build's, for a
    # before/after comparison in one run.
    [string] $BaselineRef
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3
$ProgressPreference = 'SilentlyContinue'

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'StreamLayer'
$PackageOut = Join-Path $Out 'package'
$ResultsOut = Join-Path $Out 'test-results'

function Invoke-Native {
    # Runs a native command (the first argument) and stops the build when it fails. No param block, so that
    # arguments such as -o and -c reach the command instead of PowerShell's parameter binder.
    $command, $arguments = $args
    & $command @arguments
    if ($LASTEXITCODE -ne 0) { throw "$command $($arguments -join ' ') failed with exit code $LASTEXITCODE." }
}

function Get-NuGetPackagesFolder {
    $line = & dotnet nuget locals global-packages --list
    if ($LASTEXITCODE -ne 0 -or "$line" -notmatch 'global-packages:\s*(.+)$') { throw 'Cannot find the NuGet global packages folder.' }
    $Matches[1].Trim()
}

function Invoke-Build {
    Write-Host "Building StreamLayer ($Configuration)"
    $publish = Join-Path $Out "publish"
    Invoke-Native dotnet publish (Join-Path $Root 'src/StreamLayer.PowerShell/StreamLayer.PowerShell.csproj') -c $Configuration -o $publish --nologo -v quiet
    if (Test-Path $ModuleOut) { Remove-Item -Recurse -Force $ModuleOut }
    $null = New-Item -ItemType Directory -Force -Path $ModuleOut
    Copy-Item (Join-Path $publish '*.dll') $ModuleOut
    # libzstd for each platform (ZstdNet's), where the core looks for it: runtimes/<rid>/native.
    Copy-Item -Recurse (Join-Path $publish 'runtimes') $ModuleOut
    Copy-Item (Join-Path $Root 'StreamLayer.psd1'), (Join-Path $Root 'src/StreamLayer.PowerShell/StreamLayer.format.ps1xml') $ModuleOut
    Invoke-Docs
}

function Invoke-Docs {
    $source = Join-Path $Root 'docs/help/en-US'
    $target = Join-Path $ModuleOut 'en-US'
    if (Get-Module -ListAvailable -Name platyPS) {
        Write-Host 'Converting help with PlatyPS'
        Import-Module platyPS
        $null = New-ExternalHelp -Path $source -OutputPath $target -Force
    }
    else {
        Write-Host "Converting help with the project's converter (PlatyPS is not installed)"
        Import-Module (Join-Path $Root 'build/MarkdownHelp.psm1') -Force
        $null = ConvertTo-MamlHelp -Path $source -OutputPath $target
        $null = ConvertTo-AboutHelpText -Path $source -OutputPath $target
    }
}

# Commands the tests, the demo and the benchmark use, with the Debian packages that bring them.
$ToolPackages = [ordered]@{
    'docker-registry' = 'docker-registry'; skopeo = 'skopeo'; umoci = 'umoci'; pigz = 'pigz'; zstd = 'zstd'
    openssl = 'openssl'; htpasswd = 'apache2-utils'; gzip = 'gzip'; sha256sum = 'coreutils'; tar = 'tar'; cmp = 'diffutils'
    go = 'golang-go'; bc = 'bc'; time = 'time'; podman = 'podman'; runc = 'runc'; busybox = 'busybox-static'
    pzstd = 'zstd'; 'libdeflate-gzip' = 'libdeflate-tools'; igzip = 'isal'; xz = 'xz-utils'; bzip2 = 'bzip2'; lz4 = 'lz4'; zip = 'zip'; mkfifo = 'coreutils'; timeout = 'coreutils'; curl = 'curl'
}
$TestCommands = 'docker-registry', 'skopeo', 'umoci', 'pigz', 'zstd', 'openssl', 'htpasswd', 'gzip', 'sha256sum', 'tar', 'cmp',
    'podman', 'runc', 'busybox', 'pzstd', 'xz', 'bzip2', 'lz4', 'zip', 'mkfifo', 'timeout'

function Install-TestTools {
    # Installs missing commands from Debian's packages when run as root on Debian; otherwise names them.
    param([string[]] $Command = $TestCommands)
    $missing = @($Command | Where-Object { -not (Get-Command $_ -CommandType Application -ErrorAction Ignore) })
    if (-not $missing) { return }
    $packages = @($missing | ForEach-Object { $ToolPackages[$_] } | Sort-Object -Unique)
    $isRoot = $IsLinux -and ((& id -u) -eq '0')
    if ($isRoot -and (Get-Command apt-get -ErrorAction Ignore)) {
        Write-Host "Installing Debian packages: $($packages -join ' ')"
        $env:DEBIAN_FRONTEND = 'noninteractive'
        Invoke-Native apt-get update -qq | Write-Host
        Invoke-Native apt-get install -y -qq --no-install-recommends @packages | Write-Host
        return
    }
    throw "This needs $($missing -join ', '). Install the Debian packages $($packages -join ' ') (as root: apt-get install $($packages -join ' '))."
}

function Get-PesterModulePath {
    Invoke-Native dotnet restore (Join-Path $Root 'build/PesterRestore/PesterRestore.csproj') --nologo -v quiet
    $manifest = Join-Path (Get-NuGetPackagesFolder) 'pester/6.2.0/tools/Pester.psd1'
    if (-not (Test-Path $manifest)) { throw "Pester was restored, but $manifest is missing." }
    $manifest
}

function Invoke-Package {
    Write-Host 'Packaging out/StreamLayer with PSResourceGet'
    if (Test-Path $PackageOut) { Remove-Item -Recurse -Force $PackageOut }
    $null = New-Item -ItemType Directory -Force -Path $PackageOut
    $repository = "StreamLayerBuild-$PID"
    Register-PSResourceRepository -Name $repository -Uri $PackageOut -Trusted
    try {
        Publish-PSResource -Path $ModuleOut -Repository $repository -SkipDependenciesCheck
    }
    finally {
        Unregister-PSResourceRepository -Name $repository
    }
    Get-ChildItem $PackageOut -Filter *.nupkg
}

function Get-TrxCounts([string] $Path) {
    [xml] $trx = Get-Content -Raw $Path
    $counters = $trx.TestRun.ResultSummary.Counters
    [pscustomobject]@{ Passed = [int]$counters.passed; Failed = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted }
}

function Invoke-Test {
    Install-TestTools
    Invoke-Build
    $null = Invoke-Package
    $pester = Get-PesterModulePath
    $testServer = Join-Path $Out 'testserver'
    Invoke-Native dotnet build (Join-Path $Root 'tests/StreamLayer.TestServer') -c $Configuration -o $testServer --nologo -v quiet
    $env:STREAMLAYER_TESTSERVER = $testServer
    if (Test-Path $ResultsOut) { Remove-Item -Recurse -Force $ResultsOut }
    $null = New-Item -ItemType Directory -Force -Path $ResultsOut

    Write-Host 'Unit tests (StreamLayer.Core)'
    & dotnet test (Join-Path $Root 'tests/StreamLayer.Core.Tests') -c $Configuration --nologo -v quiet `
        --logger 'trx;LogFileName=core.trx' --logger 'console;verbosity=normal' --results-directory $ResultsOut
    $unit = if (Test-Path (Join-Path $ResultsOut 'core.trx')) { Get-TrxCounts (Join-Path $ResultsOut 'core.trx') } else { [pscustomobject]@{ Passed = 0; Failed = 1 } }

    Write-Host 'Pester tests (against out/StreamLayer, in a child process)'
    $summary = Join-Path $ResultsOut 'pester-summary.json'
    $runner = Join-Path $Root 'tests/Invoke-PesterTests.ps1'
    $tagArguments = if ($Tag) { @('-Tag', ($Tag -join ',')) } else { @() }
    if ($TestFile) { $tagArguments += @('-File', $TestFile) }
    & dotnet pwsh -NoProfile -NonInteractive -File $runner -PesterPath $pester -ModulePath (Join-Path $ModuleOut 'StreamLayer.psd1') `
        -PackagePath $PackageOut -SummaryPath $summary @tagArguments
    $pesterCounts = if (Test-Path $summary) { Get-Content -Raw $summary | ConvertFrom-Json } else { [pscustomobject]@{ Passed = 0; Failed = 1 } }

    $mono = Invoke-MonoChecks

    $passed = $unit.Passed + $pesterCounts.Passed + $mono.Passed
    $failed = $unit.Failed + $pesterCounts.Failed + $mono.Failed
    Write-Host "Unit: $($unit.Passed) passed, $($unit.Failed) failed. Pester: $($pesterCounts.Passed) passed, $($pesterCounts.Failed) failed."
    Write-Host "Mono (.NET Framework code paths): $($mono.Passed) passed, $($mono.Failed) failed"
    Write-Output "$passed passed, $failed failed"
    if ($failed -gt 0) { exit 1 }
}

function Invoke-MonoChecks {
    # The .NET Framework code paths of the core (its net472 build) run on Debian's Mono by tests/StreamLayer.MonoChecks,
    # judged by gzip, zstd, sha256sum, openssl and a real docker-registry. Mono is not .NET Framework: its HTTP stack
    # and TLS are its own, so the result is reported as Mono, never as Windows PowerShell 5.1.
    $packages = 'mono-runtime', 'libmono-system-net-http4.0-cil', 'libmono-system-io-compression4.0-cil'
    $assemblies = '/usr/lib/mono/4.5/System.Net.Http.dll', '/usr/lib/mono/4.5/System.IO.Compression.dll'
    if (-not (Get-Command mono -CommandType Application -ErrorAction Ignore) -or @($assemblies | Where-Object { -not (Test-Path $_) })) {
        if (-not ($IsLinux -and ((& id -u) -eq '0') -and (Get-Command apt-get -ErrorAction Ignore))) {
            throw "The Mono checks need Mono. Install the Debian packages $($packages -join ' ') (as root: apt-get install $($packages -join ' '))."
        }
        Write-Host "Installing Debian packages: $($packages -join ' ')"
        $env:DEBIAN_FRONTEND = 'noninteractive'
        Invoke-Native apt-get update -qq | Write-Host
        Invoke-Native apt-get install -y -qq --no-install-recommends @packages | Write-Host
    }

    Write-Host 'Mono checks (the .NET Framework code paths of the net472 build, on Mono)'
    $checks = Join-Path $Out 'monochecks'
    Invoke-Native dotnet build (Join-Path $Root 'tests/StreamLayer.MonoChecks') -c $Configuration -o $checks --nologo -v quiet | Write-Host
    Import-Module (Join-Path $Root 'tests/Pester/TestRegistry.psm1') -Force
    $summary = Join-Path $ResultsOut 'mono-summary.json'
    $registry = Start-TestRegistry
    try {
        & mono (Join-Path $checks 'StreamLayer.MonoChecks.exe') --summary $summary --registry $registry.Host --registry-storage $registry.Storage | Write-Host
    }
    finally {
        Stop-TestRegistry $registry
    }
    if (Test-Path $summary) { Get-Content -Raw $summary | ConvertFrom-Json } else { [pscustomobject]@{ Passed = 0; Failed = 1 } }
}

function Build-Baseline([string] $Ref) {
    # Lays out the module as it was at $Ref in out/baseline/StreamLayer, from a temporary worktree.
    $tree = Join-Path $Out 'baseline-src'
    $target = Join-Path $Out 'baseline/StreamLayer'
    if (Test-Path $tree) { Invoke-Native git -C $Root worktree remove --force $tree }
    Invoke-Native git -C $Root worktree add --detach --quiet $tree $Ref
    try {
        Write-Host "Building the baseline ($Ref)"
        $publish = Join-Path $Out 'baseline/publish'
        Invoke-Native dotnet publish (Join-Path $tree 'src/StreamLayer.PowerShell/StreamLayer.PowerShell.csproj') -c Release -o $publish --nologo -v quiet
        if (Test-Path $target) { Remove-Item -Recurse -Force $target }
        $null = New-Item -ItemType Directory -Force -Path $target
        Copy-Item (Join-Path $publish '*.dll') $target
        Copy-Item (Join-Path $tree 'StreamLayer.psd1'), (Join-Path $tree 'src/StreamLayer.PowerShell/StreamLayer.format.ps1xml') $target
    }
    finally {
        Invoke-Native git -C $Root worktree remove --force $tree
    }
    Join-Path $target 'StreamLayer.psd1'
}

function Invoke-Bench {
    Install-TestTools -Command 'docker-registry', 'skopeo', 'pigz', 'zstd', 'libdeflate-gzip', 'igzip', 'curl', 'gzip', 'sha256sum', 'tar', 'go', 'bc', 'time'
    Invoke-Build
    $sections = if ($BenchSection) { @('-Section', ($BenchSection -join ',')) } else { @() }
    if ($BaselineRef) { $sections += @('-BaselineModulePath', (Build-Baseline $BaselineRef)) }
    & dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'bench/Invoke-Benchmark.ps1') `
        -ModulePath (Join-Path $ModuleOut 'StreamLayer.psd1') @sections
    if ($LASTEXITCODE -ne 0) { throw "The benchmark failed with exit code $LASTEXITCODE." }
}

function Invoke-Demo {
    Install-TestTools -Command 'docker-registry', 'tar'
    Invoke-Build
    & dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'demo/Invoke-Demo.ps1') -ModulePath (Join-Path $ModuleOut 'StreamLayer.psd1')
    if ($LASTEXITCODE -ne 0) { throw "The demo failed with exit code $LASTEXITCODE." }
}

Push-Location $Root
try {
    switch ($Task) {
        'Build' { Invoke-Build }
        'Docs' { Invoke-Docs }
        'Test' { Invoke-Test }
        'Bench' { Invoke-Bench }
        'Package' { Invoke-Build; Invoke-Package }
        'Demo' { Invoke-Demo }
    }
}
finally {
    Pop-Location
}
