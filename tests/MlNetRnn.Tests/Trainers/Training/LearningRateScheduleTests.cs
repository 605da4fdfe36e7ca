using Xunit;

namespace MlNetRnn.Tests.Trainers.Training;

public sealed class LearningRateScheduleTests
{
    [Fact]
    public void ConstantKeepsTheRate()
    {
        var schedule = LearningRateSchedule.Create(LearningRateScheduleKind.Constant, 0.5, 1, 10, 0);
        Assert.Equal(0.01, Run(schedule, 0.01, 5).Last());
    }

    [Fact]
    public void StepDecayMultipliesEveryNEpochsByRepeatedMultiplication()
    {
        var schedule = LearningRateSchedule.Create(LearningRateScheduleKind.StepDecay, 0.5, 2, 10, 0);
        // Rates used by epochs 1..6: the decay applies after epochs 2 and 4.
        Assert.Equal(new[] { 0.1, 0.1, 0.05, 0.05, 0.025, 0.025 }, Run(schedule, 0.1, 6));
        var everyEpoch = LearningRateSchedule.Create(LearningRateScheduleKind.StepDecay, 0.95, 1, 10, 0);
        double expected = 0.002 * 0.95 * 0.95;
        Assert.Equal(expected, Run(everyEpoch, 0.002, 3).Last());
    }

    [Fact]
    public void CosineFallsFromTheInitialRateToTheFloorOverTheBudget()
    {
        var schedule = LearningRateSchedule.Create(LearningRateScheduleKind.Cosine, 0.5, 1, 4, 0.001);
        var rates = Run(schedule, 0.1, 5);
        // After epoch e of 4: min + (0.1 − min)·(1 + cos(π·e/4))/2.
        Assert.Equal(0.1, rates[0]);
        Assert.Equal(0.001 + 0.099 * (1 + Math.Cos(Math.PI / 4)) / 2, rates[1], 12);
        Assert.Equal(0.001 + 0.099 * 0.5, rates[2], 12);
        Assert.Equal(0.001, rates[4], 12);
    }

    [Fact]
    public void PlateauReducesAfterPatienceEpochsWithoutImprovementAndNotBelowTheFloor()
    {
        var schedule = LearningRateSchedule.Create(LearningRateScheduleKind.ReduceOnPlateau, 0.5, 2, 100, 0.02);
        double rate = 0.1;
        double[] losses = { 1.0, 1.1, 1.2, 1.3, 1.4, 0.5, 0.6, 0.7, 0.8, 0.9 };
        var rates = new List<double>();
        for (int epoch = 1; epoch <= losses.Length; epoch++)
        {
            rate = schedule.Next(rate, 0.1, epoch, losses[epoch - 1]);
            rates.Add(rate);
        }
        Assert.Equal(new[] { 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02 }, rates);
    }

    [Fact]
    public void PlateauStateRoundTripsThroughACheckpoint()
    {
        var first = LearningRateSchedule.Create(LearningRateScheduleKind.ReduceOnPlateau, 0.5, 3, 100, 0);
        first.Next(0.1, 0.1, 1, 1.0);
        first.Next(0.1, 0.1, 2, 2.0);
        var second = LearningRateSchedule.Create(LearningRateScheduleKind.ReduceOnPlateau, 0.5, 3, 100, 0);
        second.LoadState(first.State);
        // Both have seen two epochs since the best: the third bad epoch halves the rate in both.
        Assert.Equal(first.Next(0.1, 0.1, 3, 3.0), second.Next(0.1, 0.1, 3, 3.0));
        Assert.Equal(0.05, second.Next(0.05, 0.1, 4, 0.5) * 1.0);
    }

    private static List<double> Run(LearningRateSchedule schedule, double initial, int epochs)
    {
        var rates = new List<double>();
        double rate = initial;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            rates.Add(rate);
            rate = schedule.Next(rate, initial, epoch, 1.0 / epoch);
        }
        return rates;
    }
}
