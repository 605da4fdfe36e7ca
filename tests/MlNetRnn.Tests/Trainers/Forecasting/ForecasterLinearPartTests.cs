using Microsoft.ML;
using MlNetRnn.Trainers.Forecasting;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Forecasting;

/// <summary>A forecaster with the linear part (Holt-Winters smoothing over the window): what the graph holds, that the part was refitted on every window, and the networks reading only the window's recent values.</summary>
public sealed class ForecasterLinearPartTests
{
    /// <summary>The scaled windows <c>[rows, window]</c> and targets of a series, as the trainer forms them.</summary>
    private static (float[] X, float[] Y) ScaledWindows(float[] series, int w, int h, Func<float, float> scale)
    {
        int rows = series.Length - w - h + 1;
        var x = new float[rows * w];
        var y = new float[rows * h];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < w; i++)
                x[r * w + i] = scale(series[r + i]);
            for (int k = 0; k < h; k++)
                y[r * h + k] = scale(series[r + w + k]);
        }
        return (x, y);
    }

    [Theory]
    [InlineData(1, 3, 0)]
    [InlineData(4, 6, 0)] // seasonal, and a horizon longer than the season
    [InlineData(12, 12, 0)] // one season in the window: the smoothing's indices are its phase means
    [InlineData(12, 3, 12)] // the linear part reads 24 values, the networks the last 12
    public void TheGraphBlendsTheNetworksWithThePartRefittedOnEveryWindow(int season, int horizon, int networkWindow)
    {
        var ml = new MLContext(1);
        float[] series = TestData.AirPassengers();
        var options = ForecasterTestOptions.Small(epochs: 2);
        options.Season = season;
        options.Horizon = horizon;
        options.LinearShare = 0.4;
        if (networkWindow > 0)
        {
            options.Window = 2 * networkWindow;
            options.NetworkWindow = networkWindow;
        }
        using var blended = ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, series));
        // The same networks alone: trained on the same windows of their own length, from the same seed.
        options.LinearShare = 0;
        options.Window = options.NetworkWindowOrWindow;
        options.NetworkWindow = 0;
        using var networksOnly = ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, series));
        // The fit's parity check compared ONNX Runtime with TorchSharp's networks blended with the C# part on held-out windows.
        Assert.True(blended.Parity!.Passed, $"max abs diff {blended.Parity.MaxAbsDiff}");

        var imported = OnnxModelImporter.Import(blended.GetOnnxModel());
        Assert.Equal(0.4f, imported.Forecasting!.LinearShare);
        Assert.Equal(season, imported.Forecasting.LinearSeason);
        Assert.Equal(networkWindow, imported.Forecasting.NetworkWindow);
        Assert.Equal(networkWindow, blended.Options.NetworkWindow);
        Assert.Equal(0f, OnnxModelImporter.Import(networksOnly.GetOnnxModel()).Forecasting!.LinearShare);

        // The exported part is the smoothing fitted on every whole window (scaled with the model's own scaler).
        int w = blended.Window, h = horizon;
        var scaler = blended.Scaler;
        var (x, y) = ScaledWindows(series, w, h, scaler.Transform);
        var part = LinearPart.Fit(x, y, w, h, season);
        float[] exported = imported.Weights.Get("linear.weight", w, h).Data;
        Assert.True(part.Weight.Zip(exported, (a, b) => Math.Abs(a - b)).Max() < 1e-6);
        Assert.All(imported.Weights.Get("linear.bias", h).Data, b => Assert.Equal(0f, b));

        // Same seed, same networks: in scaled space the blended forecast is 0.6 x the networks' + 0.4 x the part's.
        float[] history = series[^w..];
        float[] withPart = blended.Forecast(history), without = networksOnly.Forecast(history);
        float[] linear = part.Predict(history.Select(scaler.Transform).ToArray());
        for (int k = 0; k < h; k++)
            Assert.Equal(0.6 * scaler.Transform(without[k]) + 0.4 * linear[k], scaler.Transform(withPart[k]), 3);
    }

    [Fact]
    public void ReadyMadeWindowsTrainTheNetworksOnTheirRecentValues()
    {
        var ml = new MLContext(1);
        float[] series = TestData.Nottem();
        var options = ForecasterTestOptions.Small(epochs: 2);
        options.SeriesColumnName = null;
        options.LogTransform = false;
        options.Window = 24;
        options.NetworkWindow = 12;
        options.Season = 12;
        var windows = ml.Rnn().CreateWindows(TestData.AsView(ml, series), "Value", 24, 3);
        using var model = ml.Rnn().Forecaster(options).Fit(windows);
        Assert.True(model.Parity!.Passed, $"max abs diff {model.Parity.MaxAbsDiff}");
        Assert.Equal(12, OnnxModelImporter.Import(model.GetOnnxModel()).Forecasting!.NetworkWindow);
        // The model scores the windows it was given (24 values each) and forecasts from the last 24 values of a history.
        Assert.True(ml.Rnn().EvaluateForecast(model.Transform(windows)).Mape < 100);
        Assert.Equal(3, model.Forecast(series).Length);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(13)]
    public void ANetworkWindowOutsideTheWindowIsRefusedByName(int networkWindow)
    {
        var options = ForecasterTestOptions.Small();
        options.NetworkWindow = networkWindow;
        var ex = Assert.ThrowsAny<ArgumentException>(() => new MLContext(1).Rnn().Forecaster(options));
        Assert.Contains("NetworkWindow", ex.Message);
    }

    [Fact]
    public void AWindowThatLeavesThePartTooFewWindowsIsRefusedWithTheSizes()
    {
        // 40 values, networks on 4 of them: 36 network windows, the last 4 for validation; the part's 37-value windows number only 3.
        var ml = new MLContext(1);
        float[] series = Enumerable.Range(0, 40).Select(t => 10 + MathF.Sin(t * 0.5f)).ToArray();
        var options = ForecasterTestOptions.Small(epochs: 1);
        options.Horizon = 1;
        options.Window = 37;
        options.NetworkWindow = 4;
        var ex = Assert.Throws<ArgumentException>(() => ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, series)));
        Assert.Contains("window (37)", ex.Message);
        Assert.Contains("3 whole windows", ex.Message);
        Assert.Contains("4 validation windows", ex.Message);
    }

    [Fact]
    public void MaxTrainingWindowsCountsWholeWindowsSoTheLinearPartKeepsThem()
    {
        // 200 values, at most 20 windows, the part reading 40 values and the networks 4: counted in the networks' windows the
        // series would be cut to 24 values, too short for one 40-value window; counted in whole windows it keeps 60.
        var ml = new MLContext(1);
        float[] series = Enumerable.Range(0, 200).Select(t => 10 + MathF.Sin(t * 0.5f)).ToArray();
        var options = ForecasterTestOptions.Small(epochs: 1);
        options.Horizon = 1;
        options.Window = 40;
        options.NetworkWindow = 4;
        options.MaxTrainingWindows = 20;
        using var model = ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, series));
        Assert.True(model.Parity!.Passed, $"max abs diff {model.Parity.MaxAbsDiff}");
        Assert.Equal(40, OnnxModelImporter.Import(model.GetOnnxModel()).Forecasting!.Window);
    }

    [Fact]
    public void ASeasonalReferenceLongerThanTheNetworksWindowIsRefused()
    {
        var options = ForecasterTestOptions.Small();
        options.Window = 24;
        options.NetworkWindow = 6;
        options.Season = 12;
        options.Reference = ForecastReference.SeasonalNaive;
        var ex = Assert.ThrowsAny<ArgumentException>(() => new MLContext(1).Rnn().Forecaster(options));
        Assert.Contains("Season", ex.Message);
        Assert.Contains("networks' window (6)", ex.Message);
    }

    [Fact]
    public void TheIntervalComesFromTheBlendsValidationResiduals()
    {
        // Without the refit the exported networks and part are the ones that forecast the validation windows, so the model itself
        // reproduces the out-of-sample forecasts the interval was built from.
        var ml = new MLContext(1);
        float[] series = TestData.AirPassengers();
        var options = ForecasterTestOptions.Small(epochs: 2);
        options.RefitOnAllWindows = false;
        options.LinearShare = 0.6;
        using var model = ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, series));
        int w = options.Window, h = options.Horizon;
        int count = series.Length - w - h + 1;
        var split = ForecastSplit.Compute(count, options.ValidationFraction, h);
        Assert.True(split.Validation > 0);
        var scaler = model.Scaler;
        var residuals = new List<float>();
        for (int r = split.ValidationStart; r < count; r++)
        {
            float[] forecast = model.Forecast(series[r..(r + w)]);
            for (int k = 0; k < h; k++)
                residuals.Add(scaler.Transform(series[r + w + k]) - scaler.Transform(forecast[k]));
        }
        var expected = ConformalInterval.FromResiduals(residuals.ToArray(), h, options.IntervalCoverage, options.IntervalWidening);
        var interval = OnnxModelImporter.Import(model.GetOnnxModel()).Forecasting!.Interval!;
        for (int k = 0; k < h; k++)
        {
            Assert.Equal(expected.Upper[k], interval.Upper[k], 3);
            Assert.Equal(expected.Lower[k], interval.Lower[k], 3);
        }
    }

    [Fact]
    public void AWindowOverTheLimitGetsNoLinearPart()
    {
        var ml = new MLContext(1);
        float[] series = Enumerable.Range(0, LinearPart.MaxWindow + 40).Select(t => 10 + MathF.Sin(t * 0.3f)).ToArray();
        var options = new ForecasterOptions
        {
            SeriesColumnName = "Value", Cell = RecurrentCellKind.Lstm, HiddenSize = 2, Window = LinearPart.MaxWindow + 1, Horizon = 2,
            Epochs = 1, BatchSize = 64, IntervalCoverage = 0, Seed = 1,
        };
        using var model = ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, series));
        Assert.Equal(0, model.Options.LinearShare);
        Assert.Equal(0f, OnnxModelImporter.Import(model.GetOnnxModel()).Forecasting!.LinearShare);
        Assert.True(model.Parity!.Passed);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-0.2)]
    [InlineData(0.99999999)] // below 1, but 1 as the float the graph stores
    public void AShareOutsideZeroToBelowOneIsRefusedByName(double share)
    {
        var options = ForecasterTestOptions.Small();
        options.LinearShare = share;
        var ex = Assert.ThrowsAny<ArgumentException>(() => new MLContext(1).Rnn().Forecaster(options));
        Assert.Contains("LinearShare", ex.Message);
    }
}
