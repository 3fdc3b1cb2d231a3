@{
    RootModule             = 'StreamLayer.PowerShell.dll'
    ModuleVersion          = '0.1.0'
    CompatiblePSEditions   = @('Desktop', 'Core')
    GUID                   = '5f0f5a43-2a49-4f4b-9a57-8c1d6f3b2e71'
    Author                 = 'StreamLayer contributors'
    CompanyName            = 'StreamLayer'
    Copyright              = '(c) StreamLayer contributors. MIT License.'
    Description            = 'Turns a tar stream into an OCI/Docker image layer in one pass: hashes it (DiffID), compresses it, hashes and counts the compressed bytes (Digest, Size) and pushes them to a container registry, without buffering the layer or writing a temporary file.'
    PowerShellVersion      = '5.1'
    DotNetFrameworkVersion = '4.7.2'
    RequiredAssemblies     = @('StreamLayer.Core.dll')
    FormatsToProcess       = @('StreamLayer.format.ps1xml')
    CmdletsToExport        = @('Get-LayerDigest', 'Push-ImageIndex', 'Push-StreamLayer')
    FunctionsToExport      = @()
    VariablesToExport      = @()
    AliasesToExport        = @()
    PrivateData            = @{
        PSData = @{
            Tags       = @('OCI', 'Docker', 'Container', 'Registry', 'Layer', 'Tar', 'Gzip', 'Zstd', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            LicenseUri = 'https://opensource.org/licenses/MIT'
        }
    }
}
