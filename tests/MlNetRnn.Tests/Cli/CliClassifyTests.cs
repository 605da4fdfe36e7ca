using System.Text.Json;
using Xunit;

namespace MlNetRnn.Tests.Cli;

/// <summary>Smoke runs of <c>mlnet-rnn classify</c> through its real entry point, with a tiny network and few epochs.</summary>
[Collection(CliCollection.Name)]
public sealed class CliClassifyTests
{
    private static readonly string[] s_keys = { "task", "accuracy", "auc", "f1", "baseline_accuracy", "baseline_auc", "epochs_run", "train_seconds" };

    [Fact]
    public async Task DefaultDataTrainsComparesWithTheBaselineAndWritesEverything()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-clf").FullName;
        try
        {
            int exit = await Program.Main(new[] { "classify", "--epochs", "2", "--hidden", "8", "--embedding", "8", "--output", dir });

            Assert.Equal(0, exit);
            foreach (var file in new[] { "model.onnx", "model.zip", "roc.png", "summary.json" })
                Assert.True(new FileInfo(Path.Combine(dir, file)).Length > 0, file);
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            var root = summary.RootElement;
            foreach (var key in s_keys)
                Assert.True(root.TryGetProperty(key, out _), $"summary.json lacks '{key}'");
            Assert.Equal(1600, root.GetProperty("train_rows").GetInt32());
            Assert.Equal(400, root.GetProperty("test_rows").GetInt32());
            Assert.InRange(root.GetProperty("accuracy").GetDouble(), 0.4, 1.0);
            Assert.InRange(root.GetProperty("baseline_accuracy").GetDouble(), 0.7, 1.0);
            var onnx = OnnxModelInfo.ReadFile(Path.Combine(dir, "model.onnx"));
            Assert.Contains("tokens.vocabulary", onnx.Metadata.Keys);
            Assert.Equal("[\"false\",\"true\"]", onnx.Metadata["classifier.labels"]);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task AUserFileWithThreeClassesIsMulticlass()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-clf").FullName;
        string file = Path.Combine(dir, "tickets.csv");
        var lines = new List<string> { "subject,team" };
        var random = new Random(1);
        string[][] words = { new[] { "invoice", "payment", "refund", "charge" }, new[] { "login", "password", "account", "locked" }, new[] { "crash", "error", "bug", "freeze" } };
        string[] teams = { "billing", "access", "engineering" };
        for (int i = 0; i < 150; i++)
        {
            int c = i % 3;
            lines.Add($"\"my {words[c][random.Next(4)]}, please help with the {words[c][random.Next(4)]}\",{teams[c]}");
        }
        File.WriteAllLines(file, lines);
        try
        {
            int exit = await Program.Main(new[] { "classify", "--data", file, "--text-column", "subject", "--label-column", "team", "--epochs", "40", "--hidden", "8", "--embedding", "8", "--output", dir });

            Assert.Equal(0, exit);
            Assert.True(File.Exists(Path.Combine(dir, "confusion.png")));
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            Assert.Equal("multiclass", summary.RootElement.GetProperty("kind").GetString());
            Assert.Equal(JsonValueKind.Null, summary.RootElement.GetProperty("auc").ValueKind);
            Assert.True(summary.RootElement.GetProperty("accuracy").GetDouble() > 0.8, "the three teams use disjoint words");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task AMissingColumnInTheUserFileIsNamed()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-clf").FullName;
        string file = Path.Combine(dir, "reviews.tsv");
        File.WriteAllLines(file, new[] { "text\tsentiment", "good\t1", "bad\t0" });
        string output = Path.Combine(dir, "out");
        try
        {
            int exit = await Program.Main(new[] { "classify", "--data", file, "--label-column", "stars", "--output", output });
            Assert.Equal(1, exit);
            Assert.False(Directory.Exists(output));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("--label-column", "stars")]
    [InlineData("--text-column", "review")]
    [InlineData("--data", "/nonexistent/reviews.tsv")]
    [InlineData("--pooling", "max")]
    [InlineData("--max-length", "0")]
    public async Task BadInputFailsWithExitCodeOne(string option, string value)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"mlnetrnn-clf-{Guid.NewGuid():N}");
        int exit = await Program.Main(new[] { "classify", option, value, "--output", dir });
        Assert.Equal(1, exit);
        Assert.False(Directory.Exists(dir) && Directory.EnumerateFiles(dir).Any());
    }
}
