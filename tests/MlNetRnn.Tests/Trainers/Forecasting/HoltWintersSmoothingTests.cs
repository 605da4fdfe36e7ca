using MlNetRnn.Trainers.Forecasting;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Forecasting;

/// <summary>Holt-Winters smoothing over a window against a hand-computed recursion and exact seasonal data, its matrix form and its fit.</summary>
public sealed class HoltWintersSmoothingTests
{
    private static double[] Forecast(HoltWintersSmoothing method, double[] window, int horizon, int season)
    {
        var forecast = new double[horizon];
        method.Forecast(window, horizon, season, forecast);
        return forecast;
    }

    [Fact]
    public void TheDampedTrendRecursionMatchesAHandComputation()
    {
        // [1, 2, 3, 4] without a season: first block of 2 values, means 1.5 and 3.5, trend 1, level 1.5 − 1.5·1 = 0 at step −1.
        // α = 0.5, β = 0.2 (trend gain αβ = 0.1), φ = 0.9:
        // step 0: f = 0.9, e = 0.1, l = 0.95, t = 0.91; step 1: f = 1.769, e = 0.231, l = 1.8845, t = 0.8421;
        // step 2: f = 2.64239, e = 0.35761, l = 2.821195, t = 0.793651; step 3: f = 3.5354809, e = 0.4645191, l = 3.76774045, t = 0.76073781;
        // forecasts l + 0.9·t and l + 1.71·t.
        double[] forecast = Forecast(new HoltWintersSmoothing(0.5, 0.2, 0.9, 0), new[] { 1.0, 2, 3, 4 }, 2, 1);
        Assert.Equal(4.452404479, forecast[0], 9);
        Assert.Equal(5.0686021051, forecast[1], 9);
    }

    [Theory]
    [InlineData(4, 8)]
    [InlineData(4, 11)]
    [InlineData(12, 24)]
    [InlineData(12, 30)]
    [InlineData(3, 7)]
    [InlineData(5, 13)]
    public void ALinePlusASeasonalPatternIsContinuedExactly(int season, int window)
    {
        // The centred moving average of a line plus a zero-mean pattern is the line, so the initial state is exact, every
        // one-step error is zero and the undamped forecast continues line and pattern, whatever the smoothing.
        var random = new Random(season * 100 + window);
        double[] pattern = Enumerable.Range(0, season).Select(_ => random.NextDouble() * 4 - 2).ToArray();
        double mean = pattern.Average();
        for (int j = 0; j < season; j++)
            pattern[j] -= mean;
        const double intercept = 3, slope = -0.4;
        int phase = random.Next(season);
        double Value(int t) => intercept + slope * t + pattern[(t + phase) % season];
        double[] values = Enumerable.Range(0, window).Select(Value).ToArray();
        double[] forecast = Forecast(new HoltWintersSmoothing(0.3, 0.5, 1, 0.2), values, 2 * season + 1, season);
        for (int k = 0; k < forecast.Length; k++)
            Assert.Equal(Value(window + k), forecast[k], 10);
    }

    [Theory]
    [InlineData(4, 4)]
    [InlineData(4, 7)]
    [InlineData(12, 15)]
    public void AWindowOfOneToTwoSeasonsKeepsThePatternFromItsPhaseMeans(int season, int window)
    {
        // Shorter than two seasons: the indices are the last whole seasons' phase means, the trend starts at 0; a level plus a
        // zero-mean pattern then has no one-step error and is continued exactly, even with a trend allowed.
        var random = new Random(season + window);
        double[] pattern = Enumerable.Range(0, season).Select(_ => random.NextDouble() * 4 - 2).ToArray();
        double mean = pattern.Average();
        double Value(int t) => 5 + pattern[(t + 1) % season] - mean;
        double[] values = Enumerable.Range(0, window).Select(Value).ToArray();
        Assert.True(HoltWintersSmoothing.IsSeasonal(window, season));
        double[] forecast = Forecast(new HoltWintersSmoothing(0.3, 0.5, 0.9, 0.2), values, season + 2, season);
        for (int k = 0; k < forecast.Length; k++)
            Assert.Equal(Value(window + k), forecast[k], 10);
    }

    [Fact]
    public void AWindowShorterThanASeasonIsSmoothedWithoutOne()
    {
        double[] window = { 1, 5, 2, 6, 3, 7, 4 };
        Assert.False(HoltWintersSmoothing.IsSeasonal(window.Length, 12));
        var method = new HoltWintersSmoothing(0.3, 0.1, 0.9, 0.2);
        Assert.Equal(Forecast(method, window, 3, 1), Forecast(method, window, 3, 12));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(12)]
    public void TheMatrixFormGivesTheSameForecasts(int season)
    {
        var random = new Random(season);
        int window = Math.Max(12, 2 * season) + 1;
        double[] values = Enumerable.Range(0, window).Select(_ => random.NextDouble() * 4 - 2).ToArray();
        var method = new HoltWintersSmoothing(0.3, 0.2, 0.9, 0.1);
        double[] map = method.Map(window, 5, season);
        double[] expected = Forecast(method, values, 5, season);
        for (int k = 0; k < 5; k++)
            Assert.Equal(expected[k], Enumerable.Range(0, window).Sum(i => values[i] * map[i * 5 + k]), 10);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void TheFitIsTheGridPointWithTheLowestSquaredError(int season)
    {
        // A damped upward trend (and a pattern when seasonal) with noise, cut into windows of 12 and the 3 values after them.
        var random = new Random(2);
        double level = 0, slope = 0.3;
        float[] series = new float[70];
        for (int t = 0; t < series.Length; t++)
        {
            slope *= 0.97;
            level += slope;
            series[t] = (float)(level + (season > 1 ? Math.Sin(t * Math.PI / 2) : 0) + 0.2 * (random.NextDouble() - 0.5));
        }
        const int window = 12, horizon = 3;
        int rows = series.Length - window - horizon + 1;
        float[] x = Enumerable.Range(0, rows).SelectMany(r => series.Skip(r).Take(window)).ToArray();
        float[] y = Enumerable.Range(0, rows).SelectMany(r => series.Skip(r + window).Take(horizon)).ToArray();
        double Error(HoltWintersSmoothing m) => Enumerable.Range(0, rows).Sum(r =>
            Forecast(m, x.Skip(r * window).Take(window).Select(v => (double)v).ToArray(), horizon, season).Select((f, k) => Math.Pow(f - y[r * horizon + k], 2)).Sum());
        var grid = HoltWintersSmoothing.Grid(season > 1);
        Assert.Equal(season > 1 ? 1125 : 225, grid.Count);
        var fitted = HoltWintersSmoothing.Fit(x, y, window, horizon, season);
        Assert.Equal(grid.MinBy(Error), fitted);
    }
}
