# Turns PlatyPS-format markdown help into MAML (for Get-Help <cmdlet>) and about_*.help.txt files.
# PlatyPS's New-ExternalHelp does the same job; build.ps1 uses it when it is installed. Package registries
# reachable from this project's machines do not serve PlatyPS, so this small converter of the same format
# keeps the build self-contained.

Set-StrictMode -Version 3

function Read-MarkdownHelp {
    <#
    .SYNOPSIS
    Parses one PlatyPS cmdlet page into a structured object.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Path)

    $lines = [IO.File]::ReadAllLines($Path)
    $page = [ordered]@{
        File = $Path; FrontMatter = @{}; Name = $null; Synopsis = ''; SyntaxSets = [Collections.Generic.List[string]]::new()
        Description = ''; Examples = [Collections.Generic.List[object]]::new(); Parameters = [Collections.Generic.List[object]]::new()
        Inputs = [Collections.Generic.List[object]]::new(); Outputs = [Collections.Generic.List[object]]::new()
        Notes = ''; Links = [Collections.Generic.List[object]]::new()
    }

    $i = 0
    if ($lines.Count -gt 0 -and $lines[0] -eq '---') {
        for ($i = 1; $i -lt $lines.Count -and $lines[$i] -ne '---'; $i++) {
            if ($lines[$i] -match '^([^:]+):\s*(.*)$') { $page.FrontMatter[$Matches[1].Trim()] = $Matches[2].Trim() }
        }
        $i++
    }

    # Split the rest into '## SECTION' blocks, each with its '### Item' sub-blocks.
    $section = $null
    $sections = [ordered]@{}
    for (; $i -lt $lines.Count; $i++) {
        $line = $lines[$i]
        if ($line -match '^# (\S.*)$' -and -not $page.Name) { $page.Name = $Matches[1].Trim(); continue }
        if ($line -match '^## (.+)$') { $section = $Matches[1].Trim().ToUpperInvariant(); $sections[$section] = [Collections.Generic.List[string]]::new(); continue }
        if ($section) { $sections[$section].Add($line) }
    }

    if (-not $page.Name) { throw "$Path has no '# <command name>' title." }
    foreach ($required in 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES') {
        if (-not $sections.Contains($required)) { throw "$Path has no '## $required' section." }
    }

    $page.Synopsis = (ConvertTo-Paragraphs $sections['SYNOPSIS']) -join ' '
    $page.Description = $sections['DESCRIPTION']
    $page.Notes = $sections['NOTES']
    foreach ($item in Split-Items $sections['SYNTAX']) { $page.SyntaxSets.Add(($item.Title -replace '\s*\(Default\)\s*$', '')) }

    foreach ($item in Split-Items $sections['EXAMPLES']) {
        $blocks = [Collections.Generic.List[string]]::new()
        $block = [Collections.Generic.List[string]]::new()
        $remarks = [Collections.Generic.List[string]]::new()
        $inCode = $false
        foreach ($line in $item.Lines) {
            if ($line -match '^```') {
                if ($inCode) { $blocks.Add(($block -join "`n")); $block.Clear() }
                $inCode = -not $inCode
                continue
            }
            if ($inCode) { $block.Add($line) } else { $remarks.Add($line) }
        }
        # As PlatyPS does: the code and output blocks joined by an empty line, so the output stands apart.
        $page.Examples.Add([pscustomobject]@{ Title = $item.Title; Code = ($blocks -join "`n`n"); Remarks = $remarks })
    }

    foreach ($item in Split-Items $sections['PARAMETERS']) {
        if ($item.Title -eq 'CommonParameters') { continue }
        if ($item.Title -notmatch '^-(\w+)$') { throw "$Path has a parameter heading '### $($item.Title)' that is not '### -Name'." }
        $description = [Collections.Generic.List[string]]::new()
        $yaml = @{}
        $inYaml = $false
        foreach ($line in $item.Lines) {
            if ($line -match '^```yaml') { $inYaml = $true; continue }
            if ($inYaml -and $line -match '^```') { $inYaml = $false; continue }
            if ($inYaml) {
                if ($line -match '^([^:]+):\s*(.*)$') { $yaml[$Matches[1].Trim()] = $Matches[2].Trim() }
            }
            else { $description.Add($line) }
        }
        foreach ($key in 'Type', 'Parameter Sets', 'Required', 'Position', 'Accept pipeline input') {
            if (-not $yaml.ContainsKey($key)) { throw "$Path parameter -$($Matches[1]) has no '$key' in its yaml block." }
        }
        $page.Parameters.Add([pscustomobject]@{
                Name          = $item.Title.Substring(1)
                Description   = $description
                Type          = $yaml['Type']
                Sets          = @($yaml['Parameter Sets'] -split ',\s*' | Where-Object { $_ })
                Aliases       = $yaml['Aliases']
                AcceptedValues = $yaml['Accepted values']
                Required      = $yaml['Required'] -eq 'True'
                Position      = $yaml['Position']
                Default       = $yaml['Default value']
                Pipeline      = $yaml['Accept pipeline input']
                Wildcards     = $yaml['Accept wildcard characters'] -eq 'True'
            })
    }

    foreach ($kind in 'INPUTS', 'OUTPUTS') {
        foreach ($item in Split-Items $sections[$kind]) {
            $page[$kind.Substring(0, 1) + $kind.Substring(1).ToLowerInvariant()].Add([pscustomobject]@{ Type = $item.Title; Description = $item.Lines })
        }
    }

    if ($sections.Contains('RELATED LINKS')) {
        foreach ($line in $sections['RELATED LINKS']) {
            if ($line -match '^\[([^\]]+)\]\(([^)]*)\)') { $page.Links.Add([pscustomobject]@{ Text = $Matches[1]; Uri = $Matches[2] }) }
        }
    }

    [pscustomobject]$page
}

function Split-Items([Collections.Generic.List[string]] $Lines) {
    # '### Title' sub-blocks of a section; fenced code is kept whole so '###' inside it is not a heading.
    $items = [Collections.Generic.List[object]]::new()
    $current = $null
    $inCode = $false
    foreach ($line in $Lines) {
        if ($line -match '^```') { $inCode = -not $inCode }
        if (-not $inCode -and $line -match '^### (.+)$') {
            $current = [pscustomobject]@{ Title = $Matches[1].Trim(); Lines = [Collections.Generic.List[string]]::new() }
            $items.Add($current)
            continue
        }
        if ($current) { $current.Lines.Add($line) }
    }
    $items
}

function ConvertTo-Paragraphs([string[]] $Lines) {
    # Markdown paragraphs as single strings; list items and fenced code stay one paragraph per item/block.
    $paragraphs = [Collections.Generic.List[string]]::new()
    $current = [Collections.Generic.List[string]]::new()
    $inCode = $false
    $flush = { if ($current.Count) { $paragraphs.Add(($current -join $(if ($inCode) { "`n" } else { ' ' }))); $current.Clear() } }
    foreach ($line in $Lines) {
        if ($line -match '^```') {
            if ($inCode) { $flush.Invoke(); $inCode = $false } else { $flush.Invoke(); $inCode = $true }
            continue
        }
        if ($inCode) { $current.Add('    ' + $line); continue }
        if ([string]::IsNullOrWhiteSpace($line)) { $flush.Invoke(); continue }
        if ($line -match '^\s*([-*]|\d+\.)\s+') { $flush.Invoke() }
        $current.Add($line.Trim())
    }
    $flush.Invoke()
    foreach ($paragraph in $paragraphs) { $paragraph -replace '`([^`]+)`', '$1' -replace '\*\*([^*]+)\*\*', '$1' }
}

function ConvertTo-MamlHelp {
    <#
    .SYNOPSIS
    Writes MAML help for every cmdlet page in a folder (the job of PlatyPS's New-ExternalHelp).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [string] $OutputPath
    )

    $pages = Get-ChildItem -LiteralPath $Path -Filter '*.md' | Where-Object Name -NotLike 'about_*' | ForEach-Object { Read-MarkdownHelp $_.FullName }
    $null = New-Item -ItemType Directory -Force -Path $OutputPath
    foreach ($group in $pages | Group-Object { $_.FrontMatter['external help file'] }) {
        if (-not $group.Name) { throw "$($group.Group[0].File) has no 'external help file' in its front matter." }
        $file = Join-Path $OutputPath $group.Name
        Write-MamlFile -Pages $group.Group -File $file
        Get-Item $file
    }
}

function Write-MamlFile($Pages, [string] $File) {
    $maml = 'http://schemas.microsoft.com/maml/2004/10'
    $command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    $dev = 'http://schemas.microsoft.com/maml/dev/2004/10'
    $settings = [Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [Text.UTF8Encoding]::new($false) }
    $w = [Xml.XmlWriter]::Create($File, $settings)
    try {
        $w.WriteStartDocument()
        $w.WriteStartElement('helpItems', 'http://msh')
        $w.WriteAttributeString('schema', 'maml')
        foreach ($page in $Pages) {
            $verb, $noun = $page.Name -split '-', 2
            $w.WriteStartElement('command', 'command', $command)
            $w.WriteAttributeString('xmlns', 'maml', $null, $maml)
            $w.WriteAttributeString('xmlns', 'dev', $null, $dev)

            $w.WriteStartElement('details', $command)
            $w.WriteElementString('name', $command, $page.Name)
            Write-Paragraphs $w $maml 'description' @($page.Synopsis)
            $w.WriteElementString('verb', $command, $verb)
            $w.WriteElementString('noun', $command, $noun)
            $w.WriteEndElement()

            Write-Paragraphs $w $maml 'description' (ConvertTo-Paragraphs $page.Description)

            $w.WriteStartElement('syntax', $command)
            foreach ($set in $page.SyntaxSets) {
                $w.WriteStartElement('syntaxItem', $command)
                $w.WriteElementString('name', $maml, $page.Name)
                foreach ($parameter in $page.Parameters | Where-Object { $_.Sets -contains $set -or $_.Sets -contains '(All)' }) {
                    Write-Parameter $w $parameter $maml $command $dev
                }
                $w.WriteEndElement()
            }
            $w.WriteEndElement()

            $w.WriteStartElement('parameters', $command)
            foreach ($parameter in $page.Parameters) { Write-Parameter $w $parameter $maml $command $dev }
            $w.WriteEndElement()

            foreach ($kind in @(@('inputTypes', 'inputType', $page.Inputs), @('returnValues', 'returnValue', $page.Outputs))) {
                $w.WriteStartElement($kind[0], $command)
                foreach ($entry in $kind[2]) {
                    $w.WriteStartElement($kind[1], $command)
                    $w.WriteStartElement('type', $dev)
                    $w.WriteElementString('name', $maml, $entry.Type)
                    $w.WriteEndElement()
                    Write-Paragraphs $w $maml 'description' (ConvertTo-Paragraphs $entry.Description)
                    $w.WriteEndElement()
                }
                $w.WriteEndElement()
            }

            $w.WriteStartElement('alertSet', $maml)
            $w.WriteStartElement('alert', $maml)
            foreach ($paragraph in ConvertTo-Paragraphs $page.Notes) { $w.WriteElementString('para', $maml, $paragraph) }
            $w.WriteEndElement()
            $w.WriteEndElement()

            $w.WriteStartElement('examples', $command)
            foreach ($example in $page.Examples) {
                $w.WriteStartElement('example', $command)
                $w.WriteElementString('title', $maml, (Format-ExampleTitle $example.Title))
                $w.WriteElementString('code', $dev, $example.Code)
                $w.WriteStartElement('remarks', $dev)
                foreach ($paragraph in ConvertTo-Paragraphs $example.Remarks) { $w.WriteElementString('para', $maml, $paragraph) }
                $w.WriteEndElement()
                $w.WriteEndElement()
            }
            $w.WriteEndElement()

            $w.WriteStartElement('relatedLinks', $command)
            foreach ($link in $page.Links) {
                $w.WriteStartElement('navigationLink', $maml)
                $w.WriteElementString('linkText', $maml, $link.Text)
                # As PlatyPS does: only an absolute URI is kept; a relative one (another page's .md) is for GitHub.
                $absolute = $null
                $w.WriteElementString('uri', $maml, $(if ([Uri]::TryCreate($link.Uri, [UriKind]::Absolute, [ref] $absolute)) { $link.Uri } else { '' }))
                $w.WriteEndElement()
            }
            $w.WriteEndElement()

            $w.WriteEndElement()
        }
        $w.WriteEndElement()
        $w.WriteEndDocument()
    }
    finally { $w.Dispose() }
}

function Format-ExampleTitle([string] $Title) {
    # PlatyPS's padding: dashes on both sides up to 64 characters, so the title line fits the console; none from 62 on.
    if ([string]::IsNullOrWhiteSpace($Title) -or $Title.Length -ge 62) { return $Title }
    $dashes = '-' * [Math]::Floor((64 - $Title.Length - 2) / 2)
    "$dashes $Title $dashes"
}

function Write-Paragraphs($w, $maml, [string] $element, [string[]] $paragraphs) {
    $w.WriteStartElement($element, $maml)
    foreach ($paragraph in $paragraphs) { $w.WriteElementString('para', $maml, $paragraph) }
    $w.WriteEndElement()
}

function Write-Parameter($w, $parameter, $maml, $command, $dev) {
    $isSwitch = $parameter.Type -eq 'SwitchParameter'
    $w.WriteStartElement('parameter', $command)
    $w.WriteAttributeString('required', $parameter.Required.ToString().ToLowerInvariant())
    $w.WriteAttributeString('variableLength', ($parameter.Type -like '*`[`]').ToString().ToLowerInvariant())
    $w.WriteAttributeString('globbing', $parameter.Wildcards.ToString().ToLowerInvariant())
    $w.WriteAttributeString('pipelineInput', $parameter.Pipeline)
    $w.WriteAttributeString('position', $(if ($parameter.Position -match '^\d+$') { $parameter.Position } else { 'named' }))
    $w.WriteAttributeString('aliases', $(if ($parameter.Aliases) { $parameter.Aliases } else { 'none' }))
    $w.WriteElementString('name', $maml, $parameter.Name)
    Write-Paragraphs $w $maml 'description' (ConvertTo-Paragraphs $parameter.Description)
    if ($parameter.AcceptedValues) {
        $w.WriteStartElement('parameterValueGroup', $command)
        foreach ($value in $parameter.AcceptedValues -split ',\s*') {
            $w.WriteStartElement('parameterValue', $command)
            $w.WriteAttributeString('required', 'false')
            $w.WriteAttributeString('variableLength', 'false')
            $w.WriteString($value)
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }
    if (-not $isSwitch) {
        $w.WriteStartElement('parameterValue', $command)
        $w.WriteAttributeString('required', 'true')
        $w.WriteAttributeString('variableLength', 'false')
        $w.WriteString($parameter.Type)
        $w.WriteEndElement()
    }
    $w.WriteStartElement('type', $dev)
    $w.WriteElementString('name', $maml, $parameter.Type)
    $w.WriteEndElement()
    $w.WriteElementString('defaultValue', $dev, $(if ($parameter.Default) { $parameter.Default } else { 'None' }))
    $w.WriteEndElement()
}

function ConvertTo-AboutHelpText {
    <#
    .SYNOPSIS
    Writes about_*.help.txt from about_*.md pages: headings become upper-case titles, text is indented.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [string] $OutputPath
    )

    $null = New-Item -ItemType Directory -Force -Path $OutputPath
    foreach ($page in Get-ChildItem -LiteralPath $Path -Filter 'about_*.md') {
        $text = [Text.StringBuilder]::new()
        $inCode = $false
        $pastFrontMatter = $true
        $lines = [IO.File]::ReadAllLines($page.FullName)
        if ($lines.Count -and $lines[0] -eq '---') { $pastFrontMatter = $false }
        for ($i = 0; $i -lt $lines.Count; $i++) {
            $line = $lines[$i]
            if (-not $pastFrontMatter) { if ($i -gt 0 -and $line -eq '---') { $pastFrontMatter = $true }; continue }
            if ($line -match '^```') { $inCode = -not $inCode; continue }
            if ($inCode) { $null = $text.AppendLine('        ' + $line); continue }
            if ($line -match '^# (.+)$') { $null = $text.AppendLine('TOPIC').AppendLine('    ' + $Matches[1].Trim()); continue }
            if ($line -match '^#{2,} (.+)$') { $null = $text.AppendLine().AppendLine($Matches[1].Trim().ToUpperInvariant()); continue }
            $plain = $line -replace '`([^`]+)`', '$1' -replace '\*\*([^*]+)\*\*', '$1'
            $null = $text.AppendLine($(if ($plain) { '    ' + $plain } else { '' }))
        }
        $file = Join-Path $OutputPath ($page.BaseName + '.help.txt')
        [IO.File]::WriteAllText($file, $text.ToString(), [Text.UTF8Encoding]::new($false))
        Get-Item $file
    }
}

Export-ModuleMember -Function Read-MarkdownHelp, ConvertTo-MamlHelp, ConvertTo-AboutHelpText
