using System.Text.Json;
using Xunit;

namespace MlNetRnn.Tests.Cli;

/// <summary>Smoke runs of <c>mlnet-rnn generate</c> through its real entry point, with a tiny model and a seconds-long budget.</summary>
[Collection(CliCollection.Name)]
public sealed class CliGenerateTests
{
    private static readonly string[] s_summaryKeys = { "task", "val_loss", "train_tokens_per_second", "generate_chars_per_second", "epochs_run", "train_seconds" };

    [Fact]
    public async Task TrainsOnTheEmbeddedCorpusThenGeneratesFromTheSavedModelAlone()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-gen").FullName;
        string again = Directory.CreateTempSubdirectory("mlnetrnn-gen").FullName;
        try
        {
            int exit = await Program.Main(new[]
            {
                "generate", "--minutes", "0.05", "--hidden", "16", "--layers", "1", "--embedding", "8", "--sequence-length", "20", "--batch-size", "16",
                "--length", "80", "--output", dir,
            });

            Assert.Equal(0, exit);
            foreach (var file in new[] { "model.onnx", "loss.png", "sample.txt", "summary.json" })
                Assert.True(new FileInfo(Path.Combine(dir, file)).Length > 0, file);
            using (var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json"))))
            {
                var root = summary.RootElement;
                foreach (var key in s_summaryKeys)
                    Assert.True(root.TryGetProperty(key, out _), $"summary.json lacks '{key}'");
                Assert.Equal("charlm", root.GetProperty("task").GetString());
                Assert.InRange(root.GetProperty("val_loss").GetDouble(), 0.5, Math.Log(65) + 0.5);
                Assert.True(root.GetProperty("generate_chars_per_second").GetDouble() > 0);
                Assert.True(root.GetProperty("train_tokens_per_second").GetDouble() > 0);
                Assert.Equal(80, root.GetProperty("sample").GetString()!.Length);
            }
            Assert.StartsWith("ROMEO:", File.ReadAllText(Path.Combine(dir, "sample.txt")), StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));

            int second = await Program.Main(new[] { "generate", "--model", Path.Combine(dir, "model.onnx"), "--prime", "JULIET:", "--length", "40", "--seed", "3", "--output", again });

            Assert.Equal(0, second);
            Assert.False(File.Exists(Path.Combine(again, "model.onnx")));
            using var reloaded = JsonDocument.Parse(File.ReadAllText(Path.Combine(again, "summary.json")));
            Assert.Equal(40, reloaded.RootElement.GetProperty("sample").GetString()!.Length);
            Assert.Equal(0, reloaded.RootElement.GetProperty("train_seconds").GetDouble());
        }
        finally
        {
            Directory.Delete(dir, true);
            Directory.Delete(again, true);
        }
    }

    [Theory]
    [InlineData("--prime", "😀")]
    [InlineData("--prime", "")]
    [InlineData("--corpus", "/nonexistent/corpus.txt")]
    [InlineData("--model", "/nonexistent/model.onnx")]
    [InlineData("--temperature", "-1")]
    [InlineData("--minutes", "0")]
    [InlineData("--top-k", "-2")]
    public async Task BadInputFailsFastWithExitCodeOne(string option, string value)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"mlnetrnn-gen-{Guid.NewGuid():N}");
        var started = DateTime.UtcNow;

        int exit = await Program.Main(new[] { "generate", option, value, "--output", dir });

        Assert.Equal(1, exit);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), "the error must come before any training");
        Assert.False(Directory.Exists(dir) && Directory.EnumerateFiles(dir).Any());
    }

    [Fact]
    public async Task AutoDeviceFallsBackToTheCpuAndRecordsWhy()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-gen").FullName;
        try
        {
            int exit = await Program.Main(new[]
            {
                "generate", "--device", "auto", "--minutes", "0.02", "--hidden", "8", "--layers", "1", "--embedding", "4", "--sequence-length", "10",
                "--batch-size", "8", "--length", "10", "--output", dir,
            });

            Assert.Equal(0, exit);
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            Assert.Equal("cpu", summary.RootElement.GetProperty("device").GetString());
            var warnings = summary.RootElement.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
            Assert.Contains(warnings, w => w.Contains("CPU", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task CorpusAndModelTogetherAreRefused()
    {
        int exit = await Program.Main(new[] { "generate", "--corpus", "a.txt", "--model", "b.onnx", "--output", Path.Combine(Path.GetTempPath(), $"x{Guid.NewGuid():N}") });
        Assert.Equal(1, exit);
    }
}
