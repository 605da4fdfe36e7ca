using Microsoft.ML.OnnxRuntime;
using MlNetRnn.Transforms;
using Xunit;

namespace MlNetRnn.Tests.Onnx.Export;

/// <summary>
/// The forecaster graph's seasonal-naive reference, ensemble mean and interval outputs, checked against independent references:
/// the seasonal-naive forecast of <see cref="ForecastMetrics"/>, TorchSharp, and the members' own single-network graphs.
/// </summary>
public sealed class ForecastEnsembleGraphTests
{
    private static readonly SeriesScaler LogStandard = new(SeriesScalingKind.Standard, log: true, center: 4.6f, scale: 0.4f);

    private static float[] RandomWindows(int rows, int window, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows * window).Select(_ => (float)(60 + 80 * random.NextDouble())).ToArray();
    }

    private static void AssertClose(float expected, float actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-5 + 1e-4 * Math.Abs(expected), $"{what}: expected {expected}, got {actual}");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WithAZeroCorrectionTheGraphIsTheSeasonalNaiveForecast(bool relative)
    {
        const int window = 8, horizon = 6, season = 4, rows = 3;
        var arch = new RecurrentArchitecture(RecurrentCellKind.Gru, 1, 4, 1, false);
        // A head of zeros: whatever the recurrent layer computes, the correction is 0 and only the reference is left.
        var weights = new WeightSet(RandomWeights.Create(arch, horizon, 5).Tensors
            .Select(t => t.Name.StartsWith("head.", StringComparison.Ordinal) ? new NamedTensor(t.Name, t.Shape, new float[t.Data.Length]) : t));
        var description = new ForecastingModelDescription(arch, window, horizon, LogStandard, relative) { ReferenceSeason = season };
        float[] raw = RandomWindows(rows, window, 11);

        float[] onnx = OnnxTestRunner.Run(ForecastingOnnxExporter.Export(description, weights), "Features", raw, new long[] { rows, window }, "Score", new long[] { rows, horizon });

        for (int r = 0; r < rows; r++)
        {
            float[] naive = ForecastMetrics.SeasonalNaive(raw.AsSpan(r * window, window), horizon, season);
            for (int h = 0; h < horizon; h++)
                AssertClose(naive[h], onnx[r * horizon + h], $"row {r}, step {h}");
        }
    }

    [Theory]
    [InlineData(RecurrentCellKind.Lstm, 1)]
    [InlineData(RecurrentCellKind.Gru, 3)]
    [InlineData(RecurrentCellKind.RnnTanh, 7)]
    public void ReferenceGraphMatchesTorchSharp(RecurrentCellKind cell, int season)
    {
        const int window = 7, horizon = 5, rows = 4;
        var arch = new RecurrentArchitecture(cell, 1, 6, 2, false);
        var weights = RandomWeights.Create(arch, horizon, 21 + season);
        var description = new ForecastingModelDescription(arch, window, horizon, LogStandard, true) { ReferenceSeason = season };
        float[] raw = RandomWindows(rows, window, season);

        float[] onnx = OnnxTestRunner.Run(ForecastingOnnxExporter.Export(description, weights), "Features", raw, new long[] { rows, window }, "Score", new long[] { rows, horizon });
        float[] torch = ExporterParityTests.TorchForecast(arch, weights, raw, rows, window, horizon, LogStandard, true, season);

        for (int i = 0; i < onnx.Length; i++)
            AssertClose(torch[i], onnx[i], $"value {i}");
    }

    [Fact]
    public void EnsembleGraphIsTheMeanOfItsMembersGraphsInScaledSpace()
    {
        const int window = 12, horizon = 4, rows = 5, members = 3, season = 4;
        var arch = new RecurrentArchitecture(RecurrentCellKind.Lstm, 1, 5, 1, false);
        var memberWeights = Enumerable.Range(0, members).Select(k => RandomWeights.Create(arch, horizon, 40 + k)).ToArray();
        var ensemble = new WeightSet(memberWeights.SelectMany((w, k) => EnsembleWeights.Named(w, members, k)));
        var single = new ForecastingModelDescription(arch, window, horizon, LogStandard, true) { ReferenceSeason = season };
        float[] raw = RandomWindows(rows, window, 3);
        var shape = new long[] { rows, window };
        var outShape = new long[] { rows, horizon };

        float[] combined = OnnxTestRunner.Run(ForecastingOnnxExporter.Export(single with { Members = members }, ensemble), "Features", raw, shape, "Score", outShape);
        var each = memberWeights.Select(w => OnnxTestRunner.Run(ForecastingOnnxExporter.Export(single, w), "Features", raw, shape, "Score", outShape)).ToArray();

        for (int i = 0; i < combined.Length; i++)
        {
            // Members share the reference, so the mean of their scaled outputs is the scaled ensemble output.
            double meanScaled = each.Average(m => (double)LogStandard.Transform(m[i]));
            AssertClose(LogStandard.Inverse((float)meanScaled), combined[i], $"value {i}");
        }
        // Each member really contributes: the ensemble is none of them.
        Assert.All(each, m => Assert.NotEqual(m, combined));
    }

    [Fact]
    public void IntervalOutputsAreOrderedAndEqualTheTorchSharpBandOffsets()
    {
        const int window = 6, horizon = 3, rows = 4;
        var arch = new RecurrentArchitecture(RecurrentCellKind.Gru, 1, 4, 1, false);
        var weights = RandomWeights.Create(arch, horizon, 9);
        var interval = new ForecastIntervalOffsets(0.8, new[] { -0.1f, -0.2f, 0f }, new[] { 0.05f, 0.3f, 0.4f });
        var description = new ForecastingModelDescription(arch, window, horizon, LogStandard, true) { ReferenceSeason = 2, Interval = interval };
        float[] raw = RandomWindows(rows, window, 4);
        using var session = new InferenceSession(ForecastingOnnxExporter.Export(description, weights));
        var outShape = new long[] { rows, horizon };
        var onnx = OnnxTestRunner.Run(session, new[] { TestInput.Of("Features", raw, new long[] { rows, window }) },
            new[] { ("Score", outShape), ("ScoreLower", outShape), ("ScoreUpper", outShape) });

        var prep = new ForecastPreprocessing(window, horizon, LogStandard, true, 2);
        var (inputs, references) = prep.ScaleInputs(raw);
        float[] network = TorchScaledOutputs(arch, weights, inputs, rows, window, horizon);
        float[] lower = (float[])network.Clone(), upper = (float[])network.Clone();
        prep.UnscaleOutputs(lower, references, interval.Lower);
        prep.UnscaleOutputs(upper, references, interval.Upper);
        for (int i = 0; i < rows * horizon; i++)
        {
            Assert.True(onnx["ScoreLower"][i] <= onnx["Score"][i] && onnx["Score"][i] <= onnx["ScoreUpper"][i],
                $"value {i}: {onnx["ScoreLower"][i]} ≤ {onnx["Score"][i]} ≤ {onnx["ScoreUpper"][i]} does not hold");
            AssertClose(lower[i], onnx["ScoreLower"][i], $"lower {i}");
            AssertClose(upper[i], onnx["ScoreUpper"][i], $"upper {i}");
            Assert.True(lower[i] <= upper[i]);
        }
        // Step 2 has a zero lower offset: its lower bound is the point forecast itself.
        AssertClose(onnx["Score"][2], onnx["ScoreLower"][2], "zero offset");
    }

    [Fact]
    public void EnsembleWithIntervalSurvivesImportAndReexportByteForByte()
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Gru, 1, 3, 2, true);
        var weights = new WeightSet(Enumerable.Range(0, 2).SelectMany(k => EnsembleWeights.Named(RandomWeights.Create(arch, 2, k), 2, k)));
        var description = new ForecastingModelDescription(arch, 5, 2, LogStandard, true)
        {
            ReferenceSeason = 4, Members = 2, Interval = new ForecastIntervalOffsets(0.8, new[] { -0.5f, -0.25f }, new[] { 0.125f, 1f }),
        };
        byte[] model = ForecastingOnnxExporter.Export(description, weights);

        var imported = OnnxModelImporter.Import(model);

        Assert.Equal(2, imported.Forecasting!.Members);
        Assert.Equal(4, imported.Forecasting.ReferenceSeason);
        Assert.Equal(new[] { -0.5f, -0.25f }, imported.Forecasting.Interval!.Lower);
        Assert.Equal(weights.Get("member1.head.weight").Data, imported.Weights.Get("member1.head.weight").Data);
        Assert.Equal(model, imported.Export());
    }

    [Fact]
    public void ExporterRefusesAReferenceSeasonLongerThanTheWindowAndBadOffsets()
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Gru, 1, 3, 1, false);
        var weights = RandomWeights.Create(arch, 2, 1);
        var tooLong = new ForecastingModelDescription(arch, 4, 2, LogStandard, true) { ReferenceSeason = 5 };
        Assert.Contains("at most the networks' window (4)", Assert.Throws<ArgumentException>(() => ForecastingOnnxExporter.Export(tooLong, weights)).Message);
        var inverted = new ForecastingModelDescription(arch, 4, 2, LogStandard, true) { Interval = new ForecastIntervalOffsets(0.8, new[] { 0.1f, -0.1f }, new[] { 0.2f, 0.2f }) };
        Assert.Contains("step 0", Assert.Throws<ArgumentException>(() => ForecastingOnnxExporter.Export(inverted, weights)).Message);
    }

    private static float[] TorchScaledOutputs(RecurrentArchitecture arch, WeightSet weights, float[] inputs, int rows, int window, int horizon)
    {
        lock (TorchGate.Lock)
        {
            using var network = new RecurrentSequenceNetwork(arch, horizon, 0);
            network.LoadWeights(weights);
            network.eval();
            using var noGrad = TorchSharp.torch.no_grad();
            using var x = TorchSharp.torch.tensor(inputs, new long[] { rows, window, 1 });
            using var y = network.call(x);
            return y.data<float>().ToArray();
        }
    }
}
