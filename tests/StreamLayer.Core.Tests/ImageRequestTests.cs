using System;
using System.Collections.Generic;
using System.Linq;
using StreamLayer.Registry;
using StreamLayer.Registry.Images;
using Xunit;

namespace StreamLayer.Tests
{
    /// <summary>What an image may be asked for (<see cref="ImageRequest.Check"/>), its names and values, and what an index may hold.</summary>
    public sealed class ImageRequestTests
    {
        private static readonly ImageReference s_repository = ImageReference.Parse("localhost:5000/team/app");

        [Fact]
        public void NoTagsAndNothingElseIsNoImage()
        {
            Assert.Null(new ImageRequest().Check(s_repository));
            Assert.Null(new ImageRequest { SourceDateEpoch = "not checked without an image" }.Check(s_repository));
        }

        [Theory]
        [InlineData("BaseImage")]
        [InlineData("Platform")]
        [InlineData("Created")]
        [InlineData("Entrypoint")]
        [InlineData("Cmd")]
        [InlineData("Environment")]
        [InlineData("WorkingDirectory")]
        [InlineData("User")]
        [InlineData("Label")]
        [InlineData("Annotation")]
        public void AnImageSettingWithoutATagIsTagRequired(string setting)
        {
            var request = new ImageRequest();
            switch (setting)
            {
                case "BaseImage": request.BaseImage = "alpine:3"; break;
                case "Platform": request.Platform = "linux/arm64"; break;
                case "Created": request.Created = new DateTime(2020, 1, 1); break;
                case "Entrypoint": request.Entrypoint = new[] { "/app" }; break;
                case "Cmd": request.Cmd = Array.Empty<string>(); break;
                case "Environment": request.Environment = Pairs(("A", "1")); break;
                case "WorkingDirectory": request.WorkingDirectory = "/"; break;
                case "User": request.User = "1000"; break;
                case "Label": request.Labels = Pairs(("a", "b")); break;
                case "Annotation": request.Annotations = Pairs(("a", "b")); break;
            }

            var error = Assert.Throws<ImageException>(() => request.Check(s_repository));

            Assert.Equal(ImageFailure.TagRequired, error.Failure);
            Assert.Equal(setting, error.Subject);
            Assert.Equal("-" + setting + " describes the image that -Tag writes; give -Tag too.", error.Message);
        }

        [Theory]
        [InlineData("")]
        [InlineData("-leading-dash")]
        [InlineData(".leading-dot")]
        [InlineData("has space")]
        [InlineData("has/slash")]
        [InlineData("has:colon")]
        public void ATagARegistryWouldRefuseIsTagInvalid(string tag)
        {
            var error = Assert.Throws<ImageException>(() => new ImageRequest { Tags = new[] { "good", tag } }.Check(s_repository));

            Assert.Equal(ImageFailure.TagInvalid, error.Failure);
            Assert.Equal(tag, error.Subject);
        }

        [Fact]
        public void ATagOf128CharactersIsTakenAnd129AreNot()
        {
            Assert.NotNull(new ImageRequest { Tags = new[] { new string('a', 128) } }.Check(s_repository));
            var error = Assert.Throws<ImageException>(() => new ImageRequest { Tags = new[] { new string('a', 129) } }.Check(s_repository));
            Assert.Equal(ImageFailure.TagInvalid, error.Failure);
        }

        [Theory]
        [InlineData("linux")]
        [InlineData("linux/")]
        [InlineData("/amd64")]
        [InlineData("linux/arm/v7/extra")]
        [InlineData("linux//v7")]
        public void APlatformThatIsNotOsSlashArchitectureIsSettingInvalid(string platform)
        {
            var error = Assert.Throws<ImageException>(() => new ImageRequest { Tags = new[] { "1" }, Platform = platform }.Check(s_repository));

            Assert.Equal(ImageFailure.SettingInvalid, error.Failure);
            Assert.Equal(platform, error.Subject);
            Assert.Contains("is not a platform", error.Message);
        }

        [Theory]
        [InlineData("not a reference")]
        [InlineData("alpine@sha256:short")]
        [InlineData("registry.example.com/Team/App")]
        [InlineData("host:99999/app")]
        [InlineData("   ")]
        public void ABaseThatIsNotAReferenceIsBaseImageReferenceInvalid(string baseImage)
        {
            var error = Assert.Throws<ImageException>(() => new ImageRequest { Tags = new[] { "1" }, BaseImage = baseImage }.Check(s_repository));

            Assert.Equal(ImageFailure.BaseImageReferenceInvalid, error.Failure);
            Assert.Equal(baseImage, error.Subject);
            Assert.StartsWith("'" + baseImage + "' is not an image reference. ", error.Message);
        }

        [Theory]
        [InlineData("-1")]
        [InlineData("1.5")]
        [InlineData("soon")]
        [InlineData("253402300800")]
        public void ASourceDateEpochThatIsNotWholeSecondsIsSettingInvalid(string epoch)
        {
            var error = Assert.Throws<ImageException>(() => new ImageRequest { Tags = new[] { "1" }, SourceDateEpoch = epoch }.Check(s_repository));

            Assert.Equal(ImageFailure.SettingInvalid, error.Failure);
            Assert.Equal(epoch, error.Subject);
            Assert.Contains("SOURCE_DATE_EPOCH", error.Message);
        }

        [Theory]
        [InlineData("Environment", "", "-Environment takes names that are non-empty strings without '='; '' is not one.")]
        [InlineData("Environment", "A=B", "-Environment takes names that are non-empty strings without '='; 'A=B' is not one.")]
        [InlineData("Label", "", "-Label takes names that are non-empty strings; '' is not one.")]
        [InlineData("Annotation", null, "-Annotation takes names that are non-empty strings; '' is not one.")]
        public void ANameThatCannotBeUsedIsSettingInvalid(string parameter, string name, string message)
        {
            var request = new ImageRequest { Tags = new[] { "1" } };
            IReadOnlyList<KeyValuePair<string, string>> values = new[] { new KeyValuePair<string, string>("fine", "x"), new KeyValuePair<string, string>(name, "v") };
            switch (parameter)
            {
                case "Environment": request.Environment = values; break;
                case "Label": request.Labels = values; break;
                default: request.Annotations = values; break;
            }

            var error = Assert.Throws<ImageException>(() => request.Check(s_repository));

            Assert.Equal(ImageFailure.SettingInvalid, error.Failure);
            Assert.Equal(message, error.Message);
        }

        [Fact]
        public void AGoodRequestIsTheBuildOfWhatWasAsked()
        {
            var request = new ImageRequest
            {
                Tags = new[] { "1.0", "latest" },
                Platform = "Linux/ARM64/V8",
                BaseImage = "docker.io/alpine:3.20",
                Created = new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Unspecified),
                SourceDateEpoch = "1",
                Entrypoint = new[] { "/bin/app" },
                Cmd = Array.Empty<string>(),
                WorkingDirectory = "/srv",
                User = "1000:1000",
                Environment = Pairs(("PATH", "/bin"), ("A", "1"), ("A", "2"), ("GONE", null)),
                Labels = Pairs(("b", "2"), ("a", "1")),
                Annotations = Pairs(("org.opencontainers.image.source", "x")),
            };

            using ImageBuild build = request.Check(s_repository);

            Assert.Equal(new[] { "1.0", "latest" }, build.Tags);
            Assert.Equal("linux/arm64/v8", build.Platform.ToString());
            Assert.Equal("index.docker.io/library/alpine:3.20", build.BaseReference.ToString());
            Assert.Equal(new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero), build.Created);
            Assert.Equal(new[] { "/bin/app" }, build.Settings.Entrypoint);
            Assert.Empty(build.Settings.Cmd);
            Assert.Equal("/srv", build.Settings.WorkingDirectory);
            Assert.Equal("1000:1000", build.Settings.User);
            // Ordinal order, the last value of a name wins, a null value is kept to remove the base's.
            Assert.Equal(new[] { "A", "GONE", "PATH" }, build.Settings.Environment.Keys);
            Assert.Equal("2", build.Settings.Environment["A"]);
            Assert.Null(build.Settings.Environment["GONE"]);
            Assert.Equal(new[] { "a", "b" }, build.Settings.Labels.Keys);
            Assert.Equal("x", build.Settings.Annotations["org.opencontainers.image.source"]);
            Assert.False(build.IsReady);
        }

        [Theory]
        [InlineData(null, null, null)]
        [InlineData(null, "", null)]
        [InlineData(null, "0", "1970-01-01T00:00:00+00:00")]
        [InlineData(null, "1700000000", "2023-11-14T22:13:20+00:00")]
        [InlineData("2001-02-03T04:05:06+02:00", "1700000000", "2001-02-03T02:05:06+00:00")]
        public void TheTimeIsCreatedInUtcElseSourceDateEpochElseTheBases(string created, string epoch, string expected)
        {
            var request = new ImageRequest { Tags = new[] { "1" }, SourceDateEpoch = epoch };
            if (created != null)
            {
                request.Created = DateTimeOffset.Parse(created, System.Globalization.CultureInfo.InvariantCulture).LocalDateTime;
            }

            using ImageBuild build = request.Check(s_repository);

            Assert.Equal(expected, build.Created?.ToString("yyyy-MM-ddTHH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal("linux/amd64", build.Platform.ToString());
            Assert.Null(build.BaseReference);
        }

        [Theory]
        [InlineData("https://registry.example.com/team/app", "Leave out the scheme: -Repository registry.example.com/team/app.")]
        [InlineData("http://127.0.0.1:5000/app/", "add -PlainHttp")]
        [InlineData("registry.example.com/team/app:1.0", "-Repository registry.example.com/team/app -Tag '1.0'")]
        [InlineData("localhost:5000/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "Use -Repository localhost:5000/app.")]
        [InlineData("", "The reference is empty.")]
        [InlineData("Team/App", "not a repository name")]
        public void ARepositoryThatIsNotARepositoryNameIsRepositoryInvalid(string text, string says)
        {
            var error = Assert.Throws<ImageException>(() => ImageReference.ParseRepository(text, "layer"));

            Assert.Equal(ImageFailure.RepositoryInvalid, error.Failure);
            Assert.Equal(text, error.Subject);
            Assert.Contains(says, error.Message);
            Assert.EndsWith("Examples: localhost:5000/stream, registry.example.com/team/app, ubuntu.", error.Message);
        }

        [Fact]
        public void NamedValuesOfNothingIsEmptyAndKeepsOrdinalOrder()
        {
            Assert.Empty(NamedValues.Of(null, "Label"));
            SortedDictionary<string, string> sorted = NamedValues.Of(Pairs(("b", "1"), ("B", "2"), ("a", "3"), ("é", "4")), "Label");
            Assert.Equal(new[] { "B", "a", "b", "é" }, sorted.Keys);
        }

        [Fact]
        public void NamedValuesForbidOnlyWhatTheyAreTold()
        {
            var target = new SortedDictionary<string, string>(StringComparer.Ordinal);
            NamedValues.CopyTo(Pairs(("a=b", "1")), target, "Label");
            Assert.Equal("1", target["a=b"]);

            var error = Assert.Throws<ImageException>(() => NamedValues.CopyTo(Pairs(("a=b", "1")), target, "Environment", "="));
            Assert.Equal(ImageFailure.SettingInvalid, error.Failure);
            Assert.Equal("a=b", error.Subject);
        }

        [Fact]
        public void AnIndexImageByNameOrBareDigest()
        {
            string digest = "sha256:" + new string('c', 64);

            IndexImage named = IndexImage.Named("localhost:5000/other:1", s_repository);
            IndexImage bare = IndexImage.Named(digest, s_repository);

            Assert.Equal("localhost:5000/other:1", named.Reference.ToString());
            Assert.Null(named.Platform);
            Assert.Equal("localhost:5000/team/app@" + digest, bare.Reference.ToString());
        }

        [Theory]
        [InlineData("not a reference")]
        [InlineData("sha256:abc")]
        [InlineData("")]
        public void AnIndexImageThatIsNotAReferenceIsIndexChildInvalid(string text)
        {
            var error = Assert.Throws<ImageException>(() => IndexImage.Named(text, s_repository));

            Assert.Equal(ImageFailure.IndexChildInvalid, error.Failure);
            Assert.Equal(text, error.Subject);
        }

        [Fact]
        public void AnIndexImageObjectNeedsAReferenceAndAPlatform()
        {
            var subject = new object();
            string reference = "localhost:5000/team/app@sha256:" + new string('d', 64);

            IndexImage good = IndexImage.Of(reference, "linux/arm/v7", s_repository, subject, "PushedImage");
            var noReference = Assert.Throws<ImageException>(() => IndexImage.Of(null, "linux/amd64", s_repository, subject, "Hashtable"));
            var noPlatform = Assert.Throws<ImageException>(() => IndexImage.Of(reference, "", s_repository, subject, "PushedImage"));
            var badPlatform = Assert.Throws<ImageException>(() => IndexImage.Of(reference, "arm", s_repository, subject, "PushedImage"));
            var badReference = Assert.Throws<ImageException>(() => IndexImage.Of("no way", "linux/amd64", s_repository, subject, "PushedImage"));

            Assert.Equal("linux/arm/v7", good.Platform.ToString());
            Assert.Equal(reference, good.Reference.ToString());
            Assert.Equal(ImageFailure.IndexChildInvalid, noReference.Failure);
            Assert.Same(subject, noReference.Subject);
            Assert.Contains("a Hashtable with no Reference", noReference.Message);
            Assert.Equal(ImageFailure.IndexPlatformMissing, noPlatform.Failure);
            Assert.Equal(reference, noPlatform.Subject);
            Assert.Equal(ImageFailure.IndexPlatformMissing, badPlatform.Failure);
            Assert.Contains("has no usable Platform", badPlatform.Message);
            Assert.Equal(ImageFailure.IndexChildInvalid, badReference.Failure);
        }

        private static IReadOnlyList<KeyValuePair<string, string>> Pairs(params (string Name, string Value)[] pairs) =>
            pairs.Select(p => new KeyValuePair<string, string>(p.Name, p.Value)).ToArray();
    }
}
