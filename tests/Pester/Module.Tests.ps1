BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:manifestPath = $env:STREAMLAYER_MODULE
    $script:manifest = Test-ModuleManifest -Path $manifestPath
    $script:module = Import-Module $manifestPath -Force -PassThru
}

Describe 'The StreamLayer module' {
    It 'has a valid manifest for both PowerShell editions' {
        $manifest.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
        $manifest.PowerShellVersion | Should -Be '5.1'
        $manifest.RootModule | Should -Be 'StreamLayer.PowerShell.dll'
    }

    It 'exports exactly the cmdlets the assembly defines, and no functions' {
        $defined = $module.ImplementingAssembly.GetTypes() |
            Where-Object { $_.IsPublic -and -not $_.IsAbstract -and $_.GetCustomAttributes([Management.Automation.CmdletAttribute], $false) } |
            ForEach-Object { $a = $_.GetCustomAttributes([Management.Automation.CmdletAttribute], $false)[0]; "$($a.VerbName)-$($a.NounName)" }
        @($module.ExportedCmdlets.Keys | Sort-Object) | Should -Be @($defined | Sort-Object)
        $module.ExportedFunctions.Count | Should -Be 0
    }

    It 'has the manifest version as its assembly version' {
        $module.ImplementingAssembly.GetName().Version.ToString(3) | Should -Be $manifest.Version.ToString(3)
    }

    It 'exports from the core only what users see: output objects, parameter enums and the exceptions in error records' {
        $exported = [StreamLayer.LayerDigest].Assembly.GetExportedTypes().FullName | Sort-Object
        $exported | Should -Be @(
            'StreamLayer.ImageIndexEntry', 'StreamLayer.LayerCompression', 'StreamLayer.LayerDigest', 'StreamLayer.LayerInputException', 'StreamLayer.LayerInputProblem',
            'StreamLayer.LayerMediaType', 'StreamLayer.LayerOptionsException', 'StreamLayer.LayerOutputException',
            'StreamLayer.PushedImage', 'StreamLayer.PushedImageIndex', 'StreamLayer.PushedLayer',
            'StreamLayer.Registry.ImageException', 'StreamLayer.Registry.ImageFailure', 'StreamLayer.Registry.RegistryException',
            'StreamLayer.Registry.RegistryFailure', 'StreamLayer.Registry.UploadMode') -Because 'the core is internal but for what a user of the cmdlets meets'
    }

    It 'exports from the host only the cmdlets, their bases, the views'' formatting and the module initializer' {
        $module.ImplementingAssembly.GetExportedTypes().FullName | Sort-Object | Should -Be @(
            'StreamLayer.Commands.DisplayFormat', 'StreamLayer.Commands.GetLayerDigestCommand', 'StreamLayer.Commands.LayerCommand', 'StreamLayer.Commands.ModuleInitializer',
            'StreamLayer.Commands.PushImageIndexCommand', 'StreamLayer.Commands.PushStreamLayerCommand', 'StreamLayer.Commands.StreamLayerCommand')
    }

    It 'gives <_> a sealed type of read-only properties and a default view' -ForEach 'PushedLayer', 'PushedImage', 'PushedImageIndex', 'ImageIndexEntry' {
        $type = [StreamLayer.LayerDigest].Assembly.GetType("StreamLayer.$_")
        $type.IsSealed | Should -BeTrue
        $type.GetConstructors().Count | Should -Be 0 -Because 'only the cmdlets make them'
        $type.GetProperties() | Where-Object { $_.SetMethod -and $_.SetMethod.IsPublic } | Should -BeNullOrEmpty
        Get-FormatData -TypeName "StreamLayer.$_" | Should -Not -BeNullOrEmpty
    }

    It 'targets netstandard2.0 and keeps the core free of PowerShell' {
        $core = [StreamLayer.LayerDigest].Assembly
        $core.GetReferencedAssemblies().Name | Should -Not -Contain 'System.Management.Automation'
        $framework = $module.ImplementingAssembly.GetCustomAttributes([Runtime.Versioning.TargetFrameworkAttribute], $false)[0].FrameworkName
        $framework | Should -Be '.NETStandard,Version=v2.0'
    }
}

Describe 'The package' -Tag 'Package' {
    It 'installs from a local folder repository and imports in a new process' {
        $nupkg = @(Get-ChildItem $env:STREAMLAYER_PACKAGE -Filter 'StreamLayer.*.nupkg')
        $nupkg.Count | Should -Be 1

        $target = New-TestDirectory
        $repository = "StreamLayerTest-$PID"
        Register-PSResourceRepository -Name $repository -Uri $env:STREAMLAYER_PACKAGE -Trusted
        try {
            Save-PSResource -Name StreamLayer -Repository $repository -Path $target -TrustRepository
        }
        finally {
            Unregister-PSResourceRepository -Name $repository
        }

        $installed = Get-ChildItem $target -Recurse -Filter StreamLayer.psd1 | Select-Object -First 1
        $installed | Should -Not -BeNullOrEmpty
        # zstd too: the package must carry ZstdSharp, and libzstd where the core looks for it (used here: linux-x64).
        $command = "Import-Module '$($installed.FullName)'; (,[byte[]]::new(1024) | Get-LayerDigest).DiffId; (Get-Module StreamLayer).ModuleBase; " +
            "(,[byte[]]::new(1024) | Get-LayerDigest -Compression Zstd).MediaType; [ZstdSharp.Compressor].Assembly.Location; " +
            "`$native = [StreamLayer.LayerDigest].Assembly.GetType('StreamLayer.Compression.NativeZstd'); 'libzstd ' + `$native.GetProperty('IsAvailable').GetValue(`$null) + ' ' + `$native.GetProperty('Unavailable').GetValue(`$null)"
        $output = Invoke-ChildPwsh $command
        $LASTEXITCODE | Should -Be 0
        $output[0] | Should -Be ('sha256:' + [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData([byte[]]::new(1024))).ToLowerInvariant())
        $output[1] | Should -Be $installed.DirectoryName
        $output[2] | Should -Be 'application/vnd.oci.image.layer.v1.tar+zstd'
        $output[3] | Should -Be (Join-Path $installed.DirectoryName 'ZstdSharp.dll')
        $output[4] | Should -Be 'libzstd True ' -Because 'the installed module loads the libzstd it ships'
        foreach ($rid in 'linux-x64', 'linux-arm64', 'osx-x64', 'osx-arm64', 'win-x64', 'win-x86', 'win-arm64') {
            @(Get-ChildItem (Join-Path $installed.DirectoryName "runtimes/$rid/native") -Filter 'libzstd*').Count | Should -Be 1 -Because "libzstd for $rid"
        }
        Remove-Item -Recurse -Force $target
    }
}
