# The config fields and annotations of Push-StreamLayer -Tag, read back by tools that know nothing of
# StreamLayer: skopeo inspect --config for each config field, inspect --raw for the manifest's annotations,
# and podman, which runs a scratch image with no arguments and must do what -Entrypoint and the rest set.
BeforeAll {
    Import-Module $env:STREAMLAYER_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRegistry.psm1') -Force

    $script:work = New-TestDirectory
    $script:busybox = (New-BusyboxTar -Path (Join-Path $work 'busybox.tar')).FullName
    $script:data = (New-TestTar -Path (Join-Path $work 'data.tar') -SizeKiB 64 -Seed 7 -Folder 'srv/data').FullName
    $script:podman = New-TestPodmanRoot
    $script:registry = Start-TestRegistry
    $script:reg = $registry.Host

    function script:Invoke-Skopeo {
        $output = & skopeo @args 2>&1
        if ($LASTEXITCODE -ne 0) { throw "skopeo $args failed: $output" }
        $output -join "`n"
    }

    function script:Get-Config([string] $Reference) { Invoke-Skopeo inspect --tls-verify=false --config "docker://$Reference" | ConvertFrom-Json -DateKind String }
    # The config blob as written: skopeo's --config output drops null and empty fields.
    function script:Get-RawConfig([string] $Reference) { Invoke-Skopeo inspect --tls-verify=false --config --raw "docker://$Reference" | ConvertFrom-Json -AsHashtable }
    function script:Get-RawManifest([string] $Reference) { Invoke-Skopeo inspect --tls-verify=false --raw "docker://$Reference" | ConvertFrom-Json -AsHashtable }

    # A base with a runtime config of its own, written as crane mutate would (OCI, with manifest annotations):
    # Env, Cmd, Entrypoint, WorkingDir, User, Labels, all of which the tests below override or keep.
    $script:baseImage = Push-StreamLayer -Path $busybox -Repository "$reg/base" -Tag '1' -MediaType Oci `
        -Entrypoint '/bin/busybox', 'echo' -Cmd 'base', 'args' -Environment @{ PATH = '/bin'; KEEP = 'base'; REPLACED = 'base' } `
        -WorkingDirectory '/' -User '0' -Label @{ keep = 'base'; replaced = 'base' } -Annotation @{ 'base.kept' = 'yes'; 'base.replaced' = 'base' }
}

AfterAll {
    if ($script:registry) { Stop-TestRegistry $script:registry }
    Remove-Item -Recurse -Force $script:work, $script:podman -ErrorAction Ignore
}

Describe 'Push-StreamLayer -Tag with config fields, on scratch' {
    BeforeAll {
        $script:image = Push-StreamLayer -Path $busybox -Repository "$reg/run" -Tag '1' `
            -Entrypoint '/bin/busybox', 'sh', '-c' -Cmd 'echo "$GREETING from $(pwd) as $(id -u):$(id -g)"' `
            -Environment @{ GREETING = 'hello'; EMPTY = '' } -WorkingDirectory '/srv' -User '1000:1001' `
            -Label @{ 'org.opencontainers.image.version' = '1.0'; count = 3 } -Annotation @{ 'org.opencontainers.image.source' = 'https://example.com/app' }
        $script:config = Get-Config "$reg/run:1"
    }

    It 'writes each field into the config, as skopeo inspect --config reads it' {
        $config.config.Entrypoint | Should -Be @('/bin/busybox', 'sh', '-c')
        $config.config.Cmd | Should -Be @('echo "$GREETING from $(pwd) as $(id -u):$(id -g)"')
        $config.config.Env | Should -Be @('EMPTY=', 'GREETING=hello') -Because 'new variables come in ordinal order'
        $config.config.WorkingDir | Should -Be '/srv'
        $config.config.User | Should -Be '1000:1001'
        $config.config.Labels.'org.opencontainers.image.version' | Should -Be '1.0'
        $config.config.Labels.count | Should -Be '3' -Because 'label values are text'
    }

    It 'writes -Annotation into the manifest, which makes a scratch image OCI' {
        $manifest = Get-RawManifest "$reg/run:1"
        $manifest.annotations | Should -Not -BeNullOrEmpty
        $manifest.annotations['org.opencontainers.image.source'] | Should -Be 'https://example.com/app'
        $manifest.mediaType | Should -Be 'application/vnd.oci.image.manifest.v1+json'
        $image.MediaType | Should -Be 'application/vnd.oci.image.manifest.v1+json'
        $image.Layers[0].MediaType | Should -Be 'application/vnd.oci.image.layer.v1.tar+gzip'
    }

    It 'records what was set in a history entry of no layer' {
        @($config.history).Count | Should -Be 2
        $config.history[0].empty_layer | Should -BeNullOrEmpty
        $entry = $config.history[1]
        $entry.empty_layer | Should -BeTrue
        $entry.created | Should -Be '1970-01-01T00:00:00Z'
        $entry.created_by | Should -Match ('^' + [regex]::Escape('Push-StreamLayer -Entrypoint ["/bin/busybox","sh","-c"] -Cmd ["echo '))
        $entry.created_by | Should -Match ([regex]::Escape(' -Environment {"EMPTY":"","GREETING":"hello"} -WorkingDirectory "/srv" -User "1000:1001" -Label {"count":"3","org.opencontainers.image.version":"1.0"}') + '$')
    }

    It 'runs in podman with no arguments and does what was set' -Tag 'Podman' {
        $output = Invoke-TestPodmanRun -Root $podman -Image "$reg/run:1"
        $output[-1] | Should -Be 'hello from /srv as 1000:1001'

        # Arguments replace Cmd and keep the Entrypoint, as for any image.
        $output = Invoke-TestPodmanRun -Root $podman -Image "$reg/run:1" -Arguments 'echo "$GREETING again"; cat /etc/marker'
        $output[-2..-1] | Should -Be @('hello again', 'busybox')

        $inspect = (Invoke-TestPodman -Root $podman -Arguments @('image', 'inspect', "$reg/run:1")) -join "`n" | ConvertFrom-Json
        $inspect[0].Config.Entrypoint | Should -Be @('/bin/busybox', 'sh', '-c')
        $inspect[0].RootFS.Layers | Should -Be @($image.Layers[0].DiffId) -Because 'podman accepts wrong diff_ids, so compare them to ours'
    }
}

Describe 'Push-StreamLayer -Tag with config fields, on a base' {
    BeforeAll {
        $script:base = Get-Config "$reg/base:1"
        $script:onBase = Push-StreamLayer -Path $data -Repository "$reg/on-base" -Tag '1' -BaseImage "$reg/base:1" `
            -Environment @{ REPLACED = 'new'; ADDED = 'new'; PATH = $null } -Label @{ replaced = 'new'; added = 'new' } -Annotation @{ 'base.replaced' = 'new'; added = 'new' }
        $script:config = Get-Config "$reg/on-base:1"
    }

    It 'reads the base as skopeo does: the fields the tests override are there' {
        $base.config.Env | Should -Be @('KEEP=base', 'PATH=/bin', 'REPLACED=base')
        $base.config.Cmd | Should -Be @('base', 'args')
    }

    It 'merges Env: a variable of the base is replaced in place, a new one appended, $null removes one' {
        $config.config.Env | Should -Be @('KEEP=base', 'REPLACED=new', 'ADDED=new')
    }

    It 'merges Labels, the new value winning' {
        $labels = $config.config.Labels
        @($labels.PSObject.Properties.Name) | Should -Be @('added', 'keep', 'replaced')
        $labels.keep | Should -Be 'base'
        $labels.replaced | Should -Be 'new'
        $labels.added | Should -Be 'new'
    }

    It 'keeps the base manifest''s annotations and merges the new ones' {
        $annotations = (Get-RawManifest "$reg/on-base:1").annotations
        $annotations['base.kept'] | Should -Be 'yes'
        $annotations['base.replaced'] | Should -Be 'new'
        $annotations['added'] | Should -Be 'new'
    }

    It 'keeps the base''s Entrypoint, Cmd, WorkingDir and User when they are not given' {
        $config.config.Entrypoint | Should -Be @('/bin/busybox', 'echo')
        $config.config.Cmd | Should -Be @('base', 'args')
        $config.config.WorkingDir | Should -Be '/'
        $config.config.User | Should -Be '0'
    }

    It 'clears the base''s Cmd when -Entrypoint comes without -Cmd, as docker does' {
        $null = Push-StreamLayer -Path $data -Repository "$reg/new-entrypoint" -Tag '1' -BaseImage "$reg/base:1" -Entrypoint '/bin/busybox', 'true'
        $config = Get-RawConfig "$reg/new-entrypoint:1"
        $config.config.Entrypoint | Should -Be @('/bin/busybox', 'true')
        $config.config.Keys | Should -Contain 'Cmd'
        $config.config['Cmd'] | Should -BeNullOrEmpty -Because 'Cmd is null, as docker writes it'
    }

    It 'replaces Cmd alone, keeping the base''s Entrypoint; an empty -Cmd clears it' {
        $null = Push-StreamLayer -Path $data -Repository "$reg/new-cmd" -Tag 'given', 'x' -BaseImage "$reg/base:1" -Cmd 'new'
        (Get-Config "$reg/new-cmd:given").config.Entrypoint | Should -Be @('/bin/busybox', 'echo')
        (Get-Config "$reg/new-cmd:given").config.Cmd | Should -Be @('new')
        $null = Push-StreamLayer -Path $data -Repository "$reg/new-cmd" -Tag 'cleared' -BaseImage "$reg/base:1" -Cmd @()
        $cleared = (Get-RawConfig "$reg/new-cmd:cleared").config['Cmd']
        $cleared.GetType() | Should -Be ([object[]]) -Because 'skopeo --config drops an empty Cmd, so the raw config is read'
        $cleared.Count | Should -Be 0
    }

    It 'appends the new layer and the settings'' history entry to the base''s history' {
        @($config.history).Count | Should -Be (@($base.history).Count + 2)
        $config.history[-1].created_by | Should -BeLike 'Push-StreamLayer -Environment {"ADDED":"new","PATH":null,"REPLACED":"new"} -Label *'
        $onBase.Layers.Count | Should -Be 2
    }
}

Describe 'Images with config fields are reproducible' {
    It 'gives the same manifest digest for the same inputs, in a new process, whatever the hashtables'' order' {
        $script:options = @{ Path = $busybox; Repository = "$reg/repro"; Entrypoint = '/bin/busybox'; WorkingDirectory = '/srv' }
        $first = Push-StreamLayer @options -Tag 'a' -Environment @{ A = '1'; B = '2'; C = '3' } -Label @{ x = '1'; y = '2' } -Annotation @{ p = '1'; q = '2' }
        $command = "Import-Module '$env:STREAMLAYER_MODULE'; " +
            "(Push-StreamLayer -Path '$busybox' -Repository '$reg/repro' -Tag 'b' -Entrypoint '/bin/busybox' -WorkingDirectory '/srv' " +
            "-Environment ([ordered]@{ C = '3'; B = '2'; A = '1' }) -Label @{ y = '2'; x = '1' } -Annotation @{ q = '2'; p = '1' }).ManifestDigest"
        $second = Invoke-ChildPwsh $command
        $LASTEXITCODE | Should -Be 0
        $second | Should -Be $first.ManifestDigest

        $different = Push-StreamLayer @options -Tag 'c' -Environment @{ A = '1'; B = '2'; C = 'other' } -Label @{ x = '1'; y = '2' } -Annotation @{ p = '1'; q = '2' }
        $different.ManifestDigest | Should -Not -Be $first.ManifestDigest
    }
}

Describe 'Push-StreamLayer config field errors' {
    It 'refuses <Name> with <Id>, writing nothing' -ForEach @(
        @{ Name = '-Entrypoint without -Tag'; Id = 'TagRequired'; Run = { Push-StreamLayer -Path $data -Repository "$reg/x" -Entrypoint '/app' } }
        @{ Name = '-Environment without -Tag'; Id = 'TagRequired'; Run = { Push-StreamLayer -Path $data -Repository "$reg/x" -Environment @{ A = '1' } } }
        @{ Name = '-Annotation without -Tag'; Id = 'TagRequired'; Run = { Push-StreamLayer -Path $data -Repository "$reg/x" -Annotation @{ a = '1' } } }
        @{ Name = 'a variable name with ='; Id = 'InvalidOption'; Run = { Push-StreamLayer -Path $data -Repository "$reg/x" -Tag '1' -Environment @{ 'A=B' = '1' } } }
        @{ Name = 'an empty label name'; Id = 'InvalidOption'; Run = { Push-StreamLayer -Path $data -Repository "$reg/x" -Tag '1' -Label @{ '' = '1' } } }
        # Values the image cannot hold as given: no process can be given a NUL, JSON's UTF-8 turns a lone surrogate into U+FFFD,
        # and no registry takes a manifest over 4 MiB (docker-registry answers 400 only after the layer and config were pushed).
        @{ Name = 'a NUL in a variable''s value'; Id = 'InvalidOption'; Why = 'NUL character'; Run = { Push-StreamLayer -Path $data -Repository "$reg/x" -Tag '1' -Environment @{ A = "x`0y" } } }
        @{ Name = 'a NUL in an -Entrypoint item'; Id = 'InvalidOption'; Why = 'NUL character'; Run = { Push-StreamLayer -Path $data -Repository "$reg/x" -Tag '1' -Entrypoint "/bin/a`0b" } }
        @{ Name = 'a lone surrogate in a label'; Id = 'InvalidOption'; Why = 'lone surrogate'; Run = { Push-StreamLayer -Path $data -Repository "$reg/x" -Tag '1' -Label @{ l = "a$([char]0xD800)b" } } }
        @{ Name = 'a lone surrogate in an annotation name'; Id = 'InvalidOption'; Why = 'lone surrogate'; Run = { Push-StreamLayer -Path $data -Repository "$reg/x" -Tag '1' -Annotation @{ "a$([char]0xDC00)" = 'b' } } }
        @{ Name = 'annotations of 5 MiB'; Id = 'InvalidOption'; Why = 'over 4 MiB'; Run = { Push-StreamLayer -Path $data -Repository "$reg/x" -Tag '1' -Annotation @{ big = 'x' * 5MB } } }
    ) {
        $caught = $null
        try { & $Run } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $caught.CategoryInfo.Category | Should -Be 'InvalidArgument'
        if ($Why) { $caught.Exception.Message | Should -Match $Why }
        Test-Path (Join-Path $registry.Storage 'docker/registry/v2/repositories/x') | Should -BeFalse
    }

    It 'writes exactly the values given: quotes, newlines, tabs, unicode, ''='', a NUL in a label, a 200 KB value, and names differing only in case' {
        # PowerShell's @{} ignores case; a hashtable with an ordinal comparer keeps PATH and path apart, as the image does.
        $environment = [hashtable]::new([StringComparer]::Ordinal)
        $environment['QUOTES'] = 'say "hi" and ''bye'''; $environment['LINES'] = "one`ntwo"; $environment['UNICODE'] = 'héllo ✓ 日本 😀'
        $environment['EQUALS'] = 'a=b=c'; $environment['LONG'] = 'v' * 200KB; $environment['path'] = 'lower'; $environment['PATH'] = 'upper'
        $labels = [hashtable]::new([StringComparer]::Ordinal)
        $labels['a"b'] = "x`ny"; $labels['k=v'] = 'eq'; $labels['ключ'] = 'значение'; $labels['Case'] = '1'; $labels['case'] = '2'; $labels['tab'] = "a`tb"; $labels['nul'] = "a`0b"
        $annotations = [hashtable]::new([StringComparer]::Ordinal)
        $annotations['org.x'] = "multi`nline `"q`""; $annotations['org.X'] = 'upper'; $annotations['emoji'] = '😀'
        $null = Push-StreamLayer -Path $data -Repository "$reg/exact" -Tag '1' -Environment $environment -Label $labels -Annotation $annotations

        $config = Get-RawConfig "$reg/exact:1"
        $expected = [string[]]@($environment.Keys | ForEach-Object { "$_=$($environment[$_])" })
        [Array]::Sort($expected, [StringComparer]::Ordinal)
        $config.config.Env | Should -BeExactly $expected -Because 'each variable as given, in ordinal order'
        $config.config.Labels.Count | Should -Be $labels.Count
        foreach ($name in $labels.Keys) { $config.config.Labels[$name] | Should -BeExactly $labels[$name] -Because "label $name" }
        $manifest = Get-RawManifest "$reg/exact:1"
        foreach ($name in $annotations.Keys) { $manifest.annotations[$name] | Should -BeExactly $annotations[$name] -Because "annotation $name" }
    }

    It 'refuses -Annotation on a Docker schema 2 base, which has no annotations, before reading any input' {
        $null = Push-StreamLayer -Path $data -Repository "$reg/docker-base" -Tag '1'
        $caught = $null
        try { Push-StreamLayer -Path $data -Repository "$reg/annotated" -Tag '1' -BaseImage "$reg/docker-base:1" -Annotation @{ a = '1' } } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'FormatConflict,*'
        $caught.Exception.Message | Should -Match 'no annotations'
        Test-Path (Join-Path $registry.Storage 'docker/registry/v2/repositories/annotated/_manifests') | Should -BeFalse
    }
}
