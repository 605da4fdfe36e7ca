using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace MlNetRnn.Tests.Trainers.SequenceModeling;

public sealed class SequenceBinaryAndRegressionTests
{
    private sealed class HalvesRow
    {
        public bool Label { get; set; }

        [VectorType(32)]
        public float[] Top { get; set; } = Array.Empty<float>();

        [VectorType(32)]
        public float[] Bottom { get; set; } = Array.Empty<float>();
    }

    private sealed class WindowRow
    {
        public float Label { get; set; }

        [VectorType(20)]
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    [Fact]
    public void BinaryClassifierWorksAfterConcatenateAndTheSavedPipelineLoadsWithMlNetsOwnLoader()
    {
        // 3 against 8: the images that differ in their left half; each image comes in as two columns that Concatenate joins.
        var rows = Digits.Load().Where(r => r.Label is 3 or 8)
            .Select(r => new HalvesRow { Label = r.Label == 8, Top = r.Features[..32], Bottom = r.Features[32..] }).ToArray();
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(rows[..250]);
        var test = ml.Data.LoadFromEnumerable(rows[250..]);
        var pipeline = ml.Transforms.Concatenate("Features", "Top", "Bottom")
            .Append(ml.Rnn().SequenceClassifier(new SequenceModelOptions { FeaturesPerStep = 8, HiddenSize = 16, Epochs = 15, Seed = 2 }));
        using var model = pipeline.Fit(train).LastTransformer;
        var fitted = ml.Transforms.Concatenate("Features", "Top", "Bottom").Fit(train).Append(model);

        var scored = fitted.Transform(test);
        var metrics = ml.BinaryClassification.Evaluate(scored);
        Assert.True(metrics.Accuracy > 0.8, $"accuracy {metrics.Accuracy}");
        Assert.Equal(SequenceModelKind.BinaryClassification, model.Kind);
        var score = scored.GetColumn<float>("Score").ToArray();
        var probability = scored.GetColumn<float>("Probability").ToArray();
        var predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();
        for (int i = 0; i < score.Length; i++)
        {
            Assert.Equal(1 / (1 + Math.Exp(-score[i])), probability[i], 1e-6);
            Assert.Equal(probability[i] > 0.5f, predicted[i]);
        }

        // The graph's own sigmoid agrees with the Probability column.
        var flat = rows[250..].SelectMany(r => r.Top.Concat(r.Bottom)).ToArray();
        using (var session = new InferenceSession(model.GetOnnxModel()))
        using (var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(SequenceOnnxNames.Input, new DenseTensor<float>(flat, new[] { flat.Length / 64, 64 })) }))
        {
            var graph = results.First(r => r.Name == SequenceOnnxNames.Probabilities).AsEnumerable<float>().ToArray();
            for (int i = 0; i < graph.Length; i++)
                Assert.Equal(probability[i], graph[i], 1e-6);
        }

        string path = Path.Combine(Path.GetTempPath(), $"mlnetrnn-halves-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(fitted, train.Schema, path);
            var other = new MLContext(seed: 9);
            other.ComponentCatalog.RegisterAssembly(typeof(SequenceModelMappings).Assembly);
            var loaded = other.Model.Load(path, out _);
            Assert.Equal(probability, loaded.Transform(test).GetColumn<float>("Probability").ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void RegressorPredictsTheNextValueOfANoisySineInTheLabelsOwnUnits()
    {
        // y = 100 + 10·sin(2πt/25) + noise: the in-graph label scaling must map the network's standardised output back to these units.
        var random = new Random(7);
        var series = Enumerable.Range(0, 540).Select(t => (float)(100 + 10 * Math.Sin(2 * Math.PI * t / 25) + random.NextDouble() - 0.5)).ToArray();
        var windows = Enumerable.Range(0, series.Length - 20).Select(s => new WindowRow { Features = series[s..(s + 20)], Label = series[s + 20] }).ToArray();
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(windows[..420]);
        var test = ml.Data.LoadFromEnumerable(windows[420..]);
        using var model = ml.Rnn().SequenceRegressor(new SequenceModelOptions { HiddenSize = 16, Epochs = 30, Seed = 4 }).Fit(train);

        var scored = model.Transform(test);
        var metrics = ml.Regression.Evaluate(scored);
        // The noise alone (uniform, ±0.5) leaves R² ≈ 0.998 at best; a network that missed the label's scale would be far off.
        Assert.True(metrics.RSquared > 0.9, $"R² {metrics.RSquared}");
        Assert.Equal(SequenceModelKind.Regression, model.Kind);
        Assert.True(model.Parity!.Passed);
        var batched = model.TransformBatched(test, new OnnxScoringOptions { BatchSize = 7 }).GetColumn<float>("Score").ToArray();
        var rowPath = scored.GetColumn<float>("Score").ToArray();
        for (int i = 0; i < rowPath.Length; i++)
            Assert.True(Math.Abs(rowPath[i] - batched[i]) <= 1e-5 + 1e-4 * Math.Abs(rowPath[i]), $"row {i}: {batched[i]} vs {rowPath[i]}");
        var meta = OnnxModelInfo.Read(model.GetOnnxModel()).Metadata;
        Assert.Equal("regression", meta["sequence.kind"]);
        Assert.Equal("20", meta[OnnxMetadataKeys.FlattenedSteps]);
    }
}
