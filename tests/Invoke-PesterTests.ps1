<#
.SYNOPSIS
Runs the Pester suite against the built module; build.ps1 Test starts it in a child process so the module's
dlls are never loaded (and locked) by the build's own process.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $SummaryPath,
    [string] $PackagePath,
    [string[]] $Tag,
    # Only the test files whose names contain this (for a quick run of one area).
    [string] $File
)

$ErrorActionPreference = 'Stop'
Import-Module $PesterPath -Force

# The test files import the module from here.
$env:STREAMLAYER_MODULE = (Resolve-Path $ModulePath).Path
$env:STREAMLAYER_PACKAGE = $PackagePath

$configuration = New-PesterConfiguration
$configuration.Run.Path = if ($File) { @(Get-ChildItem (Join-Path $PSScriptRoot 'Pester') -Filter "*$File*.Tests.ps1").FullName } else { Join-Path $PSScriptRoot 'Pester' }
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
if ($Tag) { $configuration.Filter.Tag = $Tag -split ',' }

$result = Invoke-Pester -Configuration $configuration
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
[pscustomobject]@{ Passed = $result.PassedCount; Failed = $failed } | ConvertTo-Json | Set-Content -LiteralPath $SummaryPath
