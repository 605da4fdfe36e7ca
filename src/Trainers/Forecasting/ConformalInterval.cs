namespace MlNetRnn.Trainers.Forecasting;

/// <summary>
/// Split-conformal prediction intervals: per horizon step, the rank-corrected <c>coverage</c> quantile of the absolute out-of-sample
/// residuals (actual − forecast, in scaled space), taken symmetrically around the point forecast.
/// </summary>
/// <remarks>
/// Symmetric bands on absolute residuals are the standard split-conformal construction: with a few dozen validation windows, two
/// separate tail quantiles would each rest on one or two residuals, and a validation period that happens to be biased one way would
/// leave the other side of the band empty.
/// </remarks>
internal static class ConformalInterval
{
    /// <param name="residuals">Residuals <c>[rows, horizon]</c>, row-major.</param>
    /// <param name="horizon">Steps per row.</param>
    /// <param name="coverage">Nominal coverage in (0, 1).</param>
    /// <param name="widening">Factor applied to the half-width (≥ 1).</param>
    /// <exception cref="ArgumentException">There are no rows.</exception>
    public static ForecastIntervalOffsets FromResiduals(ReadOnlySpan<float> residuals, int horizon, double coverage, double widening = 1)
    {
        int rows = residuals.Length / horizon;
        if (rows == 0)
            throw new ArgumentException("A prediction interval needs at least one residual per horizon step.");
        // Rank ceil((n + 1)·coverage) of n sorted absolute residuals bounds the next one with probability ≥ coverage (exchangeability);
        // with too few rows it falls off the end and the largest residual is the best available bound.
        int rank = Math.Min(rows, (int)Math.Ceiling((rows + 1) * coverage));
        var lower = new float[horizon];
        var upper = new float[horizon];
        var column = new float[rows];
        for (int h = 0; h < horizon; h++)
        {
            for (int r = 0; r < rows; r++)
                column[r] = Math.Abs(residuals[r * horizon + h]);
            Array.Sort(column);
            float halfWidth = (float)(widening * column[rank - 1]);
            lower[h] = -halfWidth;
            upper[h] = halfWidth;
        }
        return new ForecastIntervalOffsets(coverage, lower, upper);
    }
}
