using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace MlNetRnn.Tests.Cli;

/// <summary>Smoke runs of <c>mlnet-rnn sequence</c> through its real entry point, with a tiny network and few epochs.</summary>
[Collection(CliCollection.Name)]
public sealed class CliSequenceTests
{
    [Fact]
    public async Task TheEmbeddedDigitsTrainTwoStratifiedSplitsAndTheMeansComeFromThePerSplitRows()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-seq").FullName;
        try
        {
            var (exit, console) = await CliBadInputTests.Run("sequence", "--splits", "2", "--epochs", "3", "--hidden", "8", "--output", dir);

            Assert.True(exit == 0, console);
            foreach (var file in new[] { "model.onnx", "model.zip", "confusion.png", "summary.json" })
                Assert.True(new FileInfo(Path.Combine(dir, file)).Length > 0, file);
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            var root = summary.RootElement;
            Assert.Equal("multiclass", root.GetProperty("kind").GetString());
            Assert.Equal("accuracy", root.GetProperty("metric").GetString());
            Assert.Equal(8, root.GetProperty("steps").GetInt32());
            Assert.Equal(8, root.GetProperty("features_per_step").GetInt32());
            var rows = root.GetProperty("per_split").EnumerateArray().ToArray();
            Assert.Equal(new[] { 1, 2 }, rows.Select(r => r.GetProperty("seed").GetInt32()));
            // Stratified: each of the ten digits gives 20% of its images (rounded) to the test part.
            int perClass = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "data", "sequences", "digits.csv")).Skip(1)
                .GroupBy(l => l.Split(',')[0]).Sum(g => (int)Math.Round(g.Count() * 0.2));
            Assert.All(rows, r => Assert.Equal(perClass, r.GetProperty("test_rows").GetInt32()));
            Assert.Equal(rows.Average(r => r.GetProperty("value").GetDouble()), root.GetProperty("mean").GetDouble(), 4);
            Assert.Equal(rows.Average(r => r.GetProperty("baseline_value").GetDouble()), root.GetProperty("baseline_mean").GetDouble(), 4);
            double a = rows[0].GetProperty("value").GetDouble(), b = rows[1].GetProperty("value").GetDouble();
            Assert.Equal(Math.Abs(a - b) / Math.Sqrt(2), root.GetProperty("sd").GetDouble(), 4);
            // ML.NET's maximum entropy on the flat pixels is a strong baseline (about 0.96); three epochs of a tiny GRU learn something.
            Assert.InRange(root.GetProperty("baseline_mean").GetDouble(), 0.9, 1.0);
            Assert.InRange(root.GetProperty("mean").GetDouble(), 0.3, 1.0);

            // The zip written loads as a float-sequence model with the digits' classes.
            var ml = new MLContext(1);
            using var loaded = ml.Rnn().LoadSequenceModel(Path.Combine(dir, "model.zip"));
            Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString(CultureInfo.InvariantCulture)), loaded.LabelNames);

            // predict scores new rows with either file, in the model's own label names, and agrees with the loaded model's ML.NET chain.
            var digits = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "data", "sequences", "digits.csv"));
            string rowsCsv = Path.Combine(dir, "new-digits.csv");
            File.WriteAllLines(rowsCsv, digits.Take(41));
            var (predictExit, predictConsole) = await CliBadInputTests.Run("predict", "--model", Path.Combine(dir, "model.onnx"), "--data", rowsCsv, "--output", Path.Combine(dir, "predicted"));
            Assert.True(predictExit == 0, predictConsole);
            var predicted = File.ReadAllLines(Path.Combine(dir, "predicted", "predictions.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
            Assert.Equal(40, predicted.Length);
            Assert.Equal(Enumerable.Range(2, 40).Select(i => i.ToString(CultureInfo.InvariantCulture)), predicted.Select(p => p[0]));
            var digitRows = digits.Skip(1).Take(40).Select(l => l.Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray())
                .Select(v => new Trainers.SequenceModeling.Digits.Row { Label = v[0], Features = v[1..] }).ToArray();
            var view = ml.Data.LoadFromEnumerable(digitRows);
            var scored = loaded.Transform(view);
            VBuffer<ReadOnlyMemory<char>> names = default;
            scored.Schema["PredictedLabel"].GetKeyValues(ref names);
            var expected = scored.GetColumn<uint>("PredictedLabel").Select(k => names.GetValues()[(int)k - 1].ToString()).ToArray();
            Assert.Equal(expected, predicted.Select(p => p[1]));
            using var predictSummary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "predicted", "summary.json")));
            Assert.Equal(Math.Round(expected.Zip(digitRows).Average(p => p.First == p.Second.Label.ToString(CultureInfo.InvariantCulture) ? 1.0 : 0.0), 4),
                predictSummary.RootElement.GetProperty("accuracy").GetDouble(), 4);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task ARegressionFileIsReadAndBadFilesAreNamedWithLineAndColumn()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-seqreg").FullName;
        try
        {
            // The next value of a sine from its last 6 values.
            string csv = Path.Combine(dir, "sine.csv");
            var lines = new List<string> { "x0,x1,x2,x3,x4,x5,next" };
            for (int s = 0; s < 120; s++)
                lines.Add(string.Join(",", Enumerable.Range(s, 7).Select(t => Math.Sin(t / 3.0).ToString("R", CultureInfo.InvariantCulture))));
            File.WriteAllLines(csv, lines);
            var (exit, console) = await CliBadInputTests.Run("sequence", "--data", csv, "--label-column", "next", "--regression", "--splits", "1", "--epochs", "3",
                "--hidden", "8", "--output", Path.Combine(dir, "out"));
            Assert.True(exit == 0, console);
            using (var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "out", "summary.json"))))
            {
                Assert.Equal("regression", summary.RootElement.GetProperty("kind").GetString());
                Assert.Equal("rmse", summary.RootElement.GetProperty("metric").GetString());
                Assert.Equal(6, summary.RootElement.GetProperty("steps").GetInt32());
                Assert.False(File.Exists(Path.Combine(dir, "out", "confusion.png")));
            }

            var (stepExit, stepConsole) = await CliBadInputTests.Run("sequence", "--data", csv, "--label-column", "next", "--features-per-step", "4", "--output", Path.Combine(dir, "bad"));
            Assert.Equal(1, stepExit);
            Assert.Contains("--features-per-step 4", stepConsole);

            lines[5] = "0.1,0.2,oops,0.4,0.5,0.6,0.7";
            File.WriteAllLines(csv, lines);
            var (badExit, badConsole) = await CliBadInputTests.Run("sequence", "--data", csv, "--label-column", "next", "--regression", "--output", Path.Combine(dir, "bad"));
            Assert.Equal(1, badExit);
            Assert.Contains("line 6", badConsole);
            Assert.Contains("'x2'", badConsole);
            Assert.Contains("'oops'", badConsole);

            Assert.False(Directory.Exists(Path.Combine(dir, "bad")) && Directory.EnumerateFiles(Path.Combine(dir, "bad")).Any());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task PredictScoresAModelOfAnyLengthFromACsvWhoseShorterRowsEndWithEmptyFields()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-seq-ragged").FullName;
        try
        {
            var ml = new MLContext(1);
            var rows = Trainers.SequenceModeling.CroppedDigits.Variable();
            var train = ml.Data.LoadFromEnumerable(rows[..300].Select(r => new BinaryRow { Label = r.Label >= 5, Features = r.Features }));
            using var model = ml.Rnn().SequenceClassifier(new SequenceModelOptions { FeaturesPerStep = 8, HiddenSize = 8, Epochs = 2, Seed = 1 }).Fit(train);
            model.SaveOnnx(Path.Combine(dir, "model.onnx"));
            ml.Model.Save(model, train.Schema, Path.Combine(dir, "model.zip"));

            // 20 new digits, each row as long as its inked columns: the rest of the 64 fields are empty.
            var fresh = rows[300..320];
            string csv = Path.Combine(dir, "ragged.csv");
            File.WriteAllLines(csv, new[] { string.Join(',', Enumerable.Range(0, 64).Select(i => $"v{i}")) }
                .Concat(fresh.Select(r => string.Join(',', r.Features.Select(v => v.ToString(CultureInfo.InvariantCulture)).Concat(Enumerable.Repeat("", 64 - r.Features.Length))))));
            var expected = model.Transform(ml.Data.LoadFromEnumerable(fresh.Select(r => new BinaryRow { Label = r.Label >= 5, Features = r.Features })))
                .GetColumn<float>("Probability").ToArray();
            foreach (var file in new[] { "model.onnx", "model.zip" })
            {
                var (exit, console) = await CliBadInputTests.Run("predict", "--model", Path.Combine(dir, file), "--data", csv, "--output", Path.Combine(dir, "out-" + file));
                Assert.True(exit == 0, console);
                var predicted = File.ReadAllLines(Path.Combine(dir, "out-" + file, "predictions.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
                Assert.Equal(20, predicted.Length);
                for (int i = 0; i < 20; i++)
                    Assert.Equal(expected[i], float.Parse(predicted[i][2], CultureInfo.InvariantCulture), 4);
            }

            // A value after a row's first empty field is an error naming the line and the column.
            File.WriteAllLines(csv, new[] { "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p", "1,2,3,4,5,6,7,8,,1,,,,,," });
            var (badExit, badConsole) = await CliBadInputTests.Run("predict", "--model", Path.Combine(dir, "model.onnx"), "--data", csv, "--output", Path.Combine(dir, "bad"));
            Assert.NotEqual(0, badExit);
            Assert.Contains("line 2, column 'j'", badConsole);
            Assert.Contains("first empty field", badConsole);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed class BinaryRow
    {
        public bool Label { get; set; }

        public float[] Features { get; set; } = Array.Empty<float>();
    }
}
