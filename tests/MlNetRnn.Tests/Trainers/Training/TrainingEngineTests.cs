using MlNetRnn.Trainers;
using MlNetRnn.Trainers.Network;
using MlNetRnn.Trainers.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Trainers.Training;

/// <summary>The engine and its pieces on a tiny network, without a trainer around them.</summary>
public sealed class TrainingEngineTests
{
    [Fact]
    public void GradientClippingScalesTheGlobalNormDownToTheLimitAndReportsTheNormBefore()
    {
        using var layer = EarlyStoppingTests.Layer(3, 1);
        using (var noGrad = torch.no_grad())
            foreach (var p in layer.parameters())
                p.fill_(1f);
        using var scope = torch.NewDisposeScope();
        var loss = layer.call(torch.full(new long[] { 1, 3 }, 10f)).sum();
        loss.backward();
        // d/dw = 10 for each of the three weights, d/db = 1: norm sqrt(301).
        double before = new GradientClipping(1.0).Apply(layer.parameters().ToArray());
        Assert.Equal(Math.Sqrt(301), before, 4);
        double after = Math.Sqrt(layer.parameters().Sum(p => p.grad!.square().sum().item<float>()));
        Assert.Equal(1.0, after, 4);
        Assert.True(double.IsNaN(new GradientClipping(0).Apply(layer.parameters().ToArray())));
    }

    [Fact]
    public void ATimeBudgetEndsTheRunAfterTheBatchThatExceedsItAndStillValidatesThatEpoch()
    {
        var (network, source) = Tiny();
        var epochs = new List<EpochReport>();
        var outcome = TrainingEngine.Run(network, source, new TrainingRun
        {
            Epochs = 50,
            LearningRate = 0.01,
            TimeBudget = new TrainingTimeBudget(TimeSpan.Zero),
            Validate = () => 0.5,
            OnEpoch = epochs.Add,
        });
        Assert.True(outcome.StoppedByTimeBudget);
        Assert.Single(epochs);
        Assert.Equal(1, epochs[0].Batches);
        Assert.Equal(new[] { 0.5 }, outcome.History.ValidationLoss);
        network.Dispose();
        source.Dispose();
    }

    [Fact]
    public void TheScheduleSetsTheRateOfEachEpochAndEarlyStoppingRestoresTheBest()
    {
        var (network, source) = Tiny();
        var rates = new List<double>();
        double[] validation = { 0.9, 0.4, 0.6, 0.7, 0.8 };
        int call = 0;
        var outcome = TrainingEngine.Run(network, source, new TrainingRun
        {
            Epochs = 10,
            LearningRate = 0.1,
            Schedule = new StepDecaySchedule(0.5, 1),
            EarlyStopping = new EarlyStopping(patience: 3),
            Validate = () => validation[call++],
            OnEpoch = e => rates.Add(e.LearningRate),
        });
        Assert.Equal(new[] { 0.1, 0.05, 0.025, 0.0125, 0.00625 }.Take(5), rates);
        Assert.True(outcome.History.StoppedEarly);
        Assert.Equal(2, outcome.History.BestEpoch);
        Assert.Equal(5, outcome.History.EpochsRun);
        network.Dispose();
        source.Dispose();
    }

    [Fact]
    public void ANonFiniteLossStopsTheRunNamingTheEpoch()
    {
        var (network, source) = Tiny();
        int epoch = 0;
        var ex = Assert.Throws<TrainingDivergedException>(() => TrainingEngine.Run(network, source, new TrainingRun
        {
            Epochs = 5,
            LearningRate = 0.01,
            Validate = () => ++epoch == 3 ? double.NaN : 1.0 / epoch,
        }));
        Assert.Equal(3, ex.Epoch);
        Assert.Contains("validation loss is NaN", ex.Message);
        network.Dispose();
        source.Dispose();
    }

    private static (RecurrentSequenceNetwork, WindowBatchSource) Tiny()
    {
        lock (TorchGate.Lock)
        {
            torch.manual_seed(5);
            var network = new RecurrentSequenceNetwork(new RecurrentArchitecture(RecurrentCellKind.Gru, 1, 4, 1, false), 1, 0);
            var x = torch.rand(new long[] { 20, 5, 1 });
            var y = torch.rand(new long[] { 20, 1 });
            return (network, new WindowBatchSource(network, x, y, 4, shuffle: true, (p, t) => nn.functional.mse_loss(p, t)));
        }
    }
}
