using MlNetRnn.Transforms;
using TorchSharp;
using Xunit;

namespace MlNetRnn.Tests.Onnx.Export;

/// <summary>
/// Checks the exported graph and the TorchSharp network against cell equations computed by hand, so a wrong
/// gate order is caught even if TorchSharp and ONNX Runtime happened to agree with each other.
/// </summary>
public sealed class GateEquationTests
{
    public static TheoryData<RecurrentCellKind, bool> Cases()
    {
        var data = new TheoryData<RecurrentCellKind, bool>();
        foreach (var cell in Enum.GetValues<RecurrentCellKind>())
        {
            data.Add(cell, false);
            data.Add(cell, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ThreeStepsOfEachCellMatchTheGateEquations(RecurrentCellKind cell, bool bidirectional)
    {
        const int hidden = 3, window = 3, horizon = 2;
        var arch = new RecurrentArchitecture(cell, 1, hidden, 1, bidirectional);
        var weights = RandomWeights.Create(arch, horizon, seed: 11);
        float[] x = { 0.7f, -1.2f, 0.4f };

        // Hand computation: forward over x, backward over reversed x; head on [h_fwd | h_bwd].
        var steps = x.Select(v => new[] { (double)v }).ToList();
        var features = new List<double>(Layer(cell, hidden, weights, reverse: false, steps));
        if (bidirectional)
            features.AddRange(Layer(cell, hidden, weights, reverse: true, Enumerable.Reverse(steps).ToList()));
        var headW = weights.Get("head.weight").Data;
        var headB = weights.Get("head.bias").Data;
        var expected = Enumerable.Range(0, horizon)
            .Select(o => (float)(headB[o] + features.Select((f, j) => f * headW[o * features.Count + j]).Sum())).ToArray();

        // ONNX Runtime, with an identity scaler so the graph output is the head output.
        var description = new ForecastingModelDescription(arch, window, horizon, SeriesScaler.Identity, RelativeToWindow: false);
        byte[] model = ForecastingOnnxExporter.Export(description, weights);
        float[] onnx = OnnxTestRunner.Run(model, "Features", x, new long[] { 1, window }, "Score", new long[] { 1, horizon });

        // TorchSharp with the same weights.
        float[] torchOut;
        lock (TorchGate.Lock)
        {
            using var network = new RecurrentSequenceNetwork(arch, horizon, 0);
            network.LoadWeights(weights);
            network.eval();
            using var noGrad = torch.no_grad();
            using var input = torch.tensor(x, new long[] { 1, window, 1 });
            using var output = network.call(input);
            torchOut = output.data<float>().ToArray();
        }

        for (int i = 0; i < horizon; i++)
        {
            Assert.True(Math.Abs(onnx[i] - expected[i]) <= 1e-5 + 1e-4 * Math.Abs(expected[i]), $"ONNX {onnx[i]} vs hand {expected[i]} at {i}");
            Assert.True(Math.Abs(torchOut[i] - expected[i]) <= 1e-5 + 1e-4 * Math.Abs(expected[i]), $"Torch {torchOut[i]} vs hand {expected[i]} at {i}");
        }
    }

    private static double[] Layer(RecurrentCellKind cell, int hidden, WeightSet w, bool reverse, IReadOnlyList<double[]> steps) =>
        ReferenceRecurrentCells.Run(cell, hidden,
            w.Get("rnn." + RecurrentArchitecture.ParameterName("weight_ih", 0, reverse)).Data,
            w.Get("rnn." + RecurrentArchitecture.ParameterName("weight_hh", 0, reverse)).Data,
            w.Get("rnn." + RecurrentArchitecture.ParameterName("bias_ih", 0, reverse)).Data,
            w.Get("rnn." + RecurrentArchitecture.ParameterName("bias_hh", 0, reverse)).Data,
            steps);

    [Fact]
    public void GateOrderPermutationRoundTrips()
    {
        foreach (var cell in Enum.GetValues<RecurrentCellKind>())
        {
            int g = new RecurrentArchitecture(cell, 1, 2, 1, false).GateCount;
            float[] source = Enumerable.Range(0, g * 2 * 3).Select(i => (float)i).ToArray();
            var onnx = new float[source.Length];
            var back = new float[source.Length];
            GateOrder.TorchToOnnx(cell, source, onnx, hiddenSize: 2, columns: 3);
            GateOrder.OnnxToTorch(cell, onnx, back, hiddenSize: 2, columns: 3);
            Assert.Equal(source, back);
        }
        // LSTM: ONNX slot 1 (o) holds PyTorch block 3 (o).
        var lstm = new float[8];
        GateOrder.TorchToOnnx(RecurrentCellKind.Lstm, new float[] { 0, 0, 1, 1, 2, 2, 3, 3 }, lstm, 2, 1);
        Assert.Equal(new float[] { 0, 0, 3, 3, 1, 1, 2, 2 }, lstm);
    }
}
