using System.Text.Json;
using Microsoft.ML;
using Xunit;

namespace MlNetRnn.Tests.Cli;

/// <summary>Smoke runs of <c>mlnet-rnn tag</c> through its real entry point, on slices of the Brown corpus with a tiny network.</summary>
[Collection(CliCollection.Name)]
public sealed class CliTagTests
{
    // The first sentences of each part (a few hundred), as the files a user would pass.
    private static (string Train, string Test) Slices(string dir)
    {
        string train = Path.Combine(dir, "train.tsv"), test = Path.Combine(dir, "test.tsv");
        File.WriteAllLines(train, Lines("brown-train.tsv.gz").Take(6000));
        File.WriteAllLines(test, Lines("brown-test.tsv.gz").Take(1500));
        return (train, test);
    }

    private static IEnumerable<string> Lines(string file)
    {
        using var gzip = new System.IO.Compression.GZipStream(File.OpenRead(Path.Combine(AppContext.BaseDirectory, "data", "tagging", file)), System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        while (reader.ReadLine() is { } line)
            yield return line;
    }

    [Fact]
    public async Task ATaggerTrainsOnAFileAndTheSummaryHoldsTheBaselineCurveAndPerTagScores()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-tag").FullName;
        try
        {
            var (train, test) = Slices(dir);
            string output = Path.Combine(dir, "out");
            var (exit, console) = await CliBadInputTests.Run("tag", "--data", train, "--test", test, "--embeddings", "none", "--hidden", "16", "--epochs", "2",
                "--output", output);

            Assert.True(exit == 0, console);
            foreach (var file in new[] { "model.onnx", "model.zip", "tag-f1.png", "summary.json" })
                Assert.True(new FileInfo(Path.Combine(output, file)).Length > 0, file);
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
            var root = summary.RootElement;
            Assert.Equal("tagging", root.GetProperty("task").GetString());
            var gold = File.ReadLines(test).Where(l => l.Length > 0 && l[0] != '#').ToArray();
            Assert.Equal(gold.Length, root.GetProperty("test_tokens").GetInt64());
            Assert.Equal(2, root.GetProperty("learning_curve").GetArrayLength());
            Assert.True(root.GetProperty("learning_curve")[1].GetProperty("validation_accuracy").GetDouble() > 0);
            // The most-frequent-tag baseline on this slice, recounted here: known words take their commonest training tag.
            var trainPairs = File.ReadLines(train).Where(l => l.Length > 0 && l[0] != '#').Select(l => l.Split('\t')).ToArray();
            var commonest = trainPairs.GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.GroupBy(p => p[1]).OrderByDescending(t => t.Count()).First().Key);
            var lower = trainPairs.GroupBy(p => p[0].ToLowerInvariant()).ToDictionary(g => g.Key, g => g.GroupBy(p => p[1]).OrderByDescending(t => t.Count()).First().Key);
            string fallback = trainPairs.GroupBy(p => p[1]).OrderByDescending(g => g.Count()).First().Key;
            double baseline = gold.Select(l => l.Split('\t')).Average(p =>
                (commonest.TryGetValue(p[0], out var t) ? t : lower.TryGetValue(p[0].ToLowerInvariant(), out t) ? t : fallback) == p[1] ? 1.0 : 0.0);
            // Ties between equally common tags may resolve differently; on this slice they move the figure by well under a point.
            Assert.Equal(baseline, root.GetProperty("baseline_accuracy").GetDouble(), 2);
            Assert.InRange(root.GetProperty("accuracy").GetDouble(), 0.2, 1.0);
            var perTag = root.GetProperty("per_tag").EnumerateArray().ToArray();
            Assert.Equal(gold.Length, perTag.Sum(t => t.GetProperty("support").GetInt64()));
            Assert.True(root.GetProperty("batched_tokens_per_second").GetDouble() > 0);

            // The zip loads as a tagger.
            using var loaded = new MLContext(1).Rnn().LoadSequenceTagger(Path.Combine(output, "model.zip"));
            Assert.Equal(root.GetProperty("tags").GetInt32(), loaded.Tags.Count);

            // predict: plain sentences with the .onnx (one row per token, the sentence's line), the tagged test file with the zip (its accuracy too).
            string plain = Path.Combine(dir, "plain.txt");
            File.WriteAllLines(plain, new[] { "The jury said it did not", "", "Zorblatt   ran quickly ." });
            var (plainExit, plainConsole) = await CliBadInputTests.Run("predict", "--model", Path.Combine(output, "model.onnx"), "--data", plain, "--output", Path.Combine(dir, "p1"));
            Assert.True(plainExit == 0, plainConsole);
            var rows = File.ReadAllLines(Path.Combine(dir, "p1", "tags.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
            Assert.Equal(10, rows.Length);
            Assert.Equal(Enumerable.Repeat("1", 6).Concat(Enumerable.Repeat("3", 4)), rows.Select(r => r[0]));
            Assert.Equal("Zorblatt", rows[6][1]);
            Assert.All(rows, r => Assert.Contains(r[2], loaded.Tags));
            var expected = loaded.Tag(new[] { new[] { "Zorblatt", "ran", "quickly", "." } })[0].Tags;
            Assert.Equal(expected, rows.Skip(6).Select(r => r[2]));

            var (taggedExit, taggedConsole) = await CliBadInputTests.Run("predict", "--model", Path.Combine(output, "model.zip"), "--data", test, "--output", Path.Combine(dir, "p2"));
            Assert.True(taggedExit == 0, taggedConsole);
            using var predictSummary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "p2", "summary.json")));
            Assert.Equal(root.GetProperty("accuracy").GetDouble(), predictSummary.RootElement.GetProperty("accuracy").GetDouble(), 4);
            Assert.Equal(gold.Length, File.ReadAllLines(Path.Combine(dir, "p2", "tags.csv")).Length - 1);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task AMalformedLineNamesTheFileAndLine()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-tag").FullName;
        try
        {
            string train = Path.Combine(dir, "bad.tsv");
            File.WriteAllLines(train, new[] { "The\tat", "dog\tnn", "barks", "", "A\tat" });
            var (exit, console) = await CliBadInputTests.Run("tag", "--data", train, "--test", train, "--embeddings", "none", "--output", Path.Combine(dir, "out"));
            Assert.NotEqual(0, exit);
            Assert.Contains("bad.tsv", console);
            Assert.Contains("line 3", console);
            Assert.False(File.Exists(Path.Combine(dir, "out", "model.onnx")));

            var (noTest, noTestConsole) = await CliBadInputTests.Run("tag", "--data", train, "--output", Path.Combine(dir, "out"));
            Assert.NotEqual(0, noTest);
            Assert.Contains("--data needs --test", noTestConsole);

            string empty = Path.Combine(dir, "empty.tsv");
            File.WriteAllLines(empty, new[] { "# doc ca01", "", "" });
            var (emptyExit, emptyConsole) = await CliBadInputTests.Run("tag", "--data", empty, "--test", empty, "--embeddings", "none", "--output", Path.Combine(dir, "out"));
            Assert.NotEqual(0, emptyExit);
            Assert.Contains("empty.tsv", emptyConsole);
            Assert.Contains("holds no tagged sentence", emptyConsole);

            // Out-of-range numbers are parse errors naming the flag and its interval.
            Assert.Contains(MlNetRnn.Cli.Program.BuildRootCommand().Parse(new[] { "tag", "--minutes", "0" }).Errors,
                e => e.Message == "--minutes must be in (0, 100000]; got 0.");
            Assert.Contains(MlNetRnn.Cli.Program.BuildRootCommand().Parse(new[] { "tag", "--embedding-dropout", "0.95" }).Errors,
                e => e.Message == "--embedding-dropout must be in [0, 0.9); got 0.95.");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
