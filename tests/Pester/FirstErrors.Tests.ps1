# The first errors a new user meets, completion and binding: what SecretManagement, PSResourceGet and
# Invoke-WebRequest users expect of a module.
BeforeAll {
    Import-Module $env:STREAMLAYER_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRegistry.psm1') -Force

    $script:work = New-TestDirectory
    $script:tarA = (New-TestTar -Path (Join-Path $work 'a.tar') -SizeKiB 200 -Seed 31).FullName
    $script:tarB = (New-TestTar -Path (Join-Path $work 'b.tar') -SizeKiB 150 -Seed 32).FullName
    $script:registry = Start-TestRegistry

    # A folder of tars where one cannot make a layer (it is empty) and one is a directory named like a tar.
    $script:mixed = Join-Path $work 'mixed'
    $null = New-Item -ItemType Directory $mixed, (Join-Path $mixed 'c-folder.tar')
    Copy-Item $tarA (Join-Path $mixed 'a.tar')
    Copy-Item $tarB (Join-Path $mixed 'd.tar')
    $null = New-Item -ItemType File (Join-Path $mixed 'b-empty.tar')
}

AfterAll {
    if ($script:registry) { Stop-TestRegistry $script:registry }
    Remove-Item -Recurse -Force $script:work -ErrorAction Ignore
}

Describe 'No input at all' {
    It 'says InputMissing and names -Path, -LiteralPath, -InputStream and how to pipe bytes (<Command>)' -ForEach @(
        @{ Command = 'Push-StreamLayer'; Run = { Push-StreamLayer -Repository "$($registry.Host)/none" } }
        @{ Command = 'Get-LayerDigest'; Run = { Get-LayerDigest } }
    ) {
        $caught = $null
        try { & $Run } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'InputMissing,*'
        $caught.CategoryInfo.Category | Should -Be 'InvalidArgument'
        foreach ($word in '-Path', '-LiteralPath', '-InputStream', 'Get-Content -AsByteStream', "| $Command") {
            $caught.Exception.Message | Should -BeLike "*$word*"
        }
        @(Get-UploadSessions -Registry $registry -Repository 'none').Count | Should -Be 0
    }

    It 'still tells an empty pipeline (InputEmpty) apart from no pipeline at all' {
        { @() | Get-LayerDigest } | Should -Throw -ErrorId 'InputEmpty,*'
    }
}

Describe '-Repository as users first type it' {
    It '<Command> refuses <Given> and shows <Fix>' -ForEach @(
        foreach ($command in 'Push-StreamLayer', 'Push-ImageIndex') {
            @{ Command = $command; Given = 'https://registry.example.com/team/app'; Fix = '-Repository registry.example.com/team/app'; Also = '-PlainHttp' }
            @{ Command = $command; Given = 'http://127.0.0.1:5000/app/'; Fix = '-Repository 127.0.0.1:5000/app'; Also = 'add -PlainHttp' }
            @{ Command = $command; Given = 'registry.example.com/team/app:1.0'; Fix = "-Repository registry.example.com/team/app -Tag '1.0'"; Also = 'without a tag' }
            @{ Command = $command; Given = "localhost:5000/app@sha256:$('a' * 64)"; Fix = '-Repository localhost:5000/app.'; Also = 'without a digest' }
        }
    ) {
        $caught = $null
        try {
            if ($Command -eq 'Push-StreamLayer') { Push-StreamLayer -Path $tarA -Repository $Given }
            else { Push-ImageIndex -Repository $Given -Image "localhost:5000/app@sha256:$('b' * 64)" }
        }
        catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'InvalidRepository,*'
        $caught.Exception.Message | Should -BeLike "*$Fix*"
        $caught.Exception.Message | Should -BeLike "*$Also*"
    }
}

Describe 'Messages without .NET noise' {
    It 'ends <Name> without "(Parameter" or "Actual value was"' -ForEach @(
        @{ Name = 'a gzip level out of range'; Run = { Get-LayerDigest -Path $tarA -CompressionLevel 12 } }
        @{ Name = 'a zstd level out of range'; Run = { Get-LayerDigest -Path $tarA -Compression Zstd -CompressionLevel 99 } }
        @{ Name = 'a level for an uncompressed layer'; Run = { Get-LayerDigest -Path $tarA -Compression None -CompressionLevel 1 } }
        @{ Name = 'NoCompression for zstd'; Run = { Get-LayerDigest -Path $tarA -Compression Zstd -CompressionLevel NoCompression } }
        @{ Name = 'zstd with Docker media types'; Run = { Get-LayerDigest -Path $tarA -Compression Zstd -MediaType Docker } }
    ) {
        $caught = $null
        try { & $Run } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'InvalidOption,*'
        $caught.Exception.Message | Should -Not -Match "\(Parameter '|Actual value was"
        ($caught | Out-String -Width 200) | Should -Not -Match "\(Parameter '|Actual value was"
    }
}

Describe 'One failed file among several' {
    It 'writes a non-terminating error for each file that cannot make a layer, and objects for the others (Get-LayerDigest -Path *.tar)' {
        $errors = $null
        $layers = @(Get-LayerDigest -Path (Join-Path $mixed '*.tar') -ErrorVariable errors -ErrorAction SilentlyContinue)

        # The file system lists a wildcard's matches in its own order.
        $layers = @($layers | Sort-Object Path)
        @($layers.Path | ForEach-Object { Split-Path $_ -Leaf }) | Should -Be @('a.tar', 'd.tar')
        $layers[0].DiffId | Should -Be (Get-Sha256Sum $tarA)
        $layers[1].DiffId | Should -Be (Get-Sha256Sum $tarB)
        @($errors.FullyQualifiedErrorId | ForEach-Object { ($_ -split ',')[0] } | Sort-Object) | Should -Be @('InputEmpty', 'PathIsDirectory')
        @($errors.TargetObject | Sort-Object) | Should -Be @("'$(Join-Path $mixed 'b-empty.tar')'", (Join-Path $mixed 'c-folder.tar'))
    }

    It 'reports a missing path among good ones as PathNotFound with an ItemNotFoundException, and reads the rest' {
        $errors = $null
        $layers = @(Get-LayerDigest -Path $tarA, (Join-Path $work 'missing.tar'), $tarB -ErrorVariable errors -ErrorAction SilentlyContinue)

        $layers.Count | Should -Be 2
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'PathNotFound,*'
        $errors[0].Exception | Should -BeOfType ([Management.Automation.ItemNotFoundException])
        { Get-LayerDigest -Path (Join-Path $work 'missing.tar') -ErrorAction Stop } | Should -Throw -ExceptionType ([Management.Automation.ItemNotFoundException])
    }

    It 'goes on after a failed file in the pipeline too (Get-ChildItem | Push-StreamLayer), pushing the others' {
        $errors = $null
        $layers = @(Get-ChildItem (Join-Path $mixed '*.tar') | Push-StreamLayer -Repository "$($registry.Host)/each" -ErrorVariable errors -ErrorAction SilentlyContinue)

        # The folder named like a tar is a folder in the pipeline, which makes a folder layer (of an empty folder).
        $layers.Count | Should -Be 3
        @($layers | Where-Object Path -EQ (Join-Path $mixed 'c-folder.tar')).UncompressedSize | Should -Be 1024
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'InputEmpty,*'
        foreach ($layer in $layers) { (Get-RegistryBlobStatus -Registry $registry -Repository 'each' -Digest $layer.Digest) | Should -Be 200 }
        @(Get-UploadSessions -Registry $registry -Repository 'each').Count | Should -Be 0
    }

    It 'stops a -Tag push at the first failed file and writes no image: an image is all or nothing' {
        $caught = $null
        $output = $null
        try { $output = Push-StreamLayer -Path $tarA, (Join-Path $mixed 'b-empty.tar'), $tarB -Repository "$($registry.Host)/allornothing" -Tag 'v1' } catch { $caught = $_ }

        $caught.FullyQualifiedErrorId | Should -BeLike 'InputEmpty,*'
        $output | Should -BeNullOrEmpty
        $status = try { (Invoke-WebRequest -SkipHttpErrorCheck "http://$($registry.Host)/v2/allornothing/manifests/v1").StatusCode } catch { 0 }
        $status | Should -Be 404 -Because 'no tag may exist when one of the image''s layers failed'
        @(Get-UploadSessions -Registry $registry -Repository 'allornothing').Count | Should -Be 0
        (Get-RegistryBlobStatus -Registry $registry -Repository 'allornothing' -Digest (Get-LayerDigest -Path $tarB).Digest) | Should -Be 404 -Because 'nothing after the failed file is pushed'
    }

    It 'stops a -Tag push on a missing path before anything is read or pushed' {
        { Push-StreamLayer -Path $tarA, (Join-Path $work 'missing.tar') -Repository "$($registry.Host)/nothingread" -Tag 'v1' } |
            Should -Throw -ErrorId 'PathNotFound,*'
        (Get-RegistryBlobStatus -Registry $registry -Repository 'nothingread' -Digest (Get-LayerDigest -Path $tarA).Digest) | Should -Be 404
    }
}

Describe 'Binding' {
    It 'takes -Repository as the second positional argument: Push-StreamLayer app.tar host/app' {
        $layer = Push-StreamLayer $tarA "$($registry.Host)/positional"
        $layer.Repository | Should -Be 'positional'
        $layer.Path | Should -Be $tarA
    }

    It 'binds each Get-ChildItem result by its full path' {
        Push-Location $mixed
        try { $layers = @(Get-ChildItem 'a.tar', 'd.tar' | Get-LayerDigest) } finally { Pop-Location }
        @($layers.Path) | Should -Be @((Join-Path $mixed 'a.tar'), (Join-Path $mixed 'd.tar'))
    }

    It 'binds an object''s PSPath or LiteralPath property as -LiteralPath would (Import-Csv, Select-Object)' {
        $layers = @(
            [pscustomobject]@{ PSPath = "Microsoft.PowerShell.Core\FileSystem::$tarA" }
            [pscustomobject]@{ LiteralPath = $tarB }
        ) | Get-LayerDigest
        @($layers.Path) | Should -Be @($tarA, $tarB)
    }

    It 'declares -LiteralPath (alias PSPath) as taking pipeline input by property name' {
        $parameter = (Get-Command Push-StreamLayer).Parameters['LiteralPath']
        $parameter.Aliases | Should -Contain 'PSPath'
        ($parameter.Attributes | Where-Object { $_ -is [Management.Automation.ParameterAttribute] }).ValueFromPipelineByPropertyName | Should -Contain $true
    }

    It 'does not call a -WhatIf run over pipeline files an empty input, and sends the registry nothing' {
        $caught = $null
        $errors = $null
        $output = try { Get-Item $tarA | Push-StreamLayer -Repository "$($registry.Host)/whatif" -WhatIf -ErrorVariable errors } catch { $caught = $_ }

        $caught | Should -BeNullOrEmpty -Because 'no terminating InputEmpty'
        @($errors).Count | Should -Be 0 -Because 'no non-terminating InputEmpty either'
        $output | Should -BeNullOrEmpty -Because '-WhatIf pushes no layer, so it outputs none'
        Get-RegistryBlobStatus -Registry $registry -Repository 'whatif' -Digest (Get-LayerDigest -Path $tarA).Digest | Should -Be 404
        Join-Path $registry.Storage 'docker/registry/v2/repositories/whatif' | Should -Not -Exist -Because 'not even an upload session was started'
    }
}

Describe 'Argument completion' {
    It 'completes -Platform with common os/arch/variant values' {
        $line = 'Push-StreamLayer -Platform linux/arm'
        $matches = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $matches | Should -Contain 'linux/arm64'
        $matches | Should -Contain 'linux/arm/v7'
        $matches | Should -Not -Contain 'linux/amd64'
    }

    It 'completes -CompressionLevel with the named levels and the format''s numbers' {
        function Complete([string] $Line) { (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText }
        $gzip = Complete 'Get-LayerDigest -CompressionLevel '
        $gzip | Should -Contain 'Fastest'
        $gzip | Should -Contain 'SmallestSize'
        $gzip | Should -Contain '9'
        $gzip | Should -Not -Contain '10'
        $zstd = Complete 'Get-LayerDigest -Compression Zstd -CompressionLevel 1'
        $zstd | Should -Contain '19'
        $zstd | Should -Not -Contain 'Fastest' -Because 'only values that start with what was typed'
    }

    It 'completes -Repository and -BaseImage with the registries of the docker and podman login files' {
        $config0, $auth0 = $env:DOCKER_CONFIG, $env:REGISTRY_AUTH_FILE
        try {
            $env:DOCKER_CONFIG = Join-Path $work 'docker'
            $null = New-Item -ItemType Directory -Force $env:DOCKER_CONFIG
            '{"auths":{"registry.example.com":{"auth":"dTpw"},"https://index.docker.io/v1/":{"auth":"dTpw"}},"credHelpers":{"123.dkr.ecr.us-east-1.amazonaws.com":"ecr-login"}}' |
                Set-Content (Join-Path $env:DOCKER_CONFIG 'config.json')
            $env:REGISTRY_AUTH_FILE = Join-Path $work 'auth.json'
            '{"auths":{"quay.io/team":{"auth":"dTpw"}}}' | Set-Content $env:REGISTRY_AUTH_FILE

            $all = (TabExpansion2 -inputScript 'Push-StreamLayer -Repository ' -cursorColumn 29).CompletionMatches.CompletionText
            @($all | Sort-Object) | Should -Be @('123.dkr.ecr.us-east-1.amazonaws.com/', 'docker.io/', 'quay.io/', 'registry.example.com/')
            (TabExpansion2 -inputScript 'Push-StreamLayer -Tag 1 -BaseImage reg' -cursorColumn 38).CompletionMatches.CompletionText | Should -Be 'registry.example.com/'
            (TabExpansion2 -inputScript 'Push-ImageIndex -Repository quay' -cursorColumn 32).CompletionMatches.CompletionText | Should -Be 'quay.io/'
            '{"auths": [' | Set-Content $env:REGISTRY_AUTH_FILE
            (TabExpansion2 -inputScript 'Push-StreamLayer -Repository reg' -cursorColumn 32).CompletionMatches.CompletionText | Should -Be 'registry.example.com/' -Because 'a broken file is passed over'
        }
        finally {
            $env:DOCKER_CONFIG, $env:REGISTRY_AUTH_FILE = $config0, $auth0
        }
    }
}
