using System;
using System.Collections.Generic;
using StreamLayer.Registry.Images;
using StreamLayer.Registry.Json;
using Xunit;

namespace StreamLayer.Tests
{
    public class ImageDocumentTests
    {
        private static readonly LayerDigest Layer = new LayerDigest("sha256:" + new string('a', 64), "sha256:" + new string('b', 64), 10, 20, MediaTypes.DockerLayerGzip);

        private static JsonValue Base() => JsonValue.Parse(
            "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\",\"KEEP=1\",\"HOME=/root\"],\"Entrypoint\":[\"/base\"],\"Cmd\":[\"base\"],\"User\":\"0\",\"Labels\":{\"z\":\"base\",\"a\":\"base\"}}," +
            "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"history\":[]}");

        [Fact]
        public void EnvironmentIsReplacedInPlaceAppendedInOrdinalOrderAndRemovedByNull()
        {
            var settings = new ImageSettings();
            settings.Environment["PATH"] = "/usr/bin";
            settings.Environment["b"] = "2";
            settings.Environment["A"] = "1";
            settings.Environment["HOME"] = null;

            JsonValue config = ImageDocument.AppendLayers(Base(), new[] { Layer }, null, settings);

            Assert.Equal("[\"PATH=/usr/bin\",\"KEEP=1\",\"A=1\",\"b=2\"]", config["config"]["Env"].ToString());
        }

        [Fact]
        public void EntrypointWithoutCmdClearsTheBasesCmdAndKeepsTheRest()
        {
            var settings = new ImageSettings { Entrypoint = new[] { "/app", "--serve" } };

            JsonValue runtime = ImageDocument.AppendLayers(Base(), new[] { Layer }, null, settings)["config"];

            Assert.Equal("[\"/app\",\"--serve\"]", runtime["Entrypoint"].ToString());
            Assert.Equal(JsonKind.Null, runtime["Cmd"].Kind);
            Assert.Equal("0", runtime["User"].AsString);
        }

        [Fact]
        public void CmdAloneKeepsTheBasesEntrypointAndAnEmptyOneClearsIt()
        {
            JsonValue runtime = ImageDocument.AppendLayers(Base(), new[] { Layer }, null, new ImageSettings { Cmd = new[] { "x" } })["config"];
            Assert.Equal("[\"/base\"]", runtime["Entrypoint"].ToString());
            Assert.Equal("[\"x\"]", runtime["Cmd"].ToString());

            runtime = ImageDocument.AppendLayers(Base(), new[] { Layer }, null, new ImageSettings { Cmd = Array.Empty<string>() })["config"];
            Assert.Equal("[]", runtime["Cmd"].ToString());
        }

        [Fact]
        public void LabelsMergeTheNewValueWinningInOrdinalOrder()
        {
            var settings = new ImageSettings();
            settings.Labels["z"] = "new";
            settings.Labels["m"] = "new";

            JsonValue config = ImageDocument.AppendLayers(Base(), new[] { Layer }, null, settings);

            Assert.Equal("{\"a\":\"base\",\"m\":\"new\",\"z\":\"new\"}", config["config"]["Labels"].ToString());
        }

        [Fact]
        public void SettingsAddOneHistoryEntryOfNoLayerThatSaysWhatWasSet()
        {
            var settings = new ImageSettings { WorkingDirectory = "/srv", User = "app" };
            settings.Environment["A"] = "1";

            JsonValue history = ImageDocument.AppendLayers(Base(), new[] { Layer }, new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero), settings)["history"];

            Assert.Equal(2, history.Items.Count);
            Assert.Null(history.Items[0]["empty_layer"]);
            Assert.Equal(
                "{\"created\":\"2024-01-02T03:04:05Z\",\"created_by\":\"Push-StreamLayer -Environment {\\\"A\\\":\\\"1\\\"} -WorkingDirectory \\\"/srv\\\" -User \\\"app\\\"\",\"empty_layer\":true}",
                history.Items[1].ToString());
        }

        [Fact]
        public void NoSettingsLeaveTheRuntimeConfigAndHistoryAsTheyWere()
        {
            JsonValue config = ImageDocument.AppendLayers(Base(), new[] { Layer }, null, new ImageSettings());

            Assert.Equal(Base()["config"].ToString(), config["config"].ToString());
            Assert.Single(config["history"].Items);
        }

        [Fact]
        public void TheSameSettingsGiveTheSameBytesWhateverOrderTheyCameIn()
        {
            var first = new ImageSettings();
            var second = new ImageSettings();
            foreach (string name in new[] { "C", "A", "B" })
            {
                first.Environment[name] = name;
                first.Labels[name] = name;
            }

            foreach (string name in new[] { "B", "C", "A" })
            {
                second.Environment[name] = name;
                second.Labels[name] = name;
            }

            Assert.Equal(
                ImageDocument.AppendLayers(Base(), new[] { Layer }, null, first).ToString(),
                ImageDocument.AppendLayers(Base(), new[] { Layer }, null, second).ToString());
        }

        [Fact]
        public void MergeOfNothingIntoNothingIsNoMember()
        {
            var removals = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["gone"] = null };

            Assert.Null(ImageDocument.Merge(null, removals));
            Assert.Equal("{}", ImageDocument.Merge(JsonValue.Parse("{\"gone\":\"x\"}"), removals).ToString());
            Assert.Equal("{\"schemaVersion\":2,\"mediaType\":\"m\",\"manifests\":[]}", ImageDocument.Index("m", Array.Empty<JsonValue>(), JsonValue.NewObject()).ToString());
        }

        [Theory]
        [InlineData("{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}", "linux/arm64/v8")]
        [InlineData("{\"os\":\"linux\",\"architecture\":\"amd64\"}", "linux/amd64")]
        [InlineData("{\"os\":\"linux\"}", null)]
        [InlineData("{}", null)]
        public void PlatformComesFromTheConfig(string config, string platform)
        {
            Assert.Equal(platform, ImageDocument.PlatformOf(JsonValue.Parse(config))?.ToString());
        }
    }
}
