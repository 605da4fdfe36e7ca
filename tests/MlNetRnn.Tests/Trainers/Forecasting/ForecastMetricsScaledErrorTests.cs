using MlNetRnn.Trainers.Forecasting;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Forecasting;

public sealed class ForecastMetricsScaledErrorTests
{
    [Fact]
    public void MaseDividesTheForecastErrorByTheInSampleSeasonalNaiveError()
    {
        float[] training = { 10, 20, 12, 22, 14, 24 };   // season 2: |12-10|, |22-20|, |14-12|, |24-22| → scale 2
        float[] actual = { 16, 26 };
        float[] forecast = { 15, 29 };                     // |1|, |3| → MAE 2
        Assert.Equal(1.0, ForecastMetrics.MeanAbsoluteScaledError(forecast, actual, training, season: 2), 12);
        // Season 1 uses lag 1: |10|,|8|,|10|,|8|,|10| → scale 9.2.
        Assert.Equal(2 / 9.2, ForecastMetrics.MeanAbsoluteScaledError(forecast, actual, training, season: 1), 12);
    }

    [Fact]
    public void SeasonalNaiveRepeatsTheLastSeason()
    {
        float[] history = { 1, 2, 3, 4, 5, 6, 7 };
        Assert.Equal(new float[] { 5, 6, 7, 5, 6 }, ForecastMetrics.SeasonalNaive(history, horizon: 5, season: 3));
        Assert.Equal(new float[] { 7, 7 }, ForecastMetrics.SeasonalNaive(history, horizon: 2, season: 1));
    }

    [Fact]
    public void AConstantTrainingPartOrTooShortAHistoryIsRefused()
    {
        Assert.Throws<ArgumentException>(() => ForecastMetrics.MeanAbsoluteScaledError(new float[] { 1 }, new float[] { 1 }, new float[] { 3, 3, 3 }, 1));
        Assert.Throws<ArgumentException>(() => ForecastMetrics.MeanAbsoluteScaledError(new float[] { 1 }, new float[] { 1 }, new float[] { 3, 4 }, 2));
        Assert.Throws<ArgumentException>(() => ForecastMetrics.SeasonalNaive(new float[] { 1, 2 }, 3, 4));
    }

    [Fact]
    public void IntervalCoverageAndScaledPinballLossMatchHandComputedValues()
    {
        float[] training = { 1, 2, 4, 7 }; // lag-1 steps 1, 2, 3: scale 2
        float[] actual = { 10, 20 };
        float[] lower = { 8, 21 }, point = { 10, 22 }, upper = { 12, 25 };

        // Step 0 is inside [8, 12]; step 1 (20) is below [21, 25].
        Assert.Equal(0.5, ForecastMetrics.IntervalCoverage(lower, upper, actual));
        // Quantiles 0.1, 0.5, 0.9. Step 0: 0.1·2 = 0.2, 0, 0.1·2 = 0.2. Step 1: 0.9·1 = 0.9, 0.5·2 = 1, 0.1·5 = 0.5.
        // Mean over 6 terms = 2.8 / 6; divided by the scale 2.
        Assert.Equal(2.8 / 6 / 2, ForecastMetrics.ScaledPinballLoss(lower, point, upper, actual, 0.8, training, season: 1), 12);
        Assert.Throws<ArgumentException>(() => ForecastMetrics.ScaledPinballLoss(lower, point, upper, actual, 1.0, training, 1));
        Assert.Throws<ArgumentException>(() => ForecastMetrics.IntervalCoverage(lower, upper, new float[] { 1 }));
    }
}
