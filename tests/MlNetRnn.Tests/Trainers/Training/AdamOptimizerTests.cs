using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Trainers.Training;

public sealed class AdamOptimizerTests
{
    /// <summary>Trains two copies of one network for 25 steps, ours vs TorchSharp's Adam as our loops used to create it, and compares every weight bit for bit.</summary>
    [Theory]
    [InlineData(0.005)]
    [InlineData(0.05)]
    public void MatchesTorchSharpsAdamBitForBit(double learningRate)
    {
        var (ours, theirs) = TwinNetworks();
        using var adam = new AdamOptimizer(ours.parameters(), learningRate);
        using var reference = torch.optim.Adam(theirs.parameters(), learningRate);
        var generator = new Random(3);
        for (int step = 0; step < 25; step++)
        {
            var x = Enumerable.Range(0, 4 * 6).Select(_ => (float)generator.NextDouble()).ToArray();
            var y = Enumerable.Range(0, 4 * 2).Select(_ => (float)generator.NextDouble()).ToArray();
            StepWith(ours, x, y, adam.ZeroGrad, adam.Step);
            StepWith(theirs, x, y, reference.zero_grad, () => reference.step());
        }
        var a = ours.ExportWeights();
        var b = theirs.ExportWeights();
        foreach (var tensor in a.Tensors)
            Assert.Equal(b.Get(tensor.Name).Data, tensor.Data);
        Assert.Equal(25, adam.Steps);
        ours.Dispose();
        theirs.Dispose();
    }

    [Fact]
    public void StateRoundTripContinuesIdentically()
    {
        var (ours, copy) = TwinNetworks();
        using var first = new AdamOptimizer(ours.parameters(), 0.01);
        var x = Enumerable.Range(0, 24).Select(i => i / 24f).ToArray();
        var y = Enumerable.Range(0, 8).Select(i => 1 - i / 8f).ToArray();
        for (int i = 0; i < 5; i++)
            StepWith(ours, x, y, first.ZeroGrad, first.Step);
        // The copy gets the weights and the optimizer state after 5 steps, then both take 5 more.
        copy.LoadWeights(ours.ExportWeights());
        using var second = new AdamOptimizer(copy.parameters(), 0.01);
        second.LoadState(first.Steps, first.StateTensors().ToDictionary(t => t.Name, t => t.Tensor));
        for (int i = 0; i < 5; i++)
        {
            StepWith(ours, x, y, first.ZeroGrad, first.Step);
            StepWith(copy, x, y, second.ZeroGrad, second.Step);
        }
        var a = ours.ExportWeights();
        var b = copy.ExportWeights();
        foreach (var tensor in a.Tensors)
            Assert.Equal(tensor.Data, b.Get(tensor.Name).Data);
        ours.Dispose();
        copy.Dispose();
    }

    /// <summary>Row scales of the head's weight: row 0 at 0 (frozen), row 1 at 0.5 (half of the full update), against an unscaled twin.</summary>
    [Fact]
    public void ARateScaleFreezesOrShrinksTheUpdateRowByRow()
    {
        var (ours, full) = TwinNetworks();
        var before = ours.ExportWeights().Get("head.weight").Data;
        var names = ours.named_parameters().Select(p => p.name).ToList();
        using var adam = new AdamOptimizer(ours.parameters(), 0.01);
        using var reference = new AdamOptimizer(full.parameters(), 0.01);
        using var scale = torch.tensor(new[] { 0f, 0.5f }, new long[] { 2, 1 });
        adam.SetRateScale(names.IndexOf("head.weight"), scale);
        var x = Enumerable.Range(0, 24).Select(i => i / 24f).ToArray();
        var y = Enumerable.Range(0, 8).Select(i => 1 - i / 8f).ToArray();
        StepWith(ours, x, y, adam.ZeroGrad, adam.Step);
        StepWith(full, x, y, reference.ZeroGrad, reference.Step);

        var scaled = ours.ExportWeights();
        var unscaled = full.ExportWeights();
        var head = scaled.Get("head.weight").Data;
        var fullHead = unscaled.Get("head.weight").Data;
        int width = head.Length / 2;
        for (int i = 0; i < width; i++)
        {
            Assert.Equal(before[i], head[i]);
            Assert.Equal((fullHead[width + i] - before[width + i]) / 2, head[width + i] - before[width + i], 6);
            Assert.NotEqual(before[width + i], head[width + i]);
        }
        // Every other parameter took the full step.
        foreach (var tensor in scaled.Tensors.Where(t => t.Name != "head.weight"))
            Assert.Equal(unscaled.Get(tensor.Name).Data, tensor.Data);
        ours.Dispose();
        full.Dispose();
    }

    internal static (RecurrentSequenceNetwork, RecurrentSequenceNetwork) TwinNetworks()
    {
        // libtorch's generator is process-wide: seeding it outside the lock would change the dropout of a fit running in parallel.
        lock (TorchGate.Lock)
        {
            torch.manual_seed(11);
            var architecture = new RecurrentArchitecture(RecurrentCellKind.Gru, 1, 5, 2, false);
            var a = new RecurrentSequenceNetwork(architecture, 2, 0);
            var b = new RecurrentSequenceNetwork(architecture, 2, 0);
            b.LoadWeights(a.ExportWeights());
            return (a, b);
        }
    }

    private static void StepWith(RecurrentSequenceNetwork network, float[] x, float[] y, Action zeroGrad, Action step)
    {
        using var scope = torch.NewDisposeScope();
        zeroGrad();
        var prediction = network.call(torch.tensor(x, new long[] { 4, 6, 1 }));
        var loss = nn.functional.mse_loss(prediction, torch.tensor(y, new long[] { 4, 2 }));
        loss.backward();
        step();
    }
}
