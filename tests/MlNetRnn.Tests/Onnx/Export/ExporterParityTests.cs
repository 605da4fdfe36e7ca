using MlNetRnn.Transforms;
using TorchSharp;
using Xunit;

namespace MlNetRnn.Tests.Onnx.Export;

/// <summary>TorchSharp vs ONNX Runtime on random weights and inputs for each cell × {1, 2 layers} × {uni, bi}.</summary>
public sealed class ExporterParityTests
{
    public static TheoryData<RecurrentCellKind, int, bool> Grid()
    {
        var data = new TheoryData<RecurrentCellKind, int, bool>();
        foreach (var cell in Enum.GetValues<RecurrentCellKind>())
        foreach (int layers in new[] { 1, 2 })
        foreach (bool bi in new[] { false, true })
            data.Add(cell, layers, bi);
        return data;
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void ForecasterGraphMatchesTorchSharp(RecurrentCellKind cell, int layers, bool bidirectional)
    {
        const int hidden = 8, horizon = 3;
        int seed = 100 * (int)cell + 10 * layers + (bidirectional ? 1 : 0);
        var arch = new RecurrentArchitecture(cell, 1, hidden, layers, bidirectional);
        var weights = RandomWeights.Create(arch, horizon, seed);
        var random = new Random(seed);

        foreach (int window in new[] { 1, 7, 50 })
        foreach (int batch in new[] { 1, 3 })
        foreach (bool relative in new[] { false, true })
        {
            // Raw values around 100 with a log transform and standard scaling: exercises every in-graph scaling node.
            var scaler = new SeriesScaler(SeriesScalingKind.Standard, log: true, center: 4.6f, scale: 0.4f);
            float[] raw = Enumerable.Range(0, batch * window).Select(_ => (float)(60 + 80 * random.NextDouble())).ToArray();
            var description = new ForecastingModelDescription(arch, window, horizon, scaler, relative);
            byte[] model = ForecastingOnnxExporter.Export(description, weights);

            float[] onnx = OnnxTestRunner.Run(model, "Features", raw, new long[] { batch, window }, "Score", new long[] { batch, horizon });
            float[] expected = TorchForecast(arch, weights, raw, batch, window, horizon, scaler, relative);

            for (int i = 0; i < expected.Length; i++)
            {
                double tolerance = 1e-5 + 1e-4 * Math.Abs(expected[i]);
                Assert.True(Math.Abs(onnx[i] - expected[i]) <= tolerance,
                    $"window {window}, batch {batch}, relative {relative}, value {i}: onnx {onnx[i]} torch {expected[i]}");
            }
        }
    }

    [Fact]
    public void OptimizationLevelDoesNotChangeOutputs()
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Gru, 1, 6, 2, true);
        var weights = RandomWeights.Create(arch, 2, 5);
        byte[] model = ForecastingOnnxExporter.Export(new ForecastingModelDescription(arch, 9, 2, SeriesScaler.Identity, true), weights);
        float[] input = Enumerable.Range(0, 18).Select(i => MathF.Sin(i)).ToArray();

        var none = OnnxTestRunner.Run(model, "Features", input, new long[] { 2, 9 }, "Score", new long[] { 2, 2 }, Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL);
        var all = OnnxTestRunner.Run(model, "Features", input, new long[] { 2, 9 }, "Score", new long[] { 2, 2 }, Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_ALL);

        Assert.All(none.Zip(all), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-5 + 1e-4 * Math.Abs(p.First), $"{p.First} vs {p.Second}"));
    }

    internal static float[] TorchForecast(RecurrentArchitecture arch, WeightSet weights, float[] raw, int batch, int window, int horizon, SeriesScaler scaler, bool relative,
        int referenceSeason = 0)
    {
        var prep = new ForecastPreprocessing(window, horizon, scaler, relative, referenceSeason);
        var (inputs, references) = prep.ScaleInputs(raw);
        float[] outputs;
        lock (TorchGate.Lock)
        {
            using var network = new RecurrentSequenceNetwork(arch, horizon, 0);
            network.LoadWeights(weights);
            network.eval();
            using var noGrad = torch.no_grad();
            using var x = torch.tensor(inputs, new long[] { batch, window, 1 });
            using var y = network.call(x);
            outputs = y.data<float>().ToArray();
        }
        prep.UnscaleOutputs(outputs, references);
        return outputs;
    }
}
