using MlNetRnn.Trainers.Forecasting;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Forecasting;

/// <summary>Damped-trend smoothing over a window against hand-computed recursions, its matrix form, its fit, and the linear part it forms half of.</summary>
public sealed class DampedTrendSmoothingTests
{
    private static double[] Forecast(DampedTrendSmoothing method, double[] window, int horizon, int season)
    {
        var forecast = new double[horizon];
        method.Forecast(window, horizon, season, forecast);
        return forecast;
    }

    [Fact]
    public void WithoutATrendItIsSimpleExponentialSmoothing()
    {
        // l = 1; then 0.5·2 + 0.5·1 = 1.5; 0.5·3 + 0.5·1.5 = 2.25; 0.5·4 + 0.5·2.25 = 3.125, flat over the horizon.
        Assert.Equal(new[] { 3.125, 3.125, 3.125 }, Forecast(new DampedTrendSmoothing(0.5, 0, 0.9), new[] { 1.0, 2, 3, 4 }, 3, 1));
    }

    [Fact]
    public void TheTrendIsSmoothedAndDampedByHand()
    {
        // α = 1 (the level is the last value), β = 0.5, φ = 0.5 on [0, 1, 3]: t₀ = 1; t₁ = 0.5·1 + 0.5·0.5·1 = 0.75;
        // t₂ = 0.5·2 + 0.5·0.5·0.75 = 1.1875; forecasts 3 + 0.5·t₂ and 3 + 0.75·t₂.
        double[] forecast = Forecast(new DampedTrendSmoothing(1, 0.5, 0.5), new[] { 0.0, 1, 3 }, 2, 1);
        Assert.Equal(3.59375, forecast[0], 12);
        Assert.Equal(3.890625, forecast[1], 12);
    }

    [Fact]
    public void APurelySeasonalWindowContinuesItsPattern()
    {
        double[] pattern = { 3, -1, 2, 0.5 };
        // 10 values: two whole seasons after two leading values, which start the pattern at its third phase.
        double[] window = Enumerable.Range(0, 10).Select(i => pattern[(i + 2) % 4]).ToArray();
        double[] forecast = Forecast(new DampedTrendSmoothing(0.3, 0.1, 0.9), window, 6, 4);
        for (int k = 0; k < 6; k++)
            Assert.Equal(pattern[(10 + k + 2) % 4], forecast[k], 12);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void TheMatrixFormGivesTheSameForecasts(int season)
    {
        var random = new Random(season);
        double[] window = Enumerable.Range(0, 12).Select(_ => random.NextDouble() * 4 - 2).ToArray();
        var method = new DampedTrendSmoothing(0.3, 0.2, 0.9);
        double[] map = method.Map(12, 5, season);
        double[] expected = Forecast(method, window, 5, season);
        for (int k = 0; k < 5; k++)
            Assert.Equal(expected[k], Enumerable.Range(0, 12).Sum(i => window[i] * map[i * 5 + k]), 10);
    }

    [Fact]
    public void TheFitIsTheGridPointWithTheLowestAbsoluteError()
    {
        // A damped upward trend with noise, cut into windows of 8 and the 3 values after them.
        var random = new Random(2);
        double level = 0, slope = 0.3;
        float[] series = new float[60];
        for (int t = 0; t < series.Length; t++)
        {
            slope *= 0.97;
            level += slope;
            series[t] = (float)(level + 0.2 * (random.NextDouble() - 0.5));
        }
        const int window = 8, horizon = 3;
        int rows = series.Length - window - horizon + 1;
        float[] x = Enumerable.Range(0, rows).SelectMany(r => series.Skip(r).Take(window)).ToArray();
        float[] y = Enumerable.Range(0, rows).SelectMany(r => series.Skip(r + window).Take(horizon)).ToArray();
        double Error(DampedTrendSmoothing m) => Enumerable.Range(0, rows).Sum(r =>
            Forecast(m, x.Skip(r * window).Take(window).Select(v => (double)v).ToArray(), horizon, 1).Select((f, k) => Math.Abs(f - y[r * horizon + k])).Sum());
        var errors = DampedTrendSmoothing.Grid.Select(m => (m, e: Error(m))).ToArray();
        var fitted = DampedTrendSmoothing.Fit(x, y, window, horizon, 1);
        Assert.Equal(errors.MinBy(p => p.e).m, fitted);
        Assert.True(fitted.Beta > 0, "a trending series should keep a trend");
    }

    [Fact]
    public void TheLinearPartIsTheMeanOfTheRegressionAndTheSmoothing()
    {
        var random = new Random(9);
        const int window = 8, horizon = 2, season = 4, rows = 30;
        float[] series = Enumerable.Range(0, rows + window + horizon).Select(t => (float)(Math.Sin(t * Math.PI / 2) + 0.01 * t + 0.2 * random.NextDouble())).ToArray();
        float[] x = Enumerable.Range(0, rows).SelectMany(r => series.Skip(r).Take(window)).ToArray();
        float[] y = Enumerable.Range(0, rows).SelectMany(r => series.Skip(r + window).Take(horizon)).ToArray();
        var part = LinearPart.Fit(x, y, window, horizon, season, 3);
        float[] regression = part.Regression.Predict(x), combined = part.Predict(x);
        for (int r = 0; r < rows; r++)
        {
            double[] smoothing = Forecast(part.Smoothing, x.Skip(r * window).Take(window).Select(v => (double)v).ToArray(), horizon, season);
            for (int k = 0; k < horizon; k++)
                Assert.Equal((regression[r * horizon + k] + smoothing[k]) / 2, combined[r * horizon + k], 4);
        }
    }
}
