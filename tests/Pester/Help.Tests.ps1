BeforeDiscovery {
    $module = Import-Module $env:STREAMLAYER_MODULE -Force -PassThru
    $script:cmdlets = @($module.ExportedCmdlets.Keys | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    Import-Module $env:STREAMLAYER_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot '../../build/MarkdownHelp.psm1') -Force
    $script:docs = Join-Path $PSScriptRoot '../../docs/help/en-US'
    # -WhatIf and -Confirm are documented on the page, as PlatyPS does; the other common parameters are not.
    $script:common = [Management.Automation.PSCmdlet]::CommonParameters + 'UseTransaction'
}

Describe 'Help for <Name>' -ForEach $cmdlets {
    BeforeAll {
        $script:page = Read-MarkdownHelp (Join-Path $docs "$Name.md")
        $script:help = Get-Help $Name -Full
        $script:command = Get-Command $Name
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
}

Describe 'about_StreamLayer' {
    It 'is found by Get-Help' {
        $text = Get-Help about_StreamLayer | Out-String
        $text | Should -Match 'SHORT DESCRIPTION'
        $text | Should -Match 'one pass'
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
