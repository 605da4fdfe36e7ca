using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace MlNetRnn.Tests.Trainers.SequenceModeling;

/// <summary>A small multiclass digits model trained once (the first 700 digits train, the next 300 test), inside an ML.NET chain.</summary>
public sealed class DigitsClassifierFixture : IDisposable
{
    public DigitsClassifierFixture()
    {
        MlContext = new MLContext(seed: 1);
        Rows = Digits.Load();
        Train = MlContext.Data.LoadFromEnumerable(Rows[..700]);
        Test = MlContext.Data.LoadFromEnumerable(Rows[700..1000]);
        Pipeline = MlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(MlContext.Rnn().SequenceClassifier(new SequenceModelOptions { FeaturesPerStep = 8, HiddenSize = 24, Epochs = 12, Seed = 3 }))
            .Fit(Train);
        Model = Pipeline.LastTransformer;
    }

    public MLContext MlContext { get; }
    internal Digits.Row[] Rows { get; }
    public IDataView Train { get; }
    public IDataView Test { get; }
    public TransformerChain<SequenceModelTransformer> Pipeline { get; }
    public SequenceModelTransformer Model { get; }

    public void Dispose() => Model.Dispose();
}

public sealed class SequenceClassifierTests : IClassFixture<DigitsClassifierFixture>
{
    private readonly DigitsClassifierFixture _f;

    public SequenceClassifierTests(DigitsClassifierFixture fixture) => _f = fixture;

    [Fact]
    public void MulticlassEvaluateWorksUnchangedAndTheModelLearnsDigits()
    {
        var metrics = _f.MlContext.MulticlassClassification.Evaluate(_f.Pipeline.Transform(_f.Test));

        // Chance is 0.1; a dozen epochs on 700 images get well past 0.8 (the full default reaches 0.98; see docs/PERFORMANCE.md).
        Assert.True(metrics.MicroAccuracy > 0.8, $"accuracy {metrics.MicroAccuracy}");
        Assert.Equal(SequenceModelKind.MulticlassClassification, _f.Model.Kind);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString()).OrderBy(s => s), _f.Model.LabelNames.OrderBy(s => s));
        Assert.True(_f.Model.Parity!.Passed);
        Assert.NotNull(_f.Model.History);
    }

    [Fact]
    public void PredictedLabelIsTheArgMaxOfScoreWithTheLabelsOwnNames()
    {
        var scored = _f.Pipeline.Transform(_f.Test);
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        var predicted = scored.GetColumn<uint>("PredictedLabel").ToArray();
        VBuffer<ReadOnlyMemory<char>> names = default;
        scored.Schema["PredictedLabel"].GetKeyValues(ref names);
        var keyNames = names.DenseValues().Select(n => n.ToString()).ToArray();
        for (int i = 0; i < scores.Length; i++)
        {
            Assert.Equal(1f, scores[i].Sum(), 4);
            int best = Array.IndexOf(scores[i], scores[i].Max());
            Assert.Equal(_f.Model.LabelNames[best], keyNames[predicted[i] - 1]);
        }
    }

    [Fact]
    public void TheDeployableOnnxTakesRawFlatRowsAndGivesTheChainsScores()
    {
        var scored = _f.Pipeline.Transform(_f.Test);
        var expected = scored.GetColumn<float[]>("Score").ToArray();
        var rows = _f.Rows[700..1000];
        var input = new DenseTensor<float>(rows.SelectMany(r => r.Features).ToArray(), new[] { rows.Length, 64 });
        using var session = new InferenceSession(_f.Model.GetOnnxModel());
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(SequenceOnnxNames.Input, input) });
        var probabilities = results.First(r => r.Name == SequenceOnnxNames.Probabilities).AsEnumerable<float>().ToArray();
        var index = results.First(r => r.Name == SequenceOnnxNames.PredictedIndex).AsEnumerable<long>().ToArray();

        for (int i = 0; i < rows.Length; i++)
        {
            for (int c = 0; c < 10; c++)
                Assert.Equal(expected[i][c], probabilities[i * 10 + c], 5);
            Assert.Equal(Array.IndexOf(expected[i], expected[i].Max()), index[i]);
        }
        Assert.Equal("float_sequence", OnnxModelInfo.Read(_f.Model.GetOnnxModel()).Metadata["task"]);
    }

    [Fact]
    public void TransformBatchedGivesTransformsColumnsAndValues()
    {
        var rowPath = _f.Model.Transform(_f.Pipeline.First().Transform(_f.Test));
        var batched = _f.Model.TransformBatched(_f.Pipeline.First().Transform(_f.Test), new OnnxScoringOptions { BatchSize = 64 });

        Assert.Equal(rowPath.Schema.Select(c => (c.Name, c.Type.ToString())), batched.Schema.Select(c => (c.Name, c.Type.ToString())));
        var expected = rowPath.GetColumn<float[]>("Score").ToArray();
        var actual = batched.GetColumn<float[]>("Score").ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        for (int c = 0; c < 10; c++)
            Assert.True(Math.Abs(expected[i][c] - actual[i][c]) <= 1e-5 + 1e-4 * Math.Abs(expected[i][c]), $"row {i} class {c}: {actual[i][c]} vs {expected[i][c]}");
        Assert.Equal(rowPath.GetColumn<uint>("PredictedLabel"), batched.GetColumn<uint>("PredictedLabel"));
    }

    [Fact]
    public void SaveAndLoadGiveTheSameScores()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mlnetrnn-digits-{Guid.NewGuid():N}.zip");
        try
        {
            _f.MlContext.Model.Save(_f.Model, _f.Pipeline.First().Transform(_f.Train).Schema, path);
            var ml = new MLContext(seed: 5);
            using var loaded = ml.Rnn().LoadSequenceModel(path);
            var input = _f.Pipeline.First().Transform(_f.Test);
            Assert.Equal(_f.Model.Transform(input).GetColumn<float[]>("Score").SelectMany(s => s), loaded.Transform(input).GetColumn<float[]>("Score").SelectMany(s => s));
            Assert.Equal(SequenceModelKind.MulticlassClassification, loaded.Kind);
            Assert.Equal(_f.Model.LabelNames, loaded.LabelNames);
            Assert.Equal(8, loaded.FeaturesPerStep);
            Assert.Equal(_f.Model.History!.BestEpoch, loaded.History!.BestEpoch);
            Assert.Equal(_f.Model.Transform(input).GetColumn<uint>("PredictedLabel"), loaded.TransformBatched(input).GetColumn<uint>("PredictedLabel"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
