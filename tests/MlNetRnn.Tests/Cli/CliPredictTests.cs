using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Onnx.Protobuf;
using Xunit;

namespace MlNetRnn.Tests.Cli;

/// <summary><c>mlnet-rnn predict</c>: one command scores new data with every kind of model the library saves, from its zip or its .onnx.</summary>
[Collection(CliCollection.Name)]
public sealed class CliPredictTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"mlnetrnn-predict-{Guid.NewGuid():N}");

    public CliPredictTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    private sealed class Sentence
    {
        public string Text { get; set; } = "";
        public bool Label { get; set; }
    }

    private sealed class Labelled
    {
        public string Text { get; set; } = "";
        public string Category { get; set; } = "";
    }

    private static readonly string[] NewTexts =
    {
        "The food was great and the service lovely.", "Awful, cold, and \"slow\".", "", "I will never come back here again", "ok",
    };

    private string WriteTexts()
    {
        string path = Path.Combine(_root, "new.csv");
        File.WriteAllLines(path, new[] { "id,Text" }.Concat(NewTexts.Select((t, i) => $"{i},\"{t.Replace("\"", "\"\"", StringComparison.Ordinal)}\"")));
        return path;
    }

    private static string[][] ReadCsv(string path) =>
        File.ReadAllLines(path).Skip(1).Select(l => CsvFields(l)).ToArray();

    // The rows predict writes here never hold a line break, so a line is a record.
    private static string[] CsvFields(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted && c == '"' && i + 1 < line.Length && line[i + 1] == '"') { current.Append('"'); i++; }
            else if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) { fields.Add(current.ToString()); current.Clear(); }
            else current.Append(c);
        }
        fields.Add(current.ToString());
        return fields.ToArray();
    }

    [Fact]
    public async Task ABinaryClassifierFromZipAndOnnxGivesTheModelsOwnLabelsAndProbabilities()
    {
        var ml = new MLContext(seed: 1);
        var reviews = Sentiment.Load("yelp_labelled.txt")[..400];
        var train = ml.Data.LoadFromEnumerable(reviews.Select(r => new Sentence { Text = r.Text, Label = r.Label }));
        using var model = ml.Rnn().TextClassifier(new TextClassifierOptions { EmbeddingSize = 8, HiddenSize = 8, Epochs = 2, MaxLength = 20, Seed = 3 }).Fit(train);
        string zip = Path.Combine(_root, "model.zip"), onnx = Path.Combine(_root, "model.onnx");
        ml.Model.Save(model, train.Schema, zip);
        model.SaveOnnx(onnx);
        string data = WriteTexts();

        // The reference: the trained transformer's own ML.NET chain, one text per run.
        var scored = model.Transform(ml.Data.LoadFromEnumerable(NewTexts.Select(t => new Sentence { Text = t })));
        float[] expected = scored.GetColumn<float>("Probability").ToArray();
        bool[] expectedLabels = scored.GetColumn<bool>("PredictedLabel").ToArray();
        foreach (var file in new[] { zip, onnx })
        {
            string output = Path.Combine(_root, "out-" + Path.GetExtension(file)[1..]);
            var (exit, console) = await CliBadInputTests.Run("predict", "--model", file, "--data", data, "--column", "text", "--output", output);
            Assert.True(exit == 0, console);
            Assert.Equal("line,predicted_label,probability_true,text", File.ReadLines(Path.Combine(output, "predictions.csv")).First());
            var rows = ReadCsv(Path.Combine(output, "predictions.csv"));
            Assert.Equal(NewTexts.Length, rows.Length);
            for (int i = 0; i < rows.Length; i++)
            {
                Assert.Equal((i + 2).ToString(CultureInfo.InvariantCulture), rows[i][0]);
                Assert.Equal(expectedLabels[i] ? "true" : "false", rows[i][1]);
                float p = float.Parse(rows[i][2], CultureInfo.InvariantCulture);
                Assert.True(Math.Abs(p - expected[i]) <= 1e-5, $"{file}, row {i}: {p} vs {expected[i]}");
                Assert.Equal(NewTexts[i], rows[i][3]);
            }
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
            Assert.Equal("classification", json.RootElement.GetProperty("task").GetString());
            Assert.Equal(NewTexts.Length, json.RootElement.GetProperty("rows").GetInt32());
            Assert.Equal(expectedLabels.Count(l => l), json.RootElement.GetProperty("predicted_counts").GetProperty("true").GetInt32());
        }

        // A column the file lacks is named, with the columns it has.
        var (missing, message) = await CliBadInputTests.Run("predict", "--model", onnx, "--data", data, "--column", "review", "--output", Path.Combine(_root, "x"));
        Assert.Equal(1, missing);
        Assert.Contains("no text column 'review'", message);
        Assert.Contains("id, Text", message);
    }

    [Fact]
    public async Task AMulticlassClassifierPredictsTheArgmaxLabelName()
    {
        var ml = new MLContext(seed: 1);
        var rows = Sentiment.Load("yelp_labelled.txt")[..200].Select(r => new Labelled { Text = r.Text, Category = "yelp-" + (r.Label ? "pos" : "neg") })
            .Concat(Sentiment.Load("imdb_labelled.txt")[..200].Select(r => new Labelled { Text = r.Text, Category = "imdb" })).ToArray();
        var train = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", "Category")
            .Append(ml.Rnn().TextClassifier(new TextClassifierOptions { EmbeddingSize = 8, HiddenSize = 8, Epochs = 2, MaxLength = 20, Seed = 4 }));
        var chain = pipeline.Fit(train);
        using var classifier = (TextClassifierTransformer)chain.LastTransformer;
        string onnx = Path.Combine(_root, "multi.onnx");
        classifier.SaveOnnx(onnx);
        string data = WriteTexts();

        var input = ml.Data.LoadFromEnumerable(NewTexts.Select(t => new Labelled { Text = t, Category = "imdb" }));
        var scored = classifier.Transform(chain.First().Transform(input));
        var names = ml.Transforms.Conversion.MapKeyToValue("Name", "PredictedLabel").Fit(scored).Transform(scored).GetColumn<string>("Name").ToArray();
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        string output = Path.Combine(_root, "out-multi");
        var (exit, console) = await CliBadInputTests.Run("predict", "--model", onnx, "--data", data, "--output", output);
        Assert.True(exit == 0, console);
        Assert.Equal("line,predicted_label," + string.Join(',', classifier.LabelNames.Select(l => "probability_" + l)) + ",text",
            File.ReadLines(Path.Combine(output, "predictions.csv")).First());
        var predicted = ReadCsv(Path.Combine(output, "predictions.csv"));
        for (int i = 0; i < NewTexts.Length; i++)
        {
            Assert.Equal(names[i], predicted[i][1]);
            for (int c = 0; c < classifier.LabelNames.Count; c++)
                Assert.True(Math.Abs(float.Parse(predicted[i][2 + c], CultureInfo.InvariantCulture) - scores[i][c]) <= 1e-5, $"row {i}, class {c}");
        }
    }

    [Fact]
    public async Task ALanguageModelScoresEveryNonBlankLineAsItsOwnLoss()
    {
        var ml = new MLContext(seed: 1);
        using var lm = ml.Rnn().LanguageModel(new LanguageModelOptions { HiddenSize = 8, EmbeddingSize = 4, NumberOfLayers = 1, SequenceLength = 8, Epochs = 2, Seed = 1 })
            .Fit(string.Concat(Enumerable.Repeat("the cat sat on the mat. the dog ate the hat. ", 30)));
        string model = Path.Combine(_root, "lm.onnx");
        lm.SaveOnnx(model);
        string[] lines = { "the cat ate the mat.", "", "the dog sat.", "  ", "a hat" };
        string data = Path.Combine(_root, "lines.txt");
        File.WriteAllLines(data, lines);
        string output = Path.Combine(_root, "out-lm");

        var (exit, console) = await CliBadInputTests.Run("predict", "--model", model, "--data", data, "--output", output);
        Assert.True(exit == 0, console);
        var rows = ReadCsv(Path.Combine(output, "losses.csv"));
        Assert.Equal(new[] { "1", "3", "5" }, rows.Select(r => r[0]));
        double weighted = 0, tokens = 0;
        foreach (var row in rows)
        {
            string text = lines[int.Parse(row[0], CultureInfo.InvariantCulture) - 1];
            // The step-by-step path (one character per run, state fed back) is an independent reference for the batched losses.
            double loss = double.Parse(row[2], CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(lm.Loss(text) - loss) <= 1e-4, $"line {row[0]}: {loss} vs {lm.Loss(text)}");
            Assert.Equal(text.Length - 1, int.Parse(row[1], CultureInfo.InvariantCulture));
            weighted += loss * (text.Length - 1);
            tokens += text.Length - 1;
        }
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal(weighted / tokens, json.RootElement.GetProperty("loss").GetDouble(), 9);
        Assert.Equal("charlm", json.RootElement.GetProperty("task").GetString());

        // A line with a character the model never saw is named by its line number, and nothing is written.
        File.WriteAllLines(data, new[] { "the cat", "the cat ate a zebra" });
        var (bad, message) = await CliBadInputTests.Run("predict", "--model", model, "--data", data, "--output", Path.Combine(_root, "out-bad"));
        Assert.Equal(1, bad);
        Assert.Contains("Line 2 of", message);
        Assert.Contains("never saw", message);
        Assert.False(File.Exists(Path.Combine(_root, "out-bad", "losses.csv")));
    }

    [Fact]
    public async Task AForecasterGivesTheSameForecastAsForecastModel()
    {
        string trained = Path.Combine(_root, "trained");
        Assert.Equal(0, await Program.Main(new[] { "forecast", "--epochs", "3", "--hidden", "4", "--output", trained }));
        string data = Path.Combine(_root, "series.csv");
        float[] series = TestData.AirPassengers();
        File.WriteAllLines(data, new[] { "passengers" }.Concat(series.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        using var model = new MLContext(1).Rnn().LoadForecaster(Path.Combine(trained, "model.zip"));
        float[] expected = model.Forecast(series);
        foreach (var file in new[] { "model.zip", "model.onnx" })
        {
            string output = Path.Combine(_root, "p-" + file);
            var (exit, console) = await CliBadInputTests.Run("predict", "--model", Path.Combine(trained, file), "--data", data, "--column", "passengers", "--output", output);
            Assert.True(exit == 0, console);
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
            Assert.Equal(expected, json.RootElement.GetProperty("forecast").EnumerateArray().Select(e => e.GetSingle()).ToArray());
            Assert.True(File.Exists(Path.Combine(output, "forecast.csv")));
        }
    }

    [Fact]
    public async Task FilesThatAreNotMlNetRnnModelsAreRefusedWithTheReason()
    {
        string data = WriteTexts();
        // Not ONNX at all.
        string junk = Path.Combine(_root, "junk.onnx");
        File.WriteAllBytes(junk, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 });
        var (exit1, message1) = await CliBadInputTests.Run("predict", "--model", junk, "--data", data, "--output", Path.Combine(_root, "o1"));
        Assert.Equal(1, exit1);
        Assert.Contains("is not an ONNX model", message1);

        // A valid ONNX model without this library's metadata (as another exporter would write it).
        using var lm = new MLContext(1).Rnn().LanguageModel(new LanguageModelOptions { HiddenSize = 4, EmbeddingSize = 4, NumberOfLayers = 1, SequenceLength = 5, Epochs = 1 })
            .Fit(string.Concat(Enumerable.Repeat("abc def ", 20)));
        var proto = ModelProto.Parser.ParseFrom(lm.GetOnnxModel());
        proto.MetadataProps.Clear();
        string foreign = Path.Combine(_root, "foreign.onnx");
        File.WriteAllBytes(foreign, proto.ToByteArray());
        var (exit2, message2) = await CliBadInputTests.Run("predict", "--model", foreign, "--data", data, "--output", Path.Combine(_root, "o2"));
        Assert.Equal(1, exit2);
        Assert.Contains("records no 'task'", message2);

        // A zip that is not an ML.NET model with an ONNX step.
        string zip = Path.Combine(_root, "other.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        using (var writer = new StreamWriter(archive.CreateEntry("readme.txt").Open()))
            writer.Write("hello");
        var (exit3, message3) = await CliBadInputTests.Run("predict", "--model", zip, "--data", data, "--output", Path.Combine(_root, "o3"));
        Assert.Equal(1, exit3);
        Assert.Contains("holds no ONNX model", message3);

        // A zip whose ONNX entry is damaged: named, not a crash.
        string damaged = Path.Combine(_root, "damaged.zip");
        using (var archive = ZipFile.Open(damaged, ZipArchiveMode.Create))
        using (var writer = new BinaryWriter(archive.CreateEntry("Model/OnnxModel").Open()))
        {
            writer.Write(8);
            writer.Write(new byte[] { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff });
        }
        var (exit5, message5) = await CliBadInputTests.Run("predict", "--model", damaged, "--data", data, "--output", Path.Combine(_root, "o5"));
        Assert.Equal(1, exit5);
        Assert.Contains("none records an MlNetRnn task", message5);

        // A classifier whose label metadata was altered.
        using var classifier = new MLContext(1).Rnn().TextClassifier(new TextClassifierOptions { EmbeddingSize = 4, HiddenSize = 4, Epochs = 1, Seed = 1 })
            .Fit(new MLContext(1).Data.LoadFromEnumerable(Sentiment.Load("yelp_labelled.txt")[..100].Select(r => new Sentence { Text = r.Text, Label = r.Label })));
        var altered = ModelProto.Parser.ParseFrom(classifier.GetOnnxModel());
        altered.MetadataProps.First(p => p.Key == "classifier.labels").Value = "not json";
        string alteredPath = Path.Combine(_root, "altered.onnx");
        File.WriteAllBytes(alteredPath, altered.ToByteArray());
        var (exit6, message6) = await CliBadInputTests.Run("predict", "--model", alteredPath, "--data", data, "--column", "text", "--output", Path.Combine(_root, "o6"));
        Assert.Equal(1, exit6);
        Assert.Contains("not a JSON array of strings", message6);

        // A missing model file.
        var (exit4, message4) = await CliBadInputTests.Run("predict", "--model", Path.Combine(_root, "none.zip"), "--data", data, "--output", Path.Combine(_root, "o4"));
        Assert.Equal(1, exit4);
        Assert.Contains("does not exist", message4);
        Assert.False(Directory.Exists(Path.Combine(_root, "o1")) && File.Exists(Path.Combine(_root, "o1", "predictions.csv")));
    }
}
