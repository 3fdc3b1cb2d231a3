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

function Start-ChildPwsh {
    # Starts $Command in a new PowerShell process of the same kind as this one, with its output redirected, and
    # returns the process; the caller waits for it (bounded) or signals it. SIGINT is left as the caller's shell
    # would leave it: 'default', or 'ignored' as a script's background job (pwsh -c ... &, without job control)
    # has it. env sets it, then execs.
    param([Parameter(Mandatory)] [string] $Command, [ValidateSet('default', 'ignored')] [string] $Interrupt = 'default')
    $hostPath = (Get-Process -Id $PID).Path
    $first = [Environment]::GetCommandLineArgs()[0]
    $start = [Diagnostics.ProcessStartInfo]::new('env')
    $start.ArgumentList.Add($(if ($Interrupt -eq 'ignored') { '--ignore-signal=INT' } else { '--default-signal=INT' }))
    $start.ArgumentList.Add($hostPath)
    if ($first -like '*.dll') { $start.ArgumentList.Add($first) }
    foreach ($a in '-NoProfile', '-NonInteractive', '-Command', $Command) { $start.ArgumentList.Add($a) }
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    [Diagnostics.Process]::Start($start)
}

function New-BusyboxTar {
    <#
    .SYNOPSIS
    A tar that a scratch image can run: busybox-static's /bin/busybox, a /srv folder, and a marker file.
    #>
    param([Parameter(Mandatory)] [string] $Path, [string] $Marker = 'busybox')
    $source = Join-Path ([IO.Path]::GetTempPath()) ("streamlayer-src-" + [guid]::NewGuid())
    $null = New-Item -ItemType Directory -Path (Join-Path $source 'bin'), (Join-Path $source 'srv'), (Join-Path $source 'etc')
    Copy-Item /bin/busybox (Join-Path $source 'bin/busybox')
    [IO.File]::WriteAllText((Join-Path $source 'etc/marker'), "$Marker`n")
    & tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2020-01-01 00:00Z' -C $source -cf $Path .
    if ($LASTEXITCODE -ne 0) { throw "tar failed for $Path" }
    Remove-Item -Recurse -Force $source
    Get-Item $Path
}

function New-TestPodmanRoot {
    # A short folder: podman refuses a runroot path longer than 50 characters.
    $path = "/tmp/slp-" + [guid]::NewGuid().ToString('N').Substring(0, 8)
    (New-Item -ItemType Directory -Path $path).FullName
}

function Invoke-TestPodman {
    <#
    .SYNOPSIS
    Runs podman as it works on these machines (root, vfs storage and cgroupfs under -Root) and returns
    its output lines; throws with the output when it fails. Invoke-TestPodmanRun runs an image.
    #>
    param([Parameter(Mandatory)] [string] $Root, [Parameter(Mandatory)] [string[]] $Arguments)
    $global = @('--root', "$Root/root", '--runroot', "$Root/runroot", '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs',
        '--events-backend', 'file', '--tmpdir', "$Root/tmp")
    $output = & podman @global @Arguments 2>&1
    if ($LASTEXITCODE -ne 0) { throw "podman $Arguments failed ($LASTEXITCODE): $($output -join "`n")" }
    @($output | ForEach-Object { "$_" })
}

function Invoke-TestPodmanRun {
    <#
    .SYNOPSIS
    podman run --rm of -Image (a reference in the plain-http test registry, or oci:<layout>:<tag>) with runc, no
    network and bounded ulimits, as the tests run every image; -Arguments follow the image. Returns the output lines.
    #>
    param([Parameter(Mandatory)] [string] $Root, [Parameter(Mandatory)] [string] $Image, [string[]] $Arguments = @())
    $run = @('run', '--rm', '--runtime', 'runc', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024')
    if (-not $Image.StartsWith('oci:')) { $run += '--tls-verify=false' }
    Invoke-TestPodman -Root $Root -Arguments ($run + $Image + $Arguments)
}

function New-TestDirectory {
    $path = Join-Path ([IO.Path]::GetTempPath()) ("streamlayer-test-" + [guid]::NewGuid())
    (New-Item -ItemType Directory -Path $path).FullName
}

if (-not ('TestInputStream' -as [type])) {
    Add-Type -TypeDefinition @'
using System;
using System.IO;
using System.Threading;

// An input the tests control: reads a file (or, with none, an endless tar: one header, then random bytes) at most Chunk bytes at a time,
// each read after DelayMs; stops once for PauseMs after PauseAfter bytes (a token can expire meanwhile);
// counts its reads (to prove that -WhatIf reads nothing); seekable only when asked (for percent progress).
public sealed class TestInputStream : Stream
{
    private readonly Stream _inner;
    private readonly int _chunk, _delayMs;
    private long _read;
    private bool _paused;
    public int Reads;
    public bool Seekable;
    public long PauseAfter = -1;
    public int PauseMs;
    public TestInputStream(Stream inner, int chunk, int delayMs) { _inner = inner; _chunk = chunk; _delayMs = delayMs; }
    // A ustar header of a file of 64 GiB, so that what follows is its content.
    private static readonly byte[] EndlessTarHeader = MakeHeader("endless.bin", 1L << 36);
    private static byte[] MakeHeader(string name, long size)
    {
        var h = new byte[512];
        void Put(int at, string text) => System.Text.Encoding.ASCII.GetBytes(text).CopyTo(h, at);
        Put(0, name); Put(100, "0000644\0"); Put(108, "0000000\0"); Put(116, "0000000\0");
        Put(124, Convert.ToString(size, 8).PadLeft(11, '0') + "\0"); Put(136, "00000000000\0"); Put(148, "        ");
        h[156] = (byte)'0'; Put(257, "ustar\0" + "00");
        int sum = 0; foreach (byte b in h) sum += b;
        Put(148, Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ");
        return h;
    }
    public static TestInputStream Open(string path, int chunk = 65536, int delayMs = 0) => new TestInputStream(File.OpenRead(path), chunk, delayMs);
    public static TestInputStream Pausing(string path, long after, int ms) { var s = Open(path); s.PauseAfter = after; s.PauseMs = ms; return s; }
    public override int Read(byte[] buffer, int offset, int count)
    {
        Interlocked.Increment(ref Reads);
        if (_delayMs > 0) Thread.Sleep(_delayMs);
        if (PauseAfter >= 0 && !_paused && _read >= PauseAfter) { _paused = true; Thread.Sleep(PauseMs); }
        long most = Math.Min(count, _chunk);
        if (PauseAfter >= 0 && !_paused) most = Math.Min(most, PauseAfter - _read);
        int n;
        if (_inner == null && _read < 512) { n = (int)Math.Min(most, 512 - _read); Array.Copy(EndlessTarHeader, _read, buffer, offset, n); }
        else if (_inner == null) { n = (int)most; new Random(Reads).NextBytes(new Span<byte>(buffer, offset, n)); }
        else { n = _inner.Read(buffer, offset, (int)most); }
        _read += n;
        return n;
    }
    public override bool CanRead => true;
    public override bool CanSeek => Seekable && _inner != null && _inner.CanSeek;
    public override bool CanWrite => false;
    public override long Length => _inner.Length;
    public override long Position { get => _inner.Position; set => _inner.Position = value; }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => _inner.Seek(offset, origin);
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    protected override void Dispose(bool disposing) { if (disposing) _inner?.Dispose(); base.Dispose(disposing); }
}
'@
}

Export-ModuleMember -Function New-TestTar, New-BusyboxTar, New-TestPodmanRoot, Invoke-TestPodman, Invoke-TestPodmanRun, Get-Sha256Sum, Get-GunzipSha256, Invoke-ChildPwsh, Start-ChildPwsh, New-TestDirectory
