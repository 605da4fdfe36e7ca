using System.Text.Json;
using Xunit;

namespace MlNetRnn.Tests.Cli;

/// <summary>Smoke runs of <c>mlnet-rnn classify</c> through its real entry point, with a tiny network and few epochs.</summary>
[Collection(CliCollection.Name)]
public sealed class CliClassifyTests
{
    private static readonly string[] s_keys =
    {
        "task", "splits", "accuracy_mean", "accuracy_sd", "auc_mean", "f1_mean", "baseline_accuracy_mean", "baseline_auc_mean",
        "second_baseline_accuracy_mean", "train_seconds_mean", "per_split", "word_vectors",
    };

    [Fact]
    public async Task DefaultDataWithTheEmbeddedVectorsTrainsTwoSplitsAndAveragesThePerSplitRows()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-clf").FullName;
        try
        {
            int exit = await Program.Main(new[] { "classify", "--splits", "2", "--epochs", "1", "--hidden", "8", "--layers", "1", "--max-length", "20", "--output", dir });

            Assert.Equal(0, exit);
            foreach (var file in new[] { "model.onnx", "model.zip", "roc.png", "summary.json" })
                Assert.True(new FileInfo(Path.Combine(dir, file)).Length > 0, file);
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            var root = summary.RootElement;
            foreach (var key in s_keys)
                Assert.True(root.TryGetProperty(key, out _), $"summary.json lacks '{key}'");
            Assert.Equal("test", root.GetProperty("evaluation").GetString());
            Assert.Equal(1600, root.GetProperty("train_rows").GetInt32());
            Assert.Equal(400, root.GetProperty("test_rows").GetInt32());
            var rows = root.GetProperty("per_split").EnumerateArray().ToArray();
            Assert.Equal(2, rows.Length);
            Assert.Equal(new[] { 1, 2 }, rows.Select(r => r.GetProperty("seed").GetInt32()));
            // The two splits differ, and every mean is the mean of its per-split rows.
            Assert.NotEqual(rows[0].GetProperty("baseline_accuracy").GetDouble(), rows[1].GetProperty("baseline_accuracy").GetDouble());
            foreach (var (mean, row) in new[] { ("accuracy_mean", "accuracy"), ("auc_mean", "auc"), ("f1_mean", "f1"), ("baseline_accuracy_mean", "baseline_accuracy"),
                         ("second_baseline_accuracy_mean", "second_baseline_accuracy"), ("baseline_auc_mean", "baseline_auc") })
                Assert.Equal(rows.Average(r => r.GetProperty(row).GetDouble()), root.GetProperty(mean).GetDouble(), 4);
            double a = rows[0].GetProperty("accuracy").GetDouble(), b = rows[1].GetProperty("accuracy").GetDouble();
            Assert.Equal(Math.Abs(a - b) / Math.Sqrt(2), root.GetProperty("accuracy_sd").GetDouble(), 4);
            Assert.InRange(root.GetProperty("accuracy_mean").GetDouble(), 0.4, 1.0);
            Assert.InRange(root.GetProperty("baseline_accuracy_mean").GetDouble(), 0.7, 1.0);
            // The embedded GloVe vectors were used: 100-d rows, most of the vocabulary covered.
            Assert.StartsWith("glove.6B.100d.top50k.txt.gz (100-d)", root.GetProperty("word_vectors").GetString());
            var onnx = OnnxModelInfo.ReadFile(Path.Combine(dir, "model.onnx"));
            Assert.Contains("tokens.vocabulary", onnx.Metadata.Keys);
            Assert.Equal("[\"false\",\"true\"]", onnx.Metadata["classifier.labels"]);
            Assert.Contains("glove", onnx.Metadata["text.word_vectors"]);
            // The CLI's default model is a five-network seed ensemble in one graph, with the n-gram part's weight chosen per split.
            Assert.Equal("5", onnx.Metadata[OnnxMetadataKeys.SequenceMembers]);
            Assert.All(rows, r => Assert.Contains(r.GetProperty("ngram_weight").GetDouble(), NgramNaiveBayes.WeightGrid));
            Assert.Equal(rows[0].GetProperty("ngram_weight").GetDouble() > 0, onnx.Metadata.ContainsKey(OnnxMetadataKeys.NgramWords));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task TuningScoresAnInnerSplitOfTheTrainingPartWithoutVectors()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-clf").FullName;
        try
        {
            int exit = await Program.Main(new[] { "classify", "--tuning", "--splits", "1", "--embeddings", "none", "--epochs", "1", "--hidden", "8", "--embedding", "8",
                "--pooling", "mean-max", "--wide", "--ngram-weight", "0.5", "--output", dir });

            Assert.Equal(0, exit);
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            var root = summary.RootElement;
            Assert.Equal("inner_validation", root.GetProperty("evaluation").GetString());
            Assert.Equal(1280, root.GetProperty("train_rows").GetInt32());
            Assert.Equal(320, root.GetProperty("test_rows").GetInt32());
            Assert.Equal(JsonValueKind.Null, root.GetProperty("word_vectors").ValueKind);
            Assert.Equal("MeanMax", root.GetProperty("pooling").GetString());
            var onnx = OnnxModelInfo.ReadFile(Path.Combine(dir, "model.onnx"));
            Assert.Equal("true", onnx.Metadata["head.wide_tokens"]);
            Assert.Equal("mean_max", onnx.Metadata["head.pooling"]);
            // A given n-gram weight is used as it is, with the networks at full scale.
            var row = root.GetProperty("per_split")[0];
            Assert.Equal(0.5, row.GetProperty("ngram_weight").GetDouble());
            Assert.Equal(1.0, row.GetProperty("ngram_network_scale").GetDouble());
            Assert.Equal("0.5", onnx.Metadata["text.ngram_weight"]);
            Assert.Contains(OnnxMetadataKeys.NgramWords, onnx.Metadata.Keys);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task WithoutTheNgramPartTheRowsHaveNoWeightAndAnOutOfRangeWeightIsRefusedByName()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-clf").FullName;
        try
        {
            // The range check is the shared one (OptionValidationTests checks its message); it stops the command before anything runs.
            int refused = await Program.Main(new[] { "classify", "--ngram-weight", "11", "--output", Path.Combine(dir, "refused") });
            Assert.NotEqual(0, refused);
            Assert.False(Directory.Exists(Path.Combine(dir, "refused")));

            int exit = await Program.Main(new[] { "classify", "--splits", "1", "--embeddings", "none", "--members", "1", "--epochs", "1", "--hidden", "8", "--embedding", "8",
                "--ngrams", "false", "--output", dir });
            Assert.Equal(0, exit);
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            Assert.Equal(JsonValueKind.Null, summary.RootElement.GetProperty("per_split")[0].GetProperty("ngram_weight").ValueKind);
            Assert.DoesNotContain(OnnxMetadataKeys.NgramWords, OnnxModelInfo.ReadFile(Path.Combine(dir, "model.onnx")).Metadata.Keys);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task ADamagedVectorsFileIsNamedWithItsLineAndNothingIsWritten()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-clf").FullName;
        string vectors = Path.Combine(dir, "vectors.txt");
        File.WriteAllLines(vectors, new[] { "good 0.1 0.2 0.3", "bad 0.4 0.5" });
        string output = Path.Combine(dir, "out");
        try
        {
            var (exit, console) = await CliBadInputTests.Run("classify", "--embeddings", vectors, "--output", output);

            Assert.Equal(1, exit);
            Assert.Contains($"'{vectors}', line 2: the word 'bad' has 2 values", console);
            Assert.False(Directory.Exists(output));
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
            int exit = await Program.Main(new[] { "classify", "--data", file, "--text-column", "subject", "--label-column", "team", "--epochs", "40", "--hidden", "8", "--embedding", "8",
                "--embeddings", "none", "--splits", "1", "--output", dir });

            Assert.Equal(0, exit);
            Assert.True(File.Exists(Path.Combine(dir, "confusion.png")));
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            Assert.Equal("multiclass", summary.RootElement.GetProperty("kind").GetString());
            Assert.Equal(JsonValueKind.Null, summary.RootElement.GetProperty("auc_mean").ValueKind);
            Assert.True(summary.RootElement.GetProperty("accuracy_mean").GetDouble() > 0.8, "the three teams use disjoint words");
            Assert.True(summary.RootElement.GetProperty("second_baseline_accuracy_mean").GetDouble() > 0.8, "the perceptron baseline sees the same words");
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
    [InlineData("--splits", "0")]
    [InlineData("--vectors-rate", "0")]
    [InlineData("--word-dropout", "0.9")]
    [InlineData("--dropout", "1")]
    [InlineData("--embeddings", "/nonexistent/vectors.txt")]
    public async Task BadInputFailsWithExitCodeOne(string option, string value)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"mlnetrnn-clf-{Guid.NewGuid():N}");
        int exit = await Program.Main(new[] { "classify", option, value, "--output", dir });
        Assert.Equal(1, exit);
        Assert.False(Directory.Exists(dir) && Directory.EnumerateFiles(dir).Any());
    }
}
