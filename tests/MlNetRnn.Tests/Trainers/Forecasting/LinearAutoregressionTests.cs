using MlNetRnn.Trainers.Forecasting;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Forecasting;

/// <summary>
/// The forecaster's linear part against an independent computation: each ridge regression solved from the full design matrix (an
/// intercept column, unpenalised) by Gaussian elimination, and the two references applied row by row instead of folded into one matrix.
/// </summary>
public sealed class LinearAutoregressionTests
{
    private const int Window = 8, Horizon = 3, Season = 4;

    private static (float[] X, float[] Y) RandomWindows(int rows, int seed, int horizon = Horizon)
    {
        var random = new Random(seed);
        // A noisy seasonal random walk, cut into windows and the values that follow them.
        var series = new float[rows + Window + horizon];
        double level = 0;
        for (int t = 0; t < series.Length; t++)
        {
            level += 0.1 * (random.NextDouble() - 0.5);
            series[t] = (float)(level + Math.Sin(t * Math.PI / 2) + 0.3 * (random.NextDouble() - 0.5));
        }
        var x = new float[rows * Window];
        var y = new float[rows * horizon];
        for (int r = 0; r < rows; r++)
        {
            Array.Copy(series, r, x, r * Window, Window);
            Array.Copy(series, r + Window, y, r * horizon, horizon);
        }
        return (x, y);
    }

    // Solves (DᵀD + Λ) θ = Dᵀt for the design D = [centred window | 1], Λ = λ on the window columns and 0 on the intercept.
    private static double[] RidgeByElimination(double[][] design, double[] targets, double penalty)
    {
        int p = design[0].Length;
        var a = new double[p, p + 1];
        for (int i = 0; i < p; i++)
        {
            for (int j = 0; j < p; j++)
                a[i, j] = design.Sum(d => d[i] * d[j]) + (i == j && i < p - 1 ? penalty : 0);
            a[i, p] = design.Select((d, r) => d[i] * targets[r]).Sum();
        }
        for (int c = 0; c < p; c++)
        {
            int pivot = Enumerable.Range(c, p - c).MaxBy(r => Math.Abs(a[r, c]));
            for (int j = 0; j <= p; j++)
                (a[c, j], a[pivot, j]) = (a[pivot, j], a[c, j]);
            for (int r = 0; r < p; r++)
            {
                if (r == c)
                    continue;
                double f = a[r, c] / a[c, c];
                for (int j = c; j <= p; j++)
                    a[r, j] -= f * a[c, j];
            }
        }
        return Enumerable.Range(0, p).Select(i => a[i, p] / a[i, i]).ToArray();
    }

    [Theory]
    [InlineData(0.3, 3)]
    [InlineData(30, 3)]
    [InlineData(3, 6)] // a horizon longer than the season: the seasonal-naive reference wraps round
    public void ThePartIsTheMeanOfTwoRidgeRegressionsOnTheCentredWindow(double penalty, int horizon)
    {
        const int rows = 40;
        var (x, y) = RandomWindows(rows, 3, horizon);
        var part = LinearAutoregression.Fit(x, y, Window, horizon, Season, penalty);

        double[] Centred(int r)
        {
            double mean = Enumerable.Range(0, Window).Average(i => x[r * Window + i]);
            return Enumerable.Range(0, Window).Select(i => x[r * Window + i] - mean).Append(1.0).ToArray();
        }
        var design = Enumerable.Range(0, rows).Select(Centred).ToArray();
        double Level(int r) => Enumerable.Range(0, Window).Average(i => x[r * Window + i]);
        double Naive(int r, int k) => x[r * Window + Window - Season + k % Season];
        var (newX, _) = RandomWindows(5, 11, horizon);
        float[] predicted = part.Predict(newX);
        for (int k = 0; k < horizon; k++)
        {
            int step = k;
            var seasonal = RidgeByElimination(design, Enumerable.Range(0, rows).Select(r => y[r * horizon + step] - Naive(r, step)).ToArray(), penalty);
            var level = RidgeByElimination(design, Enumerable.Range(0, rows).Select(r => y[r * horizon + step] - Level(r)).ToArray(), penalty);
            for (int r = 0; r < 5; r++)
            {
                double mean = Enumerable.Range(0, Window).Average(i => newX[r * Window + i]);
                double[] d = Enumerable.Range(0, Window).Select(i => newX[r * Window + i] - mean).Append(1.0).ToArray();
                double seasonalForecast = newX[r * Window + Window - Season + k % Season] + d.Zip(seasonal, (a, b) => a * b).Sum();
                double levelForecast = mean + d.Zip(level, (a, b) => a * b).Sum();
                Assert.Equal((seasonalForecast + levelForecast) / 2, predicted[r * horizon + k], 4);
            }
        }
    }

    [Fact]
    public void APurelySeasonalSeriesIsForecastExactly()
    {
        // Every window repeats the season and every target continues it: both regressions fit exactly (a tiny penalty).
        float[] pattern = { 3f, -1f, 2f, 0.5f };
        const int rows = 20;
        var x = new float[rows * Window];
        var y = new float[rows * Horizon];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < Window; i++)
                x[r * Window + i] = pattern[(r + i) % Season];
            for (int k = 0; k < Horizon; k++)
                y[r * Horizon + k] = pattern[(r + Window + k) % Season];
        }
        var part = LinearAutoregression.Fit(x, y, Window, Horizon, Season, 1e-6);
        float[] forecast = part.Predict(x);
        for (int i = 0; i < y.Length; i++)
            Assert.Equal(y[i], forecast[i], 3);
    }

    [Fact]
    public void ThePenaltyIsTheOneWithTheLowestValidationError()
    {
        var (x, y) = RandomWindows(60, 5);
        int train = 45 * Window, trainY = 45 * Horizon;
        var (chosen, validationForecast) = LinearAutoregression.Choose(x.AsSpan(0, train), y.AsSpan(0, trainY), x.AsSpan(train), y.AsSpan(trainY), Window, Horizon, Season);
        double Error(double penalty) => LinearAutoregression.Fit(x.AsSpan(0, train), y.AsSpan(0, trainY), Window, Horizon, Season, penalty)
            .Predict(x.AsSpan(train)).Zip(y[trainY..], (f, a) => Math.Abs(f - a)).Sum();
        var errors = LinearAutoregression.Penalties.ToDictionary(p => p, Error);
        Assert.Equal(errors.MinBy(e => e.Value).Key, chosen.Penalty);
        Assert.Equal(chosen.Predict(x.AsSpan(train)), validationForecast);
        // The grid's ends differ on these windows, so the choice is a real one.
        Assert.NotEqual(errors[LinearAutoregression.Penalties[0]], errors[LinearAutoregression.Penalties[^1]], 3);
    }

    [Fact]
    public void BadArgumentsAreRefused()
    {
        var (x, y) = RandomWindows(10, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => LinearAutoregression.Fit(x, y, Window, Horizon, Window + 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => LinearAutoregression.Fit(x, y, Window, Horizon, Season, 0));
        Assert.Throws<ArgumentException>(() => LinearAutoregression.Fit(x.AsSpan(1), y, Window, Horizon, Season, 1));
    }
}
