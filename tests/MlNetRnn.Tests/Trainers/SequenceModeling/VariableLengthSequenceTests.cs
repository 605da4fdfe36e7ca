using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace MlNetRnn.Tests.Trainers.SequenceModeling;

/// <summary>
/// Sequences of different lengths from real data: each handwritten digit read column by column (a step is a column's 8 pixels),
/// its blank columns at both ends cut off, so the sequences have 3 to 8 steps.
/// </summary>
internal static class CroppedDigits
{
    public sealed class Row
    {
        public float Label { get; set; }

        /// <summary>The digit's inked columns, one after another (a variable-size vector).</summary>
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    public sealed class PaddedRow
    {
        public float Label { get; set; }

        /// <summary>All 8 columns from the first inked one, the blank ones after the last inked column overwritten by <c>padding</c>.</summary>
        [VectorType(64)]
        public float[] Features { get; set; } = Array.Empty<float>();

        /// <summary>Columns from the first inked one to the last.</summary>
        public int Steps { get; set; }
    }

    /// <summary>The inked columns of each digit (0-based column range).</summary>
    public static (float Label, float[][] Columns)[] Load() => Digits.Load().Select(d =>
    {
        var columns = Enumerable.Range(0, 8).Select(c => Enumerable.Range(0, 8).Select(r => d.Features[r * 8 + c]).ToArray()).ToArray();
        int first = Array.FindIndex(columns, c => c.Any(v => v > 0)), last = Array.FindLastIndex(columns, c => c.Any(v => v > 0));
        return (d.Label, columns[first..(last + 1)]);
    }).ToArray();

    public static Row[] Variable() => Load().Select(d => new Row { Label = d.Label, Features = d.Columns.SelectMany(c => c).ToArray() }).ToArray();

    public static PaddedRow[] Padded(float padding) => Load().Select(d => new PaddedRow
    {
        Label = d.Label,
        Features = d.Columns.SelectMany(c => c).Concat(Enumerable.Repeat(padding, 64 - d.Columns.Length * 8)).ToArray(),
        Steps = d.Columns.Length,
    }).ToArray();
}

/// <summary>A multiclass model of the cropped digits (variable-size vectors), trained once: the first 700 train, the next 300 test.</summary>
public sealed class CroppedDigitsFixture : IDisposable
{
    public CroppedDigitsFixture()
    {
        MlContext = new MLContext(seed: 1);
        Rows = CroppedDigits.Variable();
        Train = MlContext.Data.LoadFromEnumerable(Rows[..700]);
        Test = MlContext.Data.LoadFromEnumerable(Rows[700..1000]);
        Pipeline = MlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(MlContext.Rnn().SequenceClassifier(new SequenceModelOptions { FeaturesPerStep = 8, HiddenSize = 24, Epochs = 12, Seed = 3 }))
            .Fit(Train);
        Model = Pipeline.LastTransformer;
    }

    public MLContext MlContext { get; }
    internal CroppedDigits.Row[] Rows { get; }
    public IDataView Train { get; }
    public IDataView Test { get; }
    public TransformerChain<SequenceModelTransformer> Pipeline { get; }
    public SequenceModelTransformer Model { get; }

    public void Dispose() => Model.Dispose();
}

public sealed class VariableLengthSequenceTests : IClassFixture<CroppedDigitsFixture>
{
    private readonly CroppedDigitsFixture _f;

    public VariableLengthSequenceTests(CroppedDigitsFixture fixture) => _f = fixture;

    [Fact]
    public void AVariableSizeVectorTrainsAModelOfAnyLengthThatLearnsTheDigits()
    {
        Assert.Contains(_f.Rows.Select(r => r.Features.Length / 8).Distinct(), s => s <= 4);
        Assert.True(_f.Rows.Select(r => r.Features.Length).Distinct().Count() >= 4);
        var metrics = _f.MlContext.MulticlassClassification.Evaluate(_f.Pipeline.Transform(_f.Test));
        // Chance is 0.1; the fixed-length model of the same size and epochs gets past 0.8 (SequenceClassifierTests).
        Assert.True(metrics.MicroAccuracy > 0.8, $"accuracy {metrics.MicroAccuracy}");
        Assert.True(_f.Model.AcceptsAnyLength);
        Assert.Null(_f.Model.LengthColumnName);
        Assert.True(_f.Model.Parity!.Passed);
    }

    [Fact]
    public void TheDeployableOnnxScoresARaggedBatchWithLengthsLikeTheRowPath()
    {
        var expected = _f.Pipeline.Transform(_f.Test).GetColumn<float[]>("Score").ToArray();
        var rows = _f.Rows[700..1000];
        int widest = rows.Max(r => r.Features.Length);
        var values = new float[rows.Length * widest];
        Array.Fill(values, 55f); // padding the graph must not read
        for (int i = 0; i < rows.Length; i++)
            rows[i].Features.CopyTo(values, i * widest);
        using var session = new InferenceSession(_f.Model.GetOnnxModel());
        Assert.Equal(new[] { SequenceOnnxNames.Input, SequenceOnnxNames.Lengths }, session.InputMetadata.Keys.ToArray());
        using var results = session.Run(new[]
        {
            NamedOnnxValue.CreateFromTensor(SequenceOnnxNames.Input, new DenseTensor<float>(values, new[] { rows.Length, widest })),
            NamedOnnxValue.CreateFromTensor(SequenceOnnxNames.Lengths, new DenseTensor<int>(rows.Select(r => r.Features.Length / 8).ToArray(), new[] { rows.Length })),
        });
        var probabilities = results.First(r => r.Name == SequenceOnnxNames.Probabilities).AsEnumerable<float>().ToArray();
        for (int i = 0; i < rows.Length; i++)
        for (int c = 0; c < 10; c++)
            Assert.Equal(expected[i][c], probabilities[i * 10 + c], 4);
    }

    [Fact]
    public void TransformBatchedEqualsTheRowPathAndSaveLoadKeepsTheScores()
    {
        var rowPath = _f.Pipeline.Transform(_f.Test).GetColumn<float[]>("Score").ToArray();
        var keyed = _f.Pipeline.Take(1).Aggregate(_f.Test, (d, t) => t.Transform(d));
        var batched = _f.Model.TransformBatched(keyed, new OnnxScoringOptions { BatchSize = 64 }).GetColumn<float[]>("Score").ToArray();
        Assert.Equal(rowPath.Length, batched.Length);
        for (int i = 0; i < rowPath.Length; i++)
        for (int c = 0; c < 10; c++)
            Assert.Equal(rowPath[i][c], batched[i][c], 5);

        string path = Path.Combine(Path.GetTempPath(), $"mlnetrnn-ragged-{Guid.NewGuid():N}.zip");
        try
        {
            _f.MlContext.Model.Save(_f.Model, _f.Train.Schema, path);
            using var loaded = _f.MlContext.Rnn().LoadSequenceModel(path);
            Assert.True(loaded.AcceptsAnyLength);
            Assert.Equal(_f.Model.GetOnnxModel(), loaded.GetOnnxModel());
            var again = loaded.TransformBatched(keyed).GetColumn<float[]>("Score").ToArray();
            var loadedRows = loaded.Transform(keyed).GetColumn<float[]>("Score").ToArray();
            for (int i = 0; i < rowPath.Length; i++)
            {
                Assert.Equal(batched[i], again[i]);
                Assert.Equal(rowPath[i], loadedRows[i]);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ALengthColumnCutsThePaddingOffAndThePaddingNeverMatters()
    {
        var ml = new MLContext(seed: 1);
        var zeros = CroppedDigits.Padded(0f);
        var noise = CroppedDigits.Padded(0f);
        var random = new Random(4);
        foreach (var row in noise)
        for (int i = row.Steps * 8; i < 64; i++)
            row.Features[i] = (float)(random.NextDouble() * 100);
        var options = new SequenceModelOptions { FeaturesPerStep = 8, HiddenSize = 16, Epochs = 6, Seed = 3, LengthColumnName = "Steps" };
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label");
        var trainZeros = ml.Data.LoadFromEnumerable(zeros[..500]);
        var trainNoise = ml.Data.LoadFromEnumerable(noise[..500]);
        using var fromZeros = keyed.Append(ml.Rnn().SequenceClassifier(options)).Fit(trainZeros).LastTransformer;
        using var fromNoise = keyed.Append(ml.Rnn().SequenceClassifier(options)).Fit(trainNoise).LastTransformer;
        Assert.True(fromZeros.AcceptsAnyLength);
        Assert.Equal("Steps", fromZeros.LengthColumnName);

        // Same valid steps, same seed: the same network, whatever the padding held in training or in scoring.
        var keyer = keyed.Fit(trainZeros);
        var testZeros = keyer.Transform(ml.Data.LoadFromEnumerable(zeros[500..700]));
        var testNoise = keyer.Transform(ml.Data.LoadFromEnumerable(noise[500..700]));
        var a = fromZeros.Transform(testZeros).GetColumn<float[]>("Score").ToArray();
        var b = fromNoise.Transform(testNoise).GetColumn<float[]>("Score").ToArray();
        var batched = fromZeros.TransformBatched(testNoise).GetColumn<float[]>("Score").ToArray();
        for (int i = 0; i < a.Length; i++)
        for (int c = 0; c < a[i].Length; c++)
        {
            Assert.Equal(a[i][c], b[i][c], 4);
            Assert.Equal(a[i][c], batched[i][c], 4);
        }

        // The model of a length column equals one trained on the same rows as variable-size vectors.
        var variable = ml.Data.LoadFromEnumerable(CroppedDigits.Variable()[..500]);
        var variableOptions = new SequenceModelOptions { FeaturesPerStep = 8, HiddenSize = 16, Epochs = 6, Seed = 3 };
        using var fromVariable = keyed.Append(ml.Rnn().SequenceClassifier(variableOptions)).Fit(variable).LastTransformer;
        var c2 = fromVariable.Transform(keyer.Transform(ml.Data.LoadFromEnumerable(CroppedDigits.Variable()[500..700]))).GetColumn<float[]>("Score").ToArray();
        for (int i = 0; i < a.Length; i++)
        for (int c = 0; c < a[i].Length; c++)
            Assert.Equal(a[i][c], c2[i][c], 4);

        // A length the row cannot hold is named with the row and both numbers, on both scoring paths.
        var bad = CroppedDigits.Padded(0f)[..3];
        bad[2].Steps = 9;
        var badView = keyer.Transform(ml.Data.LoadFromEnumerable(bad));
        var scoring = Assert.ThrowsAny<Exception>(() => fromZeros.TransformBatched(badView).GetColumn<float[]>("Score").ToArray());
        // ML.NET's cursor set wraps the view's exception; the message travels inside.
        Assert.Contains("Row 2: the length column 'Steps' is 9, but the row's feature vector 'Features' holds 8 step(s)", scoring.ToString());
        // ML.NET's row path leaves the check to ONNX Runtime, whose message names the lengths and the steps but not the row.
        var rowPath = Assert.ThrowsAny<Exception>(() => fromZeros.Transform(badView).GetColumn<float[]>("Score").ToArray());
        Assert.Contains("sequence_lens", rowPath.ToString());

        // Saved and loaded, the model keeps its length column and its deployable graph.
        string path = Path.Combine(Path.GetTempPath(), $"mlnetrnn-lengths-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(fromZeros, testZeros.Schema, path);
            using var loaded = ml.Rnn().LoadSequenceModel(path);
            Assert.Equal("Steps", loaded.LengthColumnName);
            Assert.True(loaded.AcceptsAnyLength);
            Assert.Equal(fromZeros.GetOnnxModel(), loaded.GetOnnxModel());
            var again = loaded.Transform(testNoise).GetColumn<float[]>("Score").ToArray();
            for (int i = 0; i < a.Length; i++)
                Assert.Equal(a[i], again[i]);
        }
        finally
        {
            File.Delete(path);
        }
        var training = Assert.Throws<ArgumentException>(() => ml.Rnn().SequenceClassifier(options).Fit(badView));
        Assert.Contains("Row 2", training.Message);
        Assert.Contains("from 1 to 8", training.Message);
    }

    [Fact]
    public void ARegressorOfAnyLengthScoresInTheLabelsUnitsOnBothPathsAndInTheOnnxFile()
    {
        // The number of inked columns from the pixels: a regression whose answer depends on each row's length.
        var ml = new MLContext(seed: 1);
        var rows = CroppedDigits.Variable()[..400].Select(r => new CroppedDigits.Row { Label = r.Features.Length / 8, Features = r.Features }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        using var model = ml.Rnn().SequenceRegressor(new SequenceModelOptions { FeaturesPerStep = 8, HiddenSize = 16, Epochs = 40, Seed = 2 }).Fit(data);
        Assert.True(model.Parity!.Passed);
        var rowPath = model.Transform(data).GetColumn<float>("Score").ToArray();
        var batched = model.TransformBatched(data, new OnnxScoringOptions { BatchSize = 32 }).GetColumn<float>("Score").ToArray();
        for (int i = 0; i < rows.Length; i++)
            Assert.Equal(rowPath[i], batched[i], 4);
        var metrics = ml.Regression.Evaluate(model.Transform(data));
        // Predicting the mean (5.85 steps) gives an RMSE of 0.46; a network that reads each row to its end counts the steps.
        Assert.True(metrics.RootMeanSquaredError < 0.3, $"RMSE {metrics.RootMeanSquaredError}");
    }
}
