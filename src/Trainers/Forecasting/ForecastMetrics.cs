namespace MlNetRnn.Trainers.Forecasting;

/// <summary>Accuracy of forecasts against actual values, over every window and horizon step.</summary>
public sealed class ForecastMetrics
{
    /// <summary>Creates metrics.</summary>
    public ForecastMetrics(double mape, double rmse, double mae, double smape, IReadOnlyList<double> mapePerStep, long count)
    {
        Mape = mape;
        Rmse = rmse;
        Mae = mae;
        Smape = smape;
        MapePerStep = mapePerStep;
        Count = count;
    }

    /// <summary>Mean absolute percentage error, in percent (actual values of zero are skipped).</summary>
    public double Mape { get; }

    /// <summary>Root mean squared error, in original units.</summary>
    public double Rmse { get; }

    /// <summary>Mean absolute error, in original units.</summary>
    public double Mae { get; }

    /// <summary>Symmetric MAPE, in percent: mean of 200·|f − a| / (|f| + |a|).</summary>
    public double Smape { get; }

    /// <summary>MAPE (percent) for each horizon step 1..H.</summary>
    public IReadOnlyList<double> MapePerStep { get; }

    /// <summary>Number of (forecast, actual) pairs compared.</summary>
    public long Count { get; }

    /// <summary>Computes metrics from flat, aligned forecast and actual arrays of <paramref name="horizon"/> values per row.</summary>
    /// <exception cref="ArgumentException">Lengths differ, are not a multiple of the horizon, or are empty.</exception>
    public static ForecastMetrics Compute(ReadOnlySpan<float> forecast, ReadOnlySpan<float> actual, int horizon = 1)
    {
        if (forecast.Length != actual.Length)
            throw new ArgumentException($"Forecast has {forecast.Length} values but actual has {actual.Length}.");
        if (horizon < 1 || forecast.Length == 0 || forecast.Length % horizon != 0)
            throw new ArgumentException($"Need a non-empty series of whole rows of {horizon} values; got {forecast.Length}.");
        double se = 0, ae = 0, ape = 0, sape = 0;
        long apeCount = 0, sapeCount = 0;
        var stepApe = new double[horizon];
        var stepCount = new long[horizon];
        for (int i = 0; i < forecast.Length; i++)
        {
            double f = forecast[i], a = actual[i], e = f - a;
            se += e * e;
            ae += Math.Abs(e);
            if (a != 0)
            {
                double p = Math.Abs(e / a) * 100;
                ape += p;
                apeCount++;
                stepApe[i % horizon] += p;
                stepCount[i % horizon]++;
            }
            double denominator = Math.Abs(f) + Math.Abs(a);
            if (denominator > 0)
            {
                sape += 200 * Math.Abs(e) / denominator;
                sapeCount++;
            }
        }
        int n = forecast.Length;
        return new ForecastMetrics(
            apeCount > 0 ? ape / apeCount : double.NaN,
            Math.Sqrt(se / n),
            ae / n,
            sapeCount > 0 ? sape / sapeCount : 0,
            stepApe.Select((s, j) => stepCount[j] > 0 ? s / stepCount[j] : double.NaN).ToArray(),
            n);
    }

    /// <summary>
    /// Mean absolute scaled error (Hyndman &amp; Koehler, 2006): the mean absolute error of <paramref name="forecast"/> against
    /// <paramref name="actual"/> divided by the mean absolute error of the in-sample seasonal-naive step on <paramref name="training"/>,
    /// mean |y[t] − y[t − season]| (lag 1 when <paramref name="season"/> is 1). Below 1 beats that step.
    /// </summary>
    /// <exception cref="ArgumentException">Lengths differ, or the training part is not longer than the season, or it is constant.</exception>
    public static double MeanAbsoluteScaledError(ReadOnlySpan<float> forecast, ReadOnlySpan<float> actual, ReadOnlySpan<float> training, int season)
    {
        if (forecast.Length != actual.Length || forecast.Length == 0)
            throw new ArgumentException($"Forecast has {forecast.Length} values and actual {actual.Length}; they must be equal and non-empty.");
        if (season < 1 || training.Length <= season)
            throw new ArgumentException($"The training part has {training.Length} values; the seasonal-naive scale needs more than the season ({season}).");
        double scale = 0;
        for (int t = season; t < training.Length; t++)
            scale += Math.Abs((double)training[t] - training[t - season]);
        scale /= training.Length - season;
        if (scale == 0)
            throw new ArgumentException("The training part repeats itself exactly every season: the seasonal-naive step has no error to scale by.");
        double error = 0;
        for (int i = 0; i < forecast.Length; i++)
            error += Math.Abs((double)forecast[i] - actual[i]);
        return error / forecast.Length / scale;
    }

    /// <summary>The seasonal-naive forecast: each of the next <paramref name="horizon"/> values repeats the value one season earlier.</summary>
    /// <exception cref="ArgumentException">The history is shorter than the season.</exception>
    public static float[] SeasonalNaive(ReadOnlySpan<float> history, int horizon, int season)
    {
        if (season < 1 || history.Length < season)
            throw new ArgumentException($"A seasonal-naive forecast with season {season} needs at least {season} past values; got {history.Length}.");
        var forecast = new float[horizon];
        for (int h = 0; h < horizon; h++)
            forecast[h] = history[history.Length - season + h % season];
        return forecast;
    }
}
