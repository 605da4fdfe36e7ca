using Microsoft.ML;
using MlNetRnn.Transforms;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Forecasting;

public sealed class ForecastSplitTests
{
    [Theory]
    [InlineData(109, 0.1, 12)]
    [InlineData(50, 0.2, 1)]
    [InlineData(30, 0.5, 5)]
    public void NoValidationTargetIsATrainingTarget(int count, double fraction, int horizon)
    {
        var split = ForecastSplit.Compute(count, fraction, horizon);

        Assert.True(split.Validation >= 1);
        Assert.Equal(count, split.Train + split.Gap + split.Validation);
        // Window i's targets are steps i+W .. i+W+H-1 (W cancels out): the last training target precedes the first validation target.
        int lastTrainingTarget = split.Train - 1 + horizon - 1;
        int firstValidationTarget = split.ValidationStart;
        Assert.True(lastTrainingTarget < firstValidationTarget, $"{lastTrainingTarget} >= {firstValidationTarget}");
        Assert.Equal(lastTrainingTarget + 1, firstValidationTarget); // and nothing more than needed is thrown away
    }

    [Fact]
    public void ZeroFractionOrTooFewWindowsTrainOnEverything()
    {
        Assert.Equal(new ForecastSplit(40, 0, 0), ForecastSplit.Compute(40, 0, 3));
        Assert.Equal(new ForecastSplit(5, 0, 0), ForecastSplit.Compute(5, 0.2, 12));
        Assert.Equal(new ForecastSplit(1, 0, 0), ForecastSplit.Compute(1, 0.5, 1));
    }

    [Fact]
    public void NeverFewerTrainingThanValidationWindows()
    {
        // 14 windows with horizon 12 leave 3 after the gap: half would validate 2 windows on 1 trained one.
        Assert.Equal(new ForecastSplit(14, 0, 0), ForecastSplit.Compute(14, 0.5, 12));
        Assert.Equal(new ForecastSplit(5, 11, 4), ForecastSplit.Compute(20, 0.5, 12));
        for (int count = 1; count < 200; count++)
        {
            var split = ForecastSplit.Compute(count, 0.5, 7);
            Assert.True(split.Validation == 0 || split.Train >= split.Validation, $"{count}: {split}");
            Assert.Equal(count, split.Train + split.Gap + split.Validation);
        }
    }

    [Fact]
    public void TheScalerNeverSeesValidationValues()
    {
        var ml = new MLContext(1);
        var series = TestData.AirPassengers();
        var options = ForecasterTestOptions.Small(epochs: 1);
        options.Scaling = SeriesScalingKind.MinMax;
        options.LogTransform = false;
        var split = ForecastSplit.Compute(SlidingWindows.Count(series.Length, 12, 3), options.ValidationFraction, 3);
        int firstUnseen = split.Train - 1 + 12 + 3; // the first value after the last training window's targets
        series[firstUnseen] = 100000;                // a spike only gap/validation windows contain

        using var model = ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, series));

        var seen = series[..firstUnseen];
        Assert.True(seen.Max() < 1000);
        Assert.Equal(seen.Min(), model.Scaler.Center);
        Assert.Equal(seen.Max() - seen.Min(), model.Scaler.Scale);
    }
}
