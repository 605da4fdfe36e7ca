using Microsoft.ML;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Forecasting;

public sealed class BacktestTests
{
    [Fact]
    public void EachFoldTrainsOnItsPastOnlyAndForecastsTheHorizonAfterIt()
    {
        var ml = new MLContext(1);
        float[] series = TestData.AirPassengers();
        var options = ForecasterTestOptions.Small(epochs: 3);
        var result = ml.Rnn().Forecaster(options).Backtest(TestData.AsView(ml, series), folds: 3, step: 6, season: 12);

        Assert.Equal(3, result.Folds.Count);
        int horizon = options.Horizon;
        for (int k = 0; k < 3; k++)
        {
            var fold = result.Folds[k];
            int origin = series.Length - horizon - (2 - k) * 6;
            Assert.Equal(origin, fold.TrainingLength);
            Assert.Equal(series[origin..(origin + horizon)], fold.Actual);
            Assert.Equal(ForecastMetrics.MeanAbsoluteScaledError(fold.Forecast, fold.Actual, series[..origin], 12), fold.Mase, 12);
        }
        Assert.Equal(result.Folds.Average(f => f.Mase), result.MeanMase, 12);

        // The last fold is exactly a fit on the values before its origin: same seed, same data, the same forecast to the bit.
        // A fold that had seen any later value (its targets included) would have trained on other data and forecast differently.
        int last = series.Length - horizon;
        using var direct = ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, series[..last]));
        Assert.Equal(direct.Forecast(series[..last]), result.Folds[^1].Forecast);
    }

    [Fact]
    public void TooManyFoldsForTheSeriesNameTheLengths()
    {
        var ml = new MLContext(1);
        var options = ForecasterTestOptions.Small(epochs: 1);
        var ex = Assert.Throws<ArgumentException>(() => ml.Rnn().Forecaster(options).Backtest(TestData.AsView(ml, TestData.AirPassengers()), folds: 30, step: 12));
        Assert.Contains("with 30 fold(s) 12 apart and horizon 3, the oldest fold would train on 0", ex.Message);
        var windows = ForecasterTestOptions.Small(epochs: 1);
        windows.SeriesColumnName = null;
        Assert.Throws<ArgumentException>(() => ml.Rnn().Forecaster(windows).Backtest(TestData.AsView(ml, TestData.AirPassengers()), 2, 3));
    }
}
