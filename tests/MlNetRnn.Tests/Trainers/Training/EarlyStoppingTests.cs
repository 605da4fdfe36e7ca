using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Trainers.Training;

public sealed class EarlyStoppingTests
{
    [Fact]
    public void TracksTheBestEpochAndStopsAfterPatienceEpochsWithoutImprovement()
    {
        using var layer = Layer(2, 1);
        using var early = new EarlyStopping(patience: 2);
        double[] losses = { 1.0, 0.5, 0.6, 0.7, 0.4 };
        var stops = new List<bool>();
        for (int epoch = 1; epoch <= 4; epoch++)
        {
            early.Observe(epoch, losses[epoch - 1], layer);
            stops.Add(early.ShouldStop(epoch, maxEpochs: 10));
        }
        Assert.Equal(new[] { false, false, false, true }, stops);
        Assert.Equal(2, early.BestEpoch);
        Assert.Equal(0.5, early.BestLoss);
        Assert.Equal(2, early.KeptEpoch(epochsRun: 4));
    }

    [Fact]
    public void PatienceDoesNotRunOutOnTheUntrainedPlateau()
    {
        using var layer = Layer(2, 1);
        // ln 3 = 1.0986: three balanced classes, nothing learned yet. The best loss 1.0931 is within 1% of it.
        using var early = new EarlyStopping(patience: 2) { UntrainedLoss = Math.Log(3) };
        early.Observe(1, 1.0931, layer);
        early.Observe(2, 1.0940, layer);
        early.Observe(3, 1.0950, layer);
        Assert.False(early.ShouldStop(3, maxEpochs: 10));
        // Once it has learned something, patience counts as usual.
        early.Observe(4, 0.9, layer);
        early.Observe(5, 0.95, layer);
        early.Observe(6, 0.97, layer);
        Assert.True(early.ShouldStop(6, maxEpochs: 10));
    }

    [Theory]
    [InlineData(new[] { 0, 1, 0, 1 }, true, 0.693147)]
    [InlineData(new[] { 0, 1, 2, 0, 1, 2 }, false, 1.098612)]
    [InlineData(new[] { 1, 1, 1, 0 }, true, 0.562335)]
    [InlineData(new[] { 1, 1 }, true, 0.0)]
    public void TheUntrainedLossIsTheEntropyOfTheLabelShares(int[] labels, bool binary, double expected) =>
        Assert.Equal(expected, TextClassifierTrainingLoop.LabelEntropy(labels, binary), 5);

    [Fact]
    public void NeverStopsAfterTheLastEpochOrWithPatienceZero()
    {
        using var layer = Layer(2, 1);
        using var early = new EarlyStopping(patience: 1);
        early.Observe(1, 1.0, layer);
        early.Observe(2, 2.0, layer);
        Assert.False(early.ShouldStop(2, maxEpochs: 2));
        Assert.True(early.ShouldStop(2, maxEpochs: 3));
        using var off = new EarlyStopping(patience: 0);
        off.Observe(1, 1.0, layer);
        off.Observe(2, 2.0, layer);
        Assert.False(off.ShouldStop(2, maxEpochs: 100));
    }

    [Fact]
    public void RestoresTheBestEpochsWeightsNotTheLastOnes()
    {
        using var layer = Layer(2, 1);
        using var early = new EarlyStopping(patience: 0);
        Fill(layer, 1f);
        early.Observe(1, 0.3, layer);
        Fill(layer, 2f);
        early.Observe(2, 0.9, layer);
        Fill(layer, 3f);
        early.RestoreBest(layer);
        Assert.All(layer.weight!.data<float>().ToArray(), w => Assert.Equal(1f, w));
        Assert.Equal(1f, layer.bias!.data<float>()[0]);
    }

    [Fact]
    public void WithoutRestoringKeepsTheLastWeightsAndReportsTheLastEpoch()
    {
        using var layer = Layer(2, 1);
        using var early = new EarlyStopping(patience: 0, restoresBestWeights: false);
        Fill(layer, 1f);
        early.Observe(1, 0.3, layer);
        Fill(layer, 2f);
        early.Observe(2, 0.9, layer);
        early.RestoreBest(layer);
        Assert.Null(early.BestWeights);
        Assert.All(layer.weight!.data<float>().ToArray(), w => Assert.Equal(2f, w));
        Assert.Equal(2, early.KeptEpoch(epochsRun: 2));
        Assert.Equal(1, early.BestEpoch);
    }

    [Fact]
    public void NotANumberNeverCountsAsAnImprovement()
    {
        using var layer = Layer(2, 1);
        using var early = new EarlyStopping(patience: 3);
        Assert.True(early.Observe(1, 0.5, layer));
        Assert.False(early.Observe(2, double.NaN, layer));
        Assert.Equal(1, early.BestEpoch);
    }

    /// <summary>A linear layer made under the torch lock: its random initialisation draws from the generator parallel fits use.</summary>
    internal static TorchSharp.Modules.Linear Layer(int inputs, int outputs)
    {
        lock (TorchGate.Lock)
            return nn.Linear(inputs, outputs);
    }

    private static void Fill(nn.Module<Tensor, Tensor> module, float value)
    {
        using var noGrad = torch.no_grad();
        foreach (var p in module.parameters())
            p.fill_(value);
    }
}
