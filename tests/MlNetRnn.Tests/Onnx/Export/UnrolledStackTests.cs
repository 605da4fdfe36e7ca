using Microsoft.ML.OnnxRuntime;
using MlNetRnn.Transforms;
using Xunit;

namespace MlNetRnn.Tests.Onnx.Export;

/// <summary>
/// The forecaster graph with its recurrent stack unrolled over the window as plain ops against the same graph with ONNX's
/// recurrent nodes (itself checked against TorchSharp by the parity grid), for every cell, one and two layers, both directions.
/// </summary>
public sealed class UnrolledStackTests
{
    public static TheoryData<RecurrentCellKind, int, bool> Stacks()
    {
        var data = new TheoryData<RecurrentCellKind, int, bool>();
        foreach (var cell in Enum.GetValues<RecurrentCellKind>())
        foreach (int layers in new[] { 1, 2 })
        foreach (bool bidirectional in new[] { false, true })
            data.Add(cell, layers, bidirectional);
        return data;
    }

    [Theory]
    [MemberData(nameof(Stacks))]
    public void TheUnrolledGraphGivesTheRecurrentNodesForecastsAndReadsBackTheSameWeights(RecurrentCellKind cell, int layers, bool bidirectional)
    {
        const int window = 7, horizon = 3, rows = 5;
        var scaler = new SeriesScaler(SeriesScalingKind.Standard, log: false, center: 50f, scale: 10f);
        var arch = new RecurrentArchitecture(cell, 1, 6, layers, bidirectional);
        var weights = RandomWeights.Create(arch, horizon, seed: 17, range: cell == RecurrentCellKind.RnnRelu ? 0.35f : 0.6f);
        var nodes = new ForecastingModelDescription(arch, window, horizon, scaler, true);
        var unrolled = nodes with { UnrolledSteps = true };
        var random = new Random(2);
        float[] raw = Enumerable.Range(0, rows * window).Select(_ => (float)(30 + 40 * random.NextDouble())).ToArray();
        byte[] unrolledModel = ForecastingOnnxExporter.Export(unrolled, weights);
        float[] Run(byte[] model) => OnnxTestRunner.Run(model, "Features", raw, new long[] { rows, window }, "Score", new long[] { rows, horizon });

        float[] expected = Run(ForecastingOnnxExporter.Export(nodes, weights)), actual = Run(unrolledModel);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 + 1e-5 * Math.Abs(expected[i]), $"value {i}: nodes {expected[i]} unrolled {actual[i]}");

        // No recurrent node is left, and the importer finds the same weights and the flag, so exporting again gives the same file.
        var graph = MlNetRnn.Onnx.Protobuf.ModelProto.Parser.ParseFrom(unrolledModel).Graph;
        Assert.DoesNotContain(graph.Node, n => n.OpType is "LSTM" or "GRU" or "RNN");
        var imported = OnnxModelImporter.Import(unrolledModel);
        Assert.True(imported.Forecasting!.UnrolledSteps);
        Assert.Equal(unrolledModel, imported.Export());
        foreach (var tensor in weights.Tensors)
            Assert.Equal(tensor.Data, imported.Weights.Get(tensor.Name, tensor.Shape).Data);
    }
    [Fact]
    public void AGruStepAfterTheFirstRunsTenOpsWithItsInputAlreadySplitOff()
    {
        // The projected inputs of all steps come from one MatMul and one Split, and both biases of z and r ride in the projection,
        // so a step is two Gemms (z and r with the step's input as C; the candidate's state part), Sigmoid, Split, Mul, Add, Tanh,
        // and Sub, Mul, Add for the update: no per-step Gather of the input and no separate bias Add.
        var arch = new RecurrentArchitecture(RecurrentCellKind.Gru, 1, 16, 1, false);
        var description = new ForecastingModelDescription(arch, 12, 1, new SeriesScaler(SeriesScalingKind.Standard, log: true, center: 5f, scale: 1f), true) { UnrolledSteps = true };
        var graph = MlNetRnn.Onnx.Protobuf.ModelProto.Parser.ParseFrom(ForecastingOnnxExporter.Export(description, RandomWeights.Create(arch, 1, seed: 3))).Graph;
        var step = graph.Node.Where(n => n.Output.All(o => o.Contains("l0.fwd.t5.", StringComparison.Ordinal))).Select(n => n.OpType).OrderBy(t => t, StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "Add", "Add", "Gemm", "Gemm", "Mul", "Mul", "Sigmoid", "Split", "Sub", "Tanh" }, step);
        Assert.Single(graph.Node, n => n.OpType == "Split" && n.Output.Count == 24);
        Assert.DoesNotContain(graph.Node, n => n.OpType == "Transpose" && n.Input[0] == "input.steps");
    }
}
