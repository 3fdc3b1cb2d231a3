# The help as Get-Help renders it: every parameter documented (the drift test), a DESCRIPTION short enough for
# the prompt that points to about_StreamLayer, examples as PlatyPS lays them out whose output is what the module
# prints now, and about_StreamLayer holding the depth: every error id, the credential order, certs.d, redirects.
BeforeDiscovery {
    $module = Import-Module $env:STREAMLAYER_MODULE -Force -PassThru
    $script:cmdlets = @($module.ExportedCmdlets.Keys | ForEach-Object { @{ Name = $_ } })

    # Every ```output block of every cmdlet page, cut into the views it shows (parts separated by empty lines),
    # with the code of its example: the output of code that pipes to Format-List is a list, else the default view.
    $docs = Join-Path $PSScriptRoot '../../docs/help/en-US'
    $script:outputs = foreach ($page in Get-ChildItem $docs -Filter '*.md' | Where-Object Name -NotLike 'about_*') {
        $example = $null
        $code = ''
        $block = $null
        $fence = $null
        foreach ($line in [IO.File]::ReadAllLines($page.FullName)) {
            if ($line -match '^### (Example \d+)') { $example = $Matches[1]; $code = ''; continue }
            if ($null -eq $block -and $line -match '^```(\w+)$') { $fence = $Matches[1]; $block = [Collections.Generic.List[string]]::new(); continue }
            if ($null -ne $block -and $line -eq '```') {
                if ($fence -eq 'powershell') { $code = $block -join "`n" }
                elseif ($fence -eq 'output') {
                    foreach ($part in ($block -join "`n") -split "`n\s*`n") {
                        @{ Page = $page.BaseName; Example = $example; Code = $code; Text = $part }
                    }
                }
                $block = $null
                continue
            }
            if ($null -ne $block) { $block.Add($line) }
        }
    }
}

BeforeAll {
    Import-Module $env:STREAMLAYER_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot '../../build/MarkdownHelp.psm1') -Force
    $script:docs = Join-Path $PSScriptRoot '../../docs/help/en-US'
    # -WhatIf and -Confirm are documented on the page, as PlatyPS does; the other common parameters are not.
    $script:common = [Management.Automation.PSCmdlet]::CommonParameters + 'UseTransaction'

    # The lines of a section of rendered help: from its heading (a line in capitals at the margin) to the next one.
    function script:Get-HelpSection([string[]] $Lines, [string] $Heading) {
        $start = [array]::IndexOf($Lines, $Heading)
        if ($start -lt 0) { throw "The rendered help has no $Heading heading." }
        $end = $start + 1
        while ($end -lt $Lines.Count -and $Lines[$end] -notmatch '^[A-Z][A-Z ]*[A-Z]$') { $end++ }
        $Lines[($start + 1)..($end - 1)]
    }

    # Rendered help breaks lines at the width, inside words; this undoes it, so that a name can be searched for.
    function script:Join-HelpLines([string[]] $Lines) { ($Lines | ForEach-Object { $_ -replace '^ {4}', '' }) -join '' }

    # What a rendered view is, whatever its values: a table's column headers, or a list's labels.
    function script:Get-ViewShape([string] $Text) {
        $lines = @($Text -split "`r?`n" | Where-Object { $_.Trim() } | ForEach-Object { $_.TrimEnd() })
        if ($lines.Count -ge 2 -and $lines[1] -match '^[- ]+$') { return 'table: ' + ($lines[0].Trim() -split '\s+' -join ' ') }
        'list: ' + (@($lines | Where-Object { $_ -match '^\S+\s*:( |$)' } | ForEach-Object { ($_ -split '\s*:', 2)[0] }) -join ', ')
    }

    $script:about = (Get-Help about_StreamLayer | Out-String -Width 120)
}

Describe 'Help for <Name>' -ForEach $cmdlets {
    BeforeAll {
        $script:page = Read-MarkdownHelp (Join-Path $docs "$Name.md")
        $script:help = Get-Help $Name -Full
        $script:command = Get-Command $Name
        $script:rendered = @((Get-Help $Name -Full | Out-String -Width 120) -split "`r?`n")
    }

    It 'shows the synopsis written in the markdown' {
        $help.Synopsis | Should -Be $page.Synopsis
        $help.Synopsis | Should -Not -BeLike "$Name *"
    }

    It 'shows a description and at least two examples' {
        ($help.Description.Text -join ' ') | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2
        foreach ($example in $help.Examples.Example) { $example.Code | Should -Not -BeNullOrEmpty }
    }

    It 'shows every parameter with its description' {
        $names = @($command.Parameters.Keys | Where-Object { $_ -notin $common })
        $names.Count | Should -BeGreaterThan 0
        foreach ($name in $names) {
            $parameter = $help.Parameters.Parameter | Where-Object Name -EQ $name
            $parameter | Should -Not -BeNullOrEmpty -Because "-$name needs help"
            ($parameter.Description.Text -join ' ') | Should -Not -BeNullOrEmpty -Because "-$name needs a description"
        }
    }

    It 'documents exactly the parameters the cmdlet has, with their types and sets' {
        $actual = @($command.Parameters.Values | Where-Object Name -NotIn $common)
        @($page.Parameters.Name | Sort-Object) | Should -Be @($actual.Name | Sort-Object)
        foreach ($parameter in $actual) {
            $documented = $page.Parameters | Where-Object Name -EQ $parameter.Name
            $documented.Type | Should -Be $parameter.ParameterType.Name -Because "-$($parameter.Name)'s type"
            $sets = @($parameter.ParameterSets.Keys)
            $expectedSets = if ($sets -contains '__AllParameterSets') { @('(All)') } else { @($sets | Sort-Object) }
            @($documented.Sets | Sort-Object) | Should -Be $expectedSets -Because "-$($parameter.Name)'s parameter sets"
            $aliases = if ($parameter.Aliases.Count) { $parameter.Aliases -join ', ' } else { '' }
            "$($documented.Aliases)" | Should -Be $aliases -Because "-$($parameter.Name)'s aliases"
        }
    }

    It 'lists the cmdlet''s parameter sets in SYNTAX' {
        @($page.SyntaxSets | Sort-Object) | Should -Be @($command.ParameterSets.Name | Sort-Object)
    }

    It 'has the PlatyPS front matter' {
        $page.FrontMatter['external help file'] | Should -Be 'StreamLayer.PowerShell.dll-Help.xml'
        $page.FrontMatter['Module Name'] | Should -Be 'StreamLayer'
    }

    It 'keeps its DESCRIPTION to at most 40 lines at a width of 120' {
        $description = @(Get-HelpSection $rendered 'DESCRIPTION')
        @($description | Where-Object { $_.Trim() }).Count | Should -BeGreaterThan 3 -Because 'the description is there'
        $description.Count | Should -BeLessOrEqual 40 -Because 'the depth belongs in about_StreamLayer'
    }

    It 'sends the reader to about_StreamLayer from its DESCRIPTION and its RELATED LINKS' {
        Join-HelpLines (Get-HelpSection $rendered 'DESCRIPTION') | Should -Match 'about_StreamLayer'
        @(Get-HelpSection $rendered 'RELATED LINKS') -match '^\s+about_StreamLayer\s*$' | Should -Not -BeNullOrEmpty
    }

    It 'gives every example a title, code and remarks, numbered in order' {
        $examples = @($help.Examples.Example)
        for ($i = 0; $i -lt $examples.Count; $i++) {
            $number = $i + 1
            $examples[$i].Title | Should -Match "^-+ Example ${number}: \S.* -+$" -Because "example $number has a title beyond its number, padded as PlatyPS pads it"
            $examples[$i].Code.Trim() | Should -Not -BeNullOrEmpty -Because "example $number has code"
            (@($examples[$i].Remarks | ForEach-Object Text) -join ' ').Trim() | Should -Not -BeNullOrEmpty -Because "example $number has remarks"
        }
        $titleLines = @($rendered -match '^\s+-+ Example \d+: .+ -+$')
        $titleLines.Count | Should -Be $examples.Count -Because 'each title is rendered on a line of its own, not broken at the width'
    }

    It 'writes each example as PlatyPS reads it: title, code block, optional output, then remarks' {
        $lines = [IO.File]::ReadAllLines((Join-Path $docs "$Name.md"))
        $start = [array]::IndexOf($lines, '## EXAMPLES')
        $end = [array]::IndexOf($lines, '## PARAMETERS')
        $current = $null
        $examples = foreach ($line in $lines[($start + 1)..($end - 1)]) {
            if ($line -match '^### ') { $current = [pscustomobject]@{ Title = $line; Lines = [Collections.Generic.List[string]]::new() }; $current; continue }
            if ($current -and $line.Trim()) { $current.Lines.Add($line) }
        }
        $rendered = @($help.Examples.Example)
        $rendered.Count | Should -Be @($examples).Count
        for ($i = 0; $i -lt $rendered.Count; $i++) {
            $example = @($examples)[$i]
            $example.Title | Should -Match '^### Example \d+: \S'
            # What is left once the fenced blocks are taken out: fences must come first, remarks only after them.
            $shape = (@($example.Lines) -join "`n") -replace '(?s)```(\w*)\n.*?\n```', '<$1>'
            $shape | Should -Match '^<powershell>(\n<output>)?\n[^<\n]' -Because "$($example.Title) is a powershell block, an optional output block, then remarks"
            $shape | Should -Not -Match '```' -Because "$($example.Title)'s fences are closed"
            if ($shape -match '<output>') {
                $rendered[$i].Code | Should -Match '\S\r?\n\r?\n\S' -Because "$($example.Title)'s output stands apart from its code, as PlatyPS renders it"
            }
        }
    }
}

Describe 'The output the examples show' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
        Import-Module (Join-Path $PSScriptRoot 'TestRegistry.psm1') -Force
        $script:folder = New-TestDirectory
        $script:registry = Start-TestRegistry
        $tar = (New-TestTar -Path (Join-Path $folder 'app.tar') -SizeKiB 200 -Seed 13).FullName
        $repository = "$($registry.Host)/help"

        # Each kind of object the commands output, as a user sees it by default and with Format-List.
        $layer = Get-LayerDigest -Path $tar
        $pushed = Push-StreamLayer -Path $tar -Repository $repository
        $amd = Push-StreamLayer -Path $tar -Repository $repository -Tag '1.0-amd64' -Platform linux/amd64
        $arm = Push-StreamLayer -Path $tar -Repository $repository -Tag '1.0-arm64' -Platform linux/arm64
        $index = $amd, $arm | Push-ImageIndex -Repository $repository -Tag '1.0'
        $script:defaultShapes = foreach ($object in $layer, $pushed, $amd, $index) { Get-ViewShape ($object | Out-String -Width 120) }
        $script:listShapes = foreach ($object in $layer, $pushed, $amd, $index) { Get-ViewShape ($object | Format-List | Out-String -Width 120) }

        # What -WhatIf says, from a PowerShell of its own: it writes to the host, not to a stream.
        $whatIf = Invoke-ChildPwsh -Command (
            "Import-Module '$env:STREAMLAYER_MODULE'; " +
            "Push-StreamLayer -Path '$tar' -Repository '$repository' -Tag '2.0' -WhatIf; " +
            "Get-Item '$tar' | Push-StreamLayer -Repository '$repository' -WhatIf; " +
            "Push-ImageIndex -Repository '$repository' -Tag '2.0' -Image '$($amd.Reference)', '$($arm.Reference)' -WhatIf")
        $script:operations = @($whatIf | Where-Object { $_ -match '^What if: Performing the operation "(.+)" on target' } | ForEach-Object { $Matches[1] })
        $operations.Count | Should -BeGreaterOrEqual 5
    }

    AfterAll {
        if ($script:registry) { Stop-TestRegistry $script:registry }
        Remove-Item -Recurse -Force $script:folder -ErrorAction Ignore
    }

    It 'shows <Page> <Example> as the module prints it now' -ForEach $outputs {
        $lines = @($Text -split "`n" | Where-Object { $_.Trim() })
        if ($lines[0] -like 'What if:*') {
            foreach ($line in $lines) {
                $line | Should -Match '^What if: Performing the operation "(.+)" on target ".+"\.$'
                $null = $line -match '^What if: Performing the operation "(.+)" on target'
                $operations | Should -Contain $Matches[1] -Because 'the example shows what -WhatIf says now'
            }
            return
        }
        $shapes = if ($Code -match '\bFormat-List\b') { $listShapes } else { $defaultShapes }
        $shapes | Should -Contain (Get-ViewShape $Text) -Because 'the example shows the view the module prints now for its code'
        if ((Get-ViewShape $Text) -like 'table:*') {
            foreach ($row in $lines | Select-Object -Skip 2) {
                $row | Should -Not -Match '[0-9a-f]{20}' -Because 'tables show short digests'
            }
        }
    }
}

Describe 'about_StreamLayer' {
    It 'is found by Get-Help' {
        $about | Should -Match 'SHORT DESCRIPTION'
        $about | Should -Match 'one pass'
    }

    It 'lists every error id the cmdlets can report, and no other' {
        $assembly = (Get-Command Push-StreamLayer).ImplementingType.Assembly
        # Every id comes from the one table, which takes its ids from ErrorIds.
        $constants = $assembly.GetType('StreamLayer.Commands.ErrorIds', $true).GetFields([Reflection.BindingFlags]'Public, Static') | Where-Object IsLiteral
        $ids = @($constants.ForEach({ $_.GetRawConstantValue() })) | Sort-Object -Unique
        $ids.Count | Should -BeGreaterThan 40

        # The first cell of each row of the tables headed "| Id | Category | Meaning |".
        $documented = [Collections.Generic.List[string]]::new()
        $inTable = $false
        foreach ($line in $about -split "`r?`n") {
            if ($line -match '^\s*\| Id \| Category \| Meaning \|') { $inTable = $true; continue }
            if (-not $inTable) { continue }
            if ($line -notmatch '^\s*\|') { $inTable = $false; continue }
            if ($line -match '^\s*\|\s*---') { continue }
            foreach ($id in (($line -split '\|')[1] -split ',')) { $documented.Add($id.Trim()) }
        }

        @($ids | Where-Object { $_ -notin $documented }) | Should -BeNullOrEmpty -Because 'every id a script can meet is documented'
        @($documented | Where-Object { $_ -notin $ids }) | Should -BeNullOrEmpty -Because 'every documented id exists'
    }

    It 'gives the category each registry and image failure is reported with' {
        $assembly = (Get-Command Push-StreamLayer).ImplementingType.Assembly
        $records = $assembly.GetType('StreamLayer.Commands.ErrorRecords', $true).GetMethod('For', [Reflection.BindingFlags]'Public, NonPublic, Static')
        $categories = @{}
        foreach ($line in $about -split "`r?`n" | Where-Object { $_ -match '^\s*\| [A-Z]\w+(, \w+)* \| [A-Z]\w+(, \w+)* \|' }) {
            $cells = $line -split '\|'
            $ids = @($cells[1] -split ',' | ForEach-Object Trim)
            $names = @($cells[2] -split ',' | ForEach-Object Trim)
            for ($i = 0; $i -lt $ids.Count; $i++) { $categories[$ids[$i]] = $names[[Math]::Min($i, $names.Count - 1)] }
        }

        $failures = @([Enum]::GetValues([StreamLayer.Registry.RegistryFailure]) | ForEach-Object { [StreamLayer.Registry.RegistryException]::new($_, 'a failure') }) +
            @([Enum]::GetValues([StreamLayer.Registry.ImageFailure]) | ForEach-Object { [StreamLayer.Registry.ImageException]::new($_, 'a failure') })
        $failures.Count | Should -BeGreaterThan 30
        foreach ($failure in $failures) {
            $record = $records.Invoke($null, @($failure, $null))
            $id = $record.FullyQualifiedErrorId
            $categories[$id] | Should -Be "$($record.CategoryInfo.Category)" -Because "$id is reported as $($record.CategoryInfo.Category)"
        }
    }

    It 'explains <Topic>' -ForEach @(
        @{ Topic = 'the push protocol'; Pattern = '(?s)POST opens an upload session.+PATCH.+PUT with the digest.+HEAD' }
        @{ Topic = 'retries'; Pattern = '(?s)-MaximumRetryCount.+-RetryIntervalSec.+Retry-After' }
        @{ Topic = 'timeouts and deadlines'; Pattern = '(?s)-TimeoutSec \(default 100\) bounds each attempt.+deadline of twice' }
        @{ Topic = 'redirects'; Pattern = '(?s)follows 301, 302, 303, 307 and 308.+RegistryRedirectNotFollowed' }
        @{ Topic = 'the credential order'; Pattern = '(?s)\n\s+1\. -Credential.+\n\s+2\. The docker config.+docker-credential-<name>.+\n\s+3\. The containers auth file' }
        @{ Topic = 'the certs.d folders, in the order they are searched'; Pattern = '(?s)~/\.config/containers/certs\.d.+~/\.docker/certs\.d.+/etc/containers/certs\.d.+/etc/docker/certs\.d' }
        @{ Topic = 'SIGTERM'; Pattern = 'SIGTERM \(sent by timeout, systemd, docker stop and CI cancellation\) is handled like Ctrl\+C' }
        @{ Topic = 'the image format rules'; Pattern = '(?s)The manifest follows the base''s format \(Docker schema 2 or OCI\).+SOURCE_DATE_EPOCH' }
        @{ Topic = 'how each PowerShell honours gzip levels'; Pattern = '(?s)PowerShell 7\.5 and later.+PowerShell 7\.4.+Windows PowerShell 5\.1' }
    ) {
        $about | Should -Match $Pattern
    }
}

Describe 'The help''s examples match the code' {
    It 'names the zstd level that Get-LayerDigest -Compression Zstd really uses (example 6)' {
        $example = (Get-Help Get-LayerDigest -Examples).Examples.Example | Where-Object { $_.Title -match 'zstd layer' }
        $text = ($example.Remarks.Text -join ' ')
        $text | Should -Match 'default level, (\d+)'
        $said = [int]([regex]::Match($text, 'default level, (\d+)').Groups[1].Value)

        Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
        $folder = New-TestDirectory
        try {
            $tar = (New-TestTar -Path (Join-Path $folder 'layer.tar') -SizeKiB 300 -Seed 3).FullName
            $byDefault = Get-LayerDigest -Path $tar -Compression Zstd
            (Get-LayerDigest -Path $tar -Compression Zstd -CompressionLevel $said).Digest | Should -Be $byDefault.Digest -Because "the help says the default level is $said"
        }
        finally { Remove-Item -Recurse -Force $folder }
    }
}
