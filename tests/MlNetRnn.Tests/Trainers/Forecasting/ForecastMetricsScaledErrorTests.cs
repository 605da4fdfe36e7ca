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
}
