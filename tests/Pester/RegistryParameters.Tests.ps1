# The registry connection parameters are declared once (RegistryParameters) and given by both push commands as
# their dynamic parameters. These tests show that a user meets them as declared parameters: listed, in the
# syntax and help, completed, validated and splatted alike on both commands.
BeforeAll {
    Import-Module $env:STREAMLAYER_MODULE -Force
    $script:shared = 'PlainHttp', 'SkipCertificateCheck', 'Credential', 'AllowUnencryptedAuthentication', 'Certificate', 'CertificateDirectory', 'MaximumRetryCount', 'RetryIntervalSec', 'TimeoutSec'
}

Describe 'The registry parameters of <_>' -ForEach 'Push-StreamLayer', 'Push-ImageIndex' {
    BeforeAll {
        $script:name = $_
        $script:command = Get-Command $name
    }

    It 'are all there, with the types and defaults the other push command has' {
        foreach ($parameter in $shared) {
            $command.Parameters.Keys | Should -Contain $parameter
        }

        $other = Get-Command @('Push-StreamLayer', 'Push-ImageIndex' | Where-Object { $_ -ne $name })[0]
        foreach ($parameter in $shared) {
            $command.Parameters[$parameter].ParameterType | Should -Be $other.Parameters[$parameter].ParameterType
        }
    }

    It 'show in the syntax and in Get-Help' {
        $syntax = (Get-Command $name -Syntax) -join ' '
        foreach ($parameter in $shared) {
            $syntax | Should -Match "-$parameter\b"
            (Get-Help $name -Parameter $parameter).Name | Should -Be $parameter
        }
    }

    It 'complete by name' {
        $line = "$name -Repository localhost:5000/x -TimeoutS"
        (TabExpansion2 $line $line.Length).CompletionMatches.CompletionText | Should -Be '-TimeoutSec'
        $line = "$name -Repository localhost:5000/x -AllowUnenc"
        (TabExpansion2 $line $line.Length).CompletionMatches.CompletionText | Should -Be '-AllowUnencryptedAuthentication'
    }

    It 'validate their values before anything else runs' {
        { & $name -Repository 'localhost:5000/x' -TimeoutSec 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        { & $name -Repository 'localhost:5000/x' -MaximumRetryCount 101 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
    }

    It 'take splatted values' {
        # A splatted value is bound (and so validated) as a declared parameter's would be.
        { $splat = @{ Repository = 'localhost:5000/x'; TimeoutSec = 0; PlainHttp = $true }; & $name @splat } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        $splat = @{ Repository = 'http://localhost:5000/x'; TimeoutSec = 7; PlainHttp = $true; Image = 'localhost:5000/x:1' }
        if ($name -eq 'Push-StreamLayer') { $splat.Remove('Image'); $splat.Path = 'missing.tar' }
        { & $name @splat } | Should -Throw -ErrorId 'InvalidRepository*'
    }
}
