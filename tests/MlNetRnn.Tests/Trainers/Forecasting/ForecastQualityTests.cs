using Microsoft.ML;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Forecasting;

/// <summary>
/// The library's defaults, with only the series column, the 12-month horizon and the log transform (the documented choice for
/// multiplicative seasonality) set, beat seasonal naive on AirPassengers 1960.
/// </summary>
public sealed class ForecastQualityTests
{
    [Fact]
    public void LibraryDefaultsWithLogTransformBeatSeasonalNaiveOnTheAirPassengersHoldOut()
    {
        var ml = new MLContext(1);
        var series = TestData.AirPassengers();
        float[] train = series[..^12];
        float[] actual = series[^12..];
        float[] seasonalNaive = train[^12..];

        using var model = ml.Rnn().Forecaster(new ForecasterOptions { SeriesColumnName = "Value", Horizon = 12, LogTransform = true, Seed = 1 })
            .Fit(TestData.AsView(ml, train));
        var forecast = ForecastMetrics.Compute(model.Forecast(train), actual, 12);
        var naive = ForecastMetrics.Compute(seasonalNaive, actual, 12);

        Assert.Equal(9.99, naive.Mape, 2); // the published seasonal-naive figure for this hold-out
        Assert.True(forecast.Mape < naive.Mape, $"MAPE {forecast.Mape:F2}% vs seasonal naive {naive.Mape:F2}%");
    }
}
