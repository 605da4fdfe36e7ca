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

    /// <summary>Fraction of <paramref name="actual"/> values inside [<paramref name="lower"/>, <paramref name="upper"/>] (bounds included).</summary>
    /// <exception cref="ArgumentException">Lengths differ or are zero.</exception>
    public static double IntervalCoverage(ReadOnlySpan<float> lower, ReadOnlySpan<float> upper, ReadOnlySpan<float> actual)
    {
        if (lower.Length != actual.Length || upper.Length != actual.Length || actual.Length == 0)
            throw new ArgumentException($"Lower ({lower.Length}), upper ({upper.Length}) and actual ({actual.Length}) must have the same, non-zero length.");
        int inside = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            if (actual[i] >= lower[i] && actual[i] <= upper[i])
                inside++;
        }
        return (double)inside / actual.Length;
    }

    /// <summary>
    /// Scaled pinball loss of a central interval and its point forecast: the mean, over steps and the three quantiles
    /// <c>(1 − coverage)/2</c> (lower), 0.5 (point) and <c>(1 + coverage)/2</c> (upper), of the pinball loss
    /// <c>max(q·(y − f), (q − 1)·(y − f))</c>, divided by the same seasonal-naive scale as <see cref="MeanAbsoluteScaledError"/>.
    /// Lower is better; for the point alone it is half the MASE.
    /// </summary>
    /// <exception cref="ArgumentException">Lengths differ, the coverage is outside (0, 1), or the training part cannot give a scale.</exception>
    public static double ScaledPinballLoss(ReadOnlySpan<float> lower, ReadOnlySpan<float> point, ReadOnlySpan<float> upper, ReadOnlySpan<float> actual,
        double coverage, ReadOnlySpan<float> training, int season)
    {
        if (!(coverage > 0 && coverage < 1))
            throw new ArgumentException($"Coverage must be in (0, 1); got {coverage}.");
        if (lower.Length != actual.Length || upper.Length != actual.Length || point.Length != actual.Length || actual.Length == 0)
            throw new ArgumentException($"Lower, point, upper and actual must have the same, non-zero length; got {lower.Length}, {point.Length}, {upper.Length}, {actual.Length}.");
        // MASE of a perfect forecast is 0 and of the seasonal-naive step is 1, so the MASE of a unit error gives the scale.
        double scale = 1 / MeanAbsoluteScaledError(new float[] { 1f }, new float[] { 0f }, training, season);
        double q = (1 - coverage) / 2;
        static double Pinball(double quantile, double actual, double forecast) =>
            Math.Max(quantile * (actual - forecast), (quantile - 1) * (actual - forecast));
        double sum = 0;
        for (int i = 0; i < actual.Length; i++)
            sum += Pinball(q, actual[i], lower[i]) + Pinball(0.5, actual[i], point[i]) + Pinball(1 - q, actual[i], upper[i]);
        return sum / (3 * actual.Length) / scale;
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
