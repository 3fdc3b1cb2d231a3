# The one table from the core's problem kinds to error ids and categories (src/StreamLayer.PowerShell/ErrorRecords.cs),
# read through reflection in the built module: every kind has an id of its own, and the ids scripts rely on stay.
BeforeAll {
    Import-Module $env:STREAMLAYER_MODULE -Force

    $assembly = (Get-Command Push-StreamLayer).ImplementingType.Assembly
    $script:for = $assembly.GetType('StreamLayer.Commands.ErrorRecords', $true).GetMethod('For', [Reflection.BindingFlags]'Public, Static')
    $script:declaredIds = @($assembly.GetType('StreamLayer.Commands.ErrorIds', $true).GetFields([Reflection.BindingFlags]'Public, Static') |
            Where-Object IsLiteral | ForEach-Object { $_.GetRawConstantValue() })
    $script:inputConstructor = [StreamLayer.LayerInputException].GetConstructor(
        [Reflection.BindingFlags]'NonPublic, Instance', $null,
        [type[]]@([StreamLayer.LayerInputProblem], [object], [string], [string], [Exception]), $null)
    $script:outputConstructor = [StreamLayer.LayerOutputException].GetConstructor(
        [Reflection.BindingFlags]'NonPublic, Instance', $null, [type[]]@([string], [Exception]), $null)

    function Get-Record([Exception] $Exception, $Target = 'the target') {
        $for.Invoke($null, @($Exception, $Target))
    }

    function New-Failure([string] $Enum, $Kind) {
        switch ($Enum) {
            'ImageFailure' { [StreamLayer.Registry.ImageException]::new($Kind, "an image failure $Kind") }
            'RegistryFailure' { [StreamLayer.Registry.RegistryException]::new($Kind, "a registry failure $Kind") }
            'LayerInputProblem' { $inputConstructor.Invoke(@([StreamLayer.LayerInputProblem]$Kind, "subject-$Kind", "'in.tar'", "an input problem $Kind", $null)) }
        }
    }

    # What each kind is reported as. Scripts catch by these ids (`-ErrorId`, FullyQualifiedErrorId): a change here
    # is a change of the module's contract, never a side effect.
    $script:pinned = @{
        ImageFailure      = [ordered]@{
            BaseImageNotFound = 'BaseImageNotFound', 'ObjectNotFound'; PlatformNotFound = 'PlatformNotFound', 'ObjectNotFound'
            BaseImageInvalid = 'BaseImageInvalid', 'InvalidData'; FormatConflict = 'FormatConflict', 'InvalidOperation'
            IndexEmpty = 'IndexEmpty', 'InvalidArgument'; IndexPlatformMissing = 'IndexPlatformMissing', 'InvalidData'
            IndexPlatformDuplicate = 'IndexPlatformDuplicate', 'InvalidArgument'; IndexChildNotFound = 'IndexChildNotFound', 'ObjectNotFound'
            IndexChildInvalid = 'IndexChildInvalid', 'InvalidData'; IndexChildUnavailable = 'IndexChildUnavailable', 'ResourceUnavailable'
            RepositoryInvalid = 'InvalidRepository', 'InvalidArgument'; TagInvalid = 'InvalidTag', 'InvalidArgument'
            TagRequired = 'TagRequired', 'InvalidArgument'; BaseImageReferenceInvalid = 'InvalidBaseImage', 'InvalidArgument'
            SettingInvalid = 'InvalidOption', 'InvalidArgument'
            DestinationConflict = 'DestinationConflict', 'InvalidArgument'; LayoutPathIsFile = 'LayoutPathIsFile', 'InvalidArgument'
            LayoutFolderNotEmpty = 'LayoutFolderNotEmpty', 'InvalidArgument'; LayoutInvalid = 'LayoutInvalid', 'InvalidData'
            LayoutWriteFailed = 'LayoutWriteFailed', 'WriteError'; LayoutBusy = 'LayoutBusy', 'ResourceBusy'
        }
        RegistryFailure   = [ordered]@{
            Rejected = 'RegistryRejected', 'InvalidResult'; Unauthorized = 'RegistryUnauthorized', 'AuthenticationError'
            Denied = 'RegistryDenied', 'PermissionDenied'; NameUnknown = 'RegistryNameUnknown', 'ObjectNotFound'
            NameInvalid = 'RegistryNameInvalid', 'InvalidArgument'; BlobRejected = 'RegistryBlobRejected', 'InvalidData'
            Unsupported = 'RegistryUnsupported', 'NotImplemented'; TooManyRequests = 'RegistryTooManyRequests', 'LimitsExceeded'
            Unavailable = 'RegistryUnavailable', 'ResourceUnavailable'; Timeout = 'RegistryTimeout', 'OperationTimeout'
            ProtocolError = 'RegistryProtocolError', 'ProtocolError'; ConnectionFailed = 'RegistryConnectionFailed', 'ConnectionError'
            AuthenticationFailed = 'RegistryAuthenticationFailed', 'AuthenticationError'
            TokenRealmUnreachable = 'RegistryTokenRealmUnreachable', 'ConnectionError'
            ChallengeInvalid = 'RegistryChallengeInvalid', 'ProtocolError'
            UnencryptedAuthentication = 'UnencryptedAuthenticationRefused', 'SecurityError'
            CredentialFileInvalid = 'CredentialFileInvalid', 'InvalidData'; CredentialHelperNotFound = 'CredentialHelperNotFound', 'ObjectNotFound'
            CredentialHelperFailed = 'CredentialHelperFailed', 'AuthenticationError'
            CertificateUntrusted = 'RegistryCertificateUntrusted', 'SecurityError'; CertificateInvalid = 'CertificateInvalid', 'InvalidData'
            StorageFull = 'RegistryStorageFull', 'ResourceUnavailable'; LocationInvalid = 'RegistryLocationInvalid', 'ProtocolError'
            DigestMismatch = 'RegistryDigestMismatch', 'InvalidResult'; RedirectNotFollowed = 'RegistryRedirectNotFollowed', 'ProtocolError'
            TokenRejected = 'RegistryTokenRejected', 'AuthenticationError'
        }
        LayerInputProblem = [ordered]@{
            Empty = 'InputEmpty', 'InvalidData'; Mixed = 'InputMixed', 'InvalidArgument'; ReadFailed = 'InputReadFailed', 'ReadError'
            Corrupt = 'InputCorrupt', 'InvalidData'; TooManyLayers = 'OutFileMultipleLayers', 'InvalidArgument'
            NotTar = 'InputNotTar', 'InvalidData'; NotReadable = 'InputNotReadable', 'InvalidArgument'; Closed = 'InputClosed', 'InvalidOperation'
            NotBytes = 'InputNotBytes', 'InvalidType'
            PathNotFound = 'PathNotFound', 'ObjectNotFound'; PathNotFileSystem = 'PathNotFound', 'InvalidArgument'
            PathIsDirectory = 'PathIsDirectory', 'InvalidArgument'; Missing = 'InputMissing', 'InvalidArgument'
            NotDirectory = 'PathNotDirectory', 'InvalidArgument'; EntryUnreadable = 'DirectoryEntryUnreadable', 'PermissionDenied'
            EntryNameInvalid = 'DirectoryEntryNameInvalid', 'InvalidData'; EntryChanged = 'DirectoryEntryChanged', 'InvalidData'
            EntryVanished = 'DirectoryEntryVanished', 'ObjectNotFound'; LayerPathInvalid = 'LayerPathInvalid', 'InvalidArgument'
        }
    }

    # The id the table's switch falls back to for a kind it does not name, and the one kind that is that id.
    $script:fallback = @{
        ImageFailure      = @{ Id = 'LayerFailed'; Kind = $null }
        RegistryFailure   = @{ Id = 'RegistryRejected'; Kind = 'Rejected' }
        LayerInputProblem = @{ Id = 'InputCorrupt'; Kind = 'Corrupt' }
    }
    $script:enums = @{
        ImageFailure      = [StreamLayer.Registry.ImageFailure]
        RegistryFailure   = [StreamLayer.Registry.RegistryFailure]
        LayerInputProblem = [StreamLayer.LayerInputProblem]
    }
}

Describe 'ErrorRecords: every core problem kind' {
    It 'gives each <Enum> kind an id of ErrorIds and a category, not the table''s fallback' -ForEach @(
        @{ Enum = 'ImageFailure' }, @{ Enum = 'RegistryFailure' }, @{ Enum = 'LayerInputProblem' }
    ) {
        $kinds = [Enum]::GetNames($enums[$Enum])
        $kinds.Count | Should -BeGreaterThan 10
        foreach ($kind in $kinds) {
            $record = Get-Record (New-Failure $Enum $kind)
            $id = ($record.FullyQualifiedErrorId -split ',')[0]
            $id | Should -BeIn $declaredIds -Because "$Enum.$kind's id comes from ErrorIds"
            "$($record.CategoryInfo.Category)" | Should -Not -Be 'NotSpecified' -Because "$Enum.$kind has a category"
            if ($kind -ne $fallback[$Enum].Kind) {
                $id | Should -Not -Be $fallback[$Enum].Id -Because "$Enum.$kind is named in the table, not left to its fallback"
            }
        }
    }

    It 'gives no two <Enum> kinds the same id and category' -ForEach @(
        @{ Enum = 'ImageFailure' }, @{ Enum = 'RegistryFailure' }, @{ Enum = 'LayerInputProblem' }
    ) {
        $reported = foreach ($kind in [Enum]::GetNames($enums[$Enum])) {
            $record = Get-Record (New-Failure $Enum $kind)
            [pscustomobject]@{ Kind = $kind; Id = ($record.FullyQualifiedErrorId -split ',')[0]; Category = "$($record.CategoryInfo.Category)" }
        }
        $shared = @($reported | Group-Object Id, Category | Where-Object Count -GT 1 | ForEach-Object { "$($_.Name): $($_.Group.Kind -join ', ')" })
        $shared | Should -BeNullOrEmpty -Because 'a script tells kinds apart by id (and category)'

        # One id on two kinds is allowed only where it is one problem for a script: a path that names no file,
        # in the file system or outside it (PathNotFileSystem, as InvalidArgument).
        $sharedIds = @($reported | Group-Object Id | Where-Object Count -GT 1 | ForEach-Object { "$($_.Name): $($_.Group.Kind -join ', ')" })
        $sharedIds | Should -Be @(if ($Enum -eq 'LayerInputProblem') { 'PathNotFound: PathNotFound, PathNotFileSystem' })
    }

    It 'keeps the pinned id and category of every <Enum> kind' -ForEach @(
        @{ Enum = 'ImageFailure' }, @{ Enum = 'RegistryFailure' }, @{ Enum = 'LayerInputProblem' }
    ) {
        $names = [Enum]::GetNames($enums[$Enum])
        @($names | Where-Object { -not $pinned[$Enum].Contains($_) }) | Should -BeNullOrEmpty -Because 'a new kind gets its id pinned here with its row in about_StreamLayer'
        @($pinned[$Enum].Keys | Where-Object { $_ -notin $names }) | Should -BeNullOrEmpty -Because 'every pinned kind still exists'
        foreach ($kind in $names) {
            $record = Get-Record (New-Failure $Enum $kind)
            $record.FullyQualifiedErrorId | Should -Be $pinned[$Enum][$kind][0] -Because "$Enum.$kind's id is stable"
            "$($record.CategoryInfo.Category)" | Should -Be $pinned[$Enum][$kind][1] -Because "$Enum.$kind's category is stable"
        }
    }

    It 'reports every id of ErrorIds for some failure: the table has no id nothing reports' {
        $reported = [Collections.Generic.HashSet[string]]::new()
        foreach ($enum in $enums.Keys) {
            foreach ($kind in [Enum]::GetNames($enums[$enum])) { $null = $reported.Add(((Get-Record (New-Failure $enum $kind)).FullyQualifiedErrorId -split ',')[0]) }
        }
        foreach ($other in [InvalidOperationException]::new('x'), [StreamLayer.LayerOptionsException]::new('bad', 'Level'), $outputConstructor.Invoke(@('/out/x', [IO.IOException]::new('disk')))) {
            $null = $reported.Add((Get-Record $other).FullyQualifiedErrorId)
        }

        @($declaredIds | Where-Object { -not $reported.Contains($_) }) | Should -BeNullOrEmpty
    }
}

Describe 'ErrorRecords: the other failures and the targets' {
    It 'reports a failure to write -OutFile as OutFileWriteFailed, a WriteError on the path' {
        $record = Get-Record $outputConstructor.Invoke(@('/out/layer.tar.gz', [IO.IOException]::new('No space left on device')))
        $record.FullyQualifiedErrorId | Should -Be 'OutFileWriteFailed'
        $record.CategoryInfo.Category | Should -Be 'WriteError'
        $record.TargetObject | Should -Be '/out/layer.tar.gz'
    }

    It 'reports options the input rules out as InvalidOption, an InvalidArgument' {
        $record = Get-Record ([StreamLayer.LayerOptionsException]::new('zstd input cannot be a Docker layer', 'MediaType'))
        $record.FullyQualifiedErrorId | Should -Be 'InvalidOption'
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'reports any other failure as LayerFailed, and looks inside an AggregateException of one' {
        $other = Get-Record ([InvalidOperationException]::new('unexpected'))
        $other.FullyQualifiedErrorId | Should -Be 'LayerFailed'
        $other.CategoryInfo.Category | Should -Be 'NotSpecified'

        $wrapped = Get-Record ([AggregateException]::new([Exception[]]@((New-Failure 'RegistryFailure' 'Denied'))))
        $wrapped.FullyQualifiedErrorId | Should -Be 'RegistryDenied'
        $two = Get-Record ([AggregateException]::new([Exception[]]@((New-Failure 'RegistryFailure' 'Denied'), (New-Failure 'RegistryFailure' 'Timeout'))))
        $two.FullyQualifiedErrorId | Should -Be 'LayerFailed' -Because 'two failures are not one kind'
    }

    It 'reports a missing path with an ItemNotFoundException, as PowerShell does everywhere' {
        $record = Get-Record (New-Failure 'LayerInputProblem' 'PathNotFound')
        $record.Exception | Should -BeOfType ([Management.Automation.ItemNotFoundException])
        $record.Exception.InnerException | Should -BeOfType ([StreamLayer.LayerInputException])
    }

    It 'explains TooManyLayers in -OutFile''s terms' {
        $record = Get-Record (New-Failure 'LayerInputProblem' 'TooManyLayers')
        $record.Exception.Message | Should -BeLike '-OutFile holds one layer*'
        $record.Exception.InnerException | Should -BeOfType ([StreamLayer.LayerInputException])
    }

    It 'targets an input''s subject, an image failure''s subject, else the command''s target' {
        (Get-Record (New-Failure 'LayerInputProblem' 'NotTar')).TargetObject | Should -Be 'subject-NotTar'
        (Get-Record $inputConstructor.Invoke(@([StreamLayer.LayerInputProblem]::NotTar, $null, "'in.tar'", 'not a tar', $null))).TargetObject | Should -Be "'in.tar'"
        (Get-Record (New-Failure 'LayerInputProblem' 'Mixed')).TargetObject | Should -BeNullOrEmpty -Because 'a mix is no one input'
        (Get-Record (New-Failure 'RegistryFailure' 'Denied') 'localhost:5000/app').TargetObject | Should -Be 'localhost:5000/app'
        (Get-Record (New-Failure 'ImageFailure' 'IndexEmpty') 'localhost:5000/app').TargetObject | Should -Be 'localhost:5000/app'

        $subject = [StreamLayer.Registry.ImageException].GetConstructor([Reflection.BindingFlags]'NonPublic, Instance', $null,
            [type[]]@([StreamLayer.Registry.ImageFailure], [object], [string], [Exception]), $null).Invoke(@([StreamLayer.Registry.ImageFailure]::TagInvalid, 'bad tag!', 'not a tag', $null))
        (Get-Record $subject 'localhost:5000/app').TargetObject | Should -Be 'bad tag!'
    }
}
