using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;
using StreamLayer.Registry;
using StreamLayer.Registry.Auth;
using Xunit;

namespace StreamLayer.Tests
{
    public class CredentialFileTests
    {
        private static string Auth(string user, string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));

        private static CredentialFile Docker(string json) => CredentialFile.Parse(json, "/home/me/.docker/config.json", "docker config");

        [Theory]
        [InlineData("registry.example.com:5000")]
        [InlineData("https://registry.example.com:5000")]
        [InlineData("https://registry.example.com:5000/")]
        [InlineData("http://registry.example.com:5000/v2/")]
        public void MatchesAHostAsDockerDoes(string key)
        {
            var file = Docker("{\"auths\":{\"" + key + "\":{\"auth\":\"" + Auth("alice", "pa:ss") + "\"}}}");

            RegistryCredential credential = file.CredentialFor(ImageReference.Parse("registry.example.com:5000/team/app"), repositoryKeys: false);

            Assert.Equal("alice", credential.UserName);
            Assert.Equal("pa:ss", credential.Password);
            Assert.Equal(RegistryCredentialKind.Password, credential.Kind);
            Assert.Null(file.CredentialFor(ImageReference.Parse("registry.example.com:5001/team/app"), false));
            Assert.Null(file.CredentialFor(ImageReference.Parse("other.example.com:5000/team/app"), false));
        }

        [Theory]
        [InlineData("https://index.docker.io/v1/")]
        [InlineData("docker.io")]
        [InlineData("index.docker.io")]
        public void MatchesDockerHubByItsNames(string key)
        {
            var file = Docker("{\"auths\":{\"" + key + "\":{\"auth\":\"" + Auth("hubuser", "hubpass") + "\"}}}");

            Assert.Equal("hubuser", file.CredentialFor(ImageReference.Parse("ubuntu"), false).UserName);
            Assert.Equal("hubuser", file.CredentialFor(ImageReference.Parse("docker.io/me/app"), false).UserName);
            Assert.Equal("https://index.docker.io/v1/", CredentialFile.DockerServerAddress(ImageReference.Parse("me/app")));
        }

        [Fact]
        public void PrefersDockersOwnKeyForDockerHub()
        {
            var file = Docker("{\"auths\":{\"docker.io\":{\"auth\":\"" + Auth("loose", "x") + "\"},\"https://index.docker.io/v1/\":{\"auth\":\"" + Auth("exact", "y") + "\"}}}");

            Assert.Equal("exact", file.CredentialFor(ImageReference.Parse("ubuntu"), false).UserName);
        }

        [Fact]
        public void ContainersKeysMayNameRepositoriesAndTheLongestWins()
        {
            var file = CredentialFile.Parse(
                "{\"auths\":{\"quay.io\":{\"auth\":\"" + Auth("host", "1") + "\"},\"quay.io/team\":{\"auth\":\"" + Auth("team", "2") + "\"},\"quay.io/team/app\":{\"auth\":\"" + Auth("app", "3") + "\"}}}",
                "/run/user/0/containers/auth.json",
                "containers auth file");

            Assert.Equal("app", file.CredentialFor(ImageReference.Parse("quay.io/team/app"), true).UserName);
            Assert.Equal("team", file.CredentialFor(ImageReference.Parse("quay.io/team/other"), true).UserName);
            Assert.Equal("host", file.CredentialFor(ImageReference.Parse("quay.io/teammate/app"), true).UserName);
        }

        [Fact]
        public void ReadsIdentityAndRegistryTokens()
        {
            var file = Docker("{\"auths\":{\"a.example\":{\"auth\":\"" + Auth("<token>", "") + "\",\"identitytoken\":\"refresh-me\"},\"b.example\":{\"registrytoken\":\"bearer-me\"}}}");

            RegistryCredential identity = file.CredentialFor(ImageReference.Parse("a.example/x"), false);
            RegistryCredential registry = file.CredentialFor(ImageReference.Parse("b.example/x"), false);

            Assert.Equal(RegistryCredentialKind.IdentityToken, identity.Kind);
            Assert.Equal("refresh-me", identity.IdentityToken);
            Assert.Equal(RegistryCredentialKind.RegistryToken, registry.Kind);
            Assert.Equal("bearer-me", registry.RegistryToken);
        }

        [Fact]
        public void FindsHelpersByRegistryThenTheStore()
        {
            var file = Docker("{\"credHelpers\":{\"https://registry.example.com\":\"corp\",\"123.dkr.ecr.us-east-1.amazonaws.com\":\"ecr-login\"},\"credsStore\":\"desktop\"}");

            Assert.Equal("corp", file.HelperFor(ImageReference.Parse("registry.example.com/a")));
            Assert.Equal("ecr-login", file.HelperFor(ImageReference.Parse("123.dkr.ecr.us-east-1.amazonaws.com/a")));
            Assert.Equal("desktop", file.HelperFor(ImageReference.Parse("ghcr.io/a/b")));
        }

        [Fact]
        public void AnEmptyFileHoldsNothing()
        {
            Assert.Null(Docker("  \n").CredentialFor(ImageReference.Parse("ubuntu"), false));
            Assert.Null(Docker("{}").HelperFor(ImageReference.Parse("ubuntu")));
        }

        [Theory]
        [InlineData("{\"auths\":{\"a.example\":{\"auth\":\"TOPSECRET\" ")]
        [InlineData("{\"auths\":{\"a.example\":{\"auth\":\"TOPSECRET\"}},}")]
        [InlineData("{\"auths\":{\"a.example\":{\"auth\":\"bm9jb2xvbg==\",\"password\":TOPSECRET}}}")]
        [InlineData("{\"auths\":[\"TOPSECRET\"]}")]
        [InlineData("{\"auths\":{\"a.example\":{\"auth\":\"!!TOPSECRET!!\"}}}")]
        [InlineData("{\"auths\":{\"a.example\":{\"auth\":\"bm9jb2xvbg==\"}}}")]
        [InlineData("{\"credsStore\":\"../../TOPSECRET\"}")]
        [InlineData("[\"TOPSECRET\"]")]
        public void RefusesAMalformedFileWithoutQuotingIt(string json)
        {
            var error = Assert.Throws<RegistryException>(() => Docker(json));

            Assert.Equal(RegistryFailure.CredentialFileInvalid, error.Failure);
            Assert.Contains("/home/me/.docker/config.json", error.Message);
            Assert.DoesNotContain("TOPSECRET", error.ToString());
            Assert.DoesNotContain("nocolon", error.ToString());
        }

        [Fact]
        public void SaysWhereTheJsonBreaks()
        {
            var error = Assert.Throws<RegistryException>(() => Docker("{\n  \"auths\": {\n    \"a\": x\n  }\n}"));

            Assert.Contains("line 3", error.Message);
        }

        [Fact]
        public async System.Threading.Tasks.Task TheStoreReadsDockerConfigFirstThenTheContainersAuthFile()
        {
            string folder = Path.Combine(Path.GetTempPath(), "streamlayer-credtest-" + Guid.NewGuid());
            Directory.CreateDirectory(Path.Combine(folder, "docker"));
            Directory.CreateDirectory(Path.Combine(folder, "runtime", "containers"));
            try
            {
                File.WriteAllText(Path.Combine(folder, "docker", "config.json"), "{\"auths\":{\"a.example\":{\"auth\":\"" + Auth("from-docker", "1") + "\"}}}");
                File.WriteAllText(Path.Combine(folder, "runtime", "containers", "auth.json"), "{\"auths\":{\"a.example\":{\"auth\":\"" + Auth("from-podman", "2") + "\"},\"b.example\":{\"auth\":\"" + Auth("podman-only", "3") + "\"}}}");
                var environment = new Dictionary<string, string>
                {
                    ["DOCKER_CONFIG"] = Path.Combine(folder, "docker"),
                    ["XDG_RUNTIME_DIR"] = Path.Combine(folder, "runtime"),
                    ["HOME"] = folder,
                    ["USERPROFILE"] = folder,
                };
                var store = new DockerCredentialStore(TimeSpan.FromSeconds(10), null, name => environment.TryGetValue(name, out string value) ? value : null);

                Assert.Equal("from-docker", (await store.FindAsync(ImageReference.Parse("a.example/x"), CancellationToken.None)).UserName);
                Assert.Equal("podman-only", (await store.FindAsync(ImageReference.Parse("b.example/x"), CancellationToken.None)).UserName);
                Assert.Null((await store.FindAsync(ImageReference.Parse("c.example/x"), CancellationToken.None)));
                Assert.Contains(Path.Combine(folder, "docker", "config.json"), store.Description);

                environment["REGISTRY_AUTH_FILE"] = Path.Combine(folder, "elsewhere.json");
                var withAuthFile = new DockerCredentialStore(TimeSpan.FromSeconds(10), null, name => environment.TryGetValue(name, out string value) ? value : null);
                Assert.Null((await withAuthFile.FindAsync(ImageReference.Parse("b.example/x"), CancellationToken.None)));
            }
            finally
            {
                Directory.Delete(folder, true);
            }
        }

        [Fact]
        public void CredentialsNeverShowTheirSecret()
        {
            var credential = RegistryCredential.FromPassword("alice", "TOPSECRET", "-Credential");

            Assert.DoesNotContain("TOPSECRET", credential.ToString());
            Assert.Contains("alice", credential.ToString());
            Assert.Equal(RegistryCredentialKind.IdentityToken, RegistryCredential.FromPassword("<token>", "TOPSECRET", "x").Kind);
        }
    }
}
