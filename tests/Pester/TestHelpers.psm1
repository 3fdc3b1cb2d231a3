# Shared by the Pester test files: real inputs and independent checks.
Set-StrictMode -Version 3

function New-TestTar {
    <#
    .SYNOPSIS
    Makes a real tar (with GNU tar) of about SizeKiB: text, random binary data, a nested folder and a symlink.
    #>
    param([Parameter(Mandatory)] [string] $Path, [int] $SizeKiB = 256, [int] $Seed = 1, [string] $Folder = 'etc/app')

    $source = Join-Path ([IO.Path]::GetTempPath()) ("streamlayer-src-" + [guid]::NewGuid())
    $null = New-Item -ItemType Directory -Path (Join-Path $source $Folder)
    $random = [Random]::new($Seed)
    $text = ('the quick brown fox jumps over the lazy dog {0}' -f $Seed + "`n") * 64
    $written = 0
    $i = 0
    while ($written -lt $SizeKiB * 1KB) {
        $size = $random.Next(4KB, 192KB)
        $bytes = [byte[]]::new($size)
        if ($i % 3 -eq 0) { $random.NextBytes($bytes) }
        else { [Text.Encoding]::ASCII.GetBytes(($text * (1 + [Math]::Floor($size / $text.Length))).Substring(0, $size)).CopyTo($bytes, 0) }
        [IO.File]::WriteAllBytes((Join-Path $source ("$Folder/file{0:D4}.dat" -f $i)), $bytes)
        $written += $size
        $i++
    }
    [IO.File]::WriteAllText((Join-Path $source 'README'), "StreamLayer test tar $Seed`n")
    $null = New-Item -ItemType SymbolicLink -Path (Join-Path $source 'link') -Target 'README'
    # Fixed owner and time, so the same seed gives the same tar.
    & tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2020-01-01 00:00Z' -C $source -cf $Path .
    if ($LASTEXITCODE -ne 0) { throw "tar failed for $Path" }
    Remove-Item -Recurse -Force $source
    Get-Item $Path
}

function Get-Sha256Sum {
    # The digest as sha256sum (coreutils) computes it, independent of .NET.
    param([Parameter(Mandatory)] [string] $Path)
    $line = & sha256sum -b $Path
    if ($LASTEXITCODE -ne 0) { throw "sha256sum failed for $Path" }
    'sha256:' + ($line -split '\s+')[0]
}

function Get-GunzipSha256 {
    # sha256 of what gzip -dc restores from a blob, and whether gzip itself found it valid.
    param([Parameter(Mandatory)] [string] $Path)
    $line = & bash -c 'set -o pipefail; gzip -dc "$1" | sha256sum' _ $Path
    if ($LASTEXITCODE -ne 0) { throw "gzip -dc failed for $Path" }
    'sha256:' + ($line -split '\s+')[0]
}

function Invoke-ChildPwsh {
    # Runs a command in a new PowerShell process of the same kind as this one (pwsh, or dotnet pwsh.dll).
    param([Parameter(Mandatory)] [string] $Command)
    $host0 = (Get-Process -Id $PID).Path
    $first = [Environment]::GetCommandLineArgs()[0]
    [string[]] $prefix = if ($first -like '*.dll') { @($first) } else { @() }
    & $host0 @prefix -NoProfile -NonInteractive -Command $Command
}

function New-TestDirectory {
    $path = Join-Path ([IO.Path]::GetTempPath()) ("streamlayer-test-" + [guid]::NewGuid())
    (New-Item -ItemType Directory -Path $path).FullName
}

Export-ModuleMember -Function New-TestTar, Get-Sha256Sum, Get-GunzipSha256, Invoke-ChildPwsh, New-TestDirectory
