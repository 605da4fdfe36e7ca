using Microsoft.ML;
using MlNetRnn.Trainers.Forecasting;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Forecasting;

/// <summary>A forecaster with the linear part (ridge + damped-trend smoothing): what the graph holds, and that the part was refitted on every window.</summary>
public sealed class ForecasterLinearPartTests
{
    [Theory]
    [InlineData(1, 3)]
    [InlineData(4, 6)] // seasonal, and a horizon longer than the season
    public void TheGraphBlendsTheNetworksWithThePartRefittedOnEveryWindow(int season, int horizon)
    {
        var ml = new MLContext(1);
        float[] series = TestData.AirPassengers();
        var options = ForecasterTestOptions.Small(epochs: 2);
        options.Season = season;
        options.Horizon = horizon;
        options.LinearShare = 0.4;
        using var blended = ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, series));
        options.LinearShare = 0;
        using var networksOnly = ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, series));
        // The fit's parity check compared ONNX Runtime with TorchSharp's networks blended with the C# part on held-out windows.
        Assert.True(blended.Parity!.Passed, $"max abs diff {blended.Parity.MaxAbsDiff}");

        var imported = OnnxModelImporter.Import(blended.GetOnnxModel());
        Assert.Equal(0.4f, imported.Forecasting!.LinearShare);
        Assert.Equal(season, imported.Forecasting.LinearSeason);
        Assert.Equal(0f, OnnxModelImporter.Import(networksOnly.GetOnnxModel()).Forecasting!.LinearShare);

        // The exported part is the fit of every window (scaled with the model's own scaler) for one of the grid's ridge penalties.
        int w = options.Window, h = options.Horizon;
        var scaler = blended.Scaler;
        int rows = series.Length - w - h + 1;
        var x = new float[rows * w];
        var y = new float[rows * h];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < w; i++)
                x[r * w + i] = scaler.Transform(series[r + i]);
            for (int k = 0; k < h; k++)
                y[r * h + k] = scaler.Transform(series[r + w + k]);
        }
        float[] exported = imported.Weights.Get("linear.weight", w, h).Data;
        var matching = LinearAutoregression.Penalties.Select(p => LinearPart.Fit(x, y, w, h, season, p))
            .Where(p => p.Weight.Zip(exported, (a, b) => Math.Abs(a - b)).Max() < 1e-5).ToArray();
        Assert.Single(matching);
        Assert.Equal(matching[0].Bias, imported.Weights.Get("linear.bias", h).Data);

        // Same seed, same networks: in scaled space the blended forecast is 0.6 x the networks' + 0.4 x the part's.
        float[] history = series[^w..];
        float[] withPart = blended.Forecast(history), without = networksOnly.Forecast(history);
        float[] linear = matching[0].Predict(history.Select(scaler.Transform).ToArray());
        for (int k = 0; k < h; k++)
            Assert.Equal(0.6 * scaler.Transform(without[k]) + 0.4 * linear[k], scaler.Transform(withPart[k]), 3);
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
        float[] series = Enumerable.Range(0, LinearAutoregression.MaxWindow + 40).Select(t => 10 + MathF.Sin(t * 0.3f)).ToArray();
        var options = new ForecasterOptions
        {
            SeriesColumnName = "Value", Cell = RecurrentCellKind.Lstm, HiddenSize = 2, Window = LinearAutoregression.MaxWindow + 1, Horizon = 2,
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
