namespace MlNetRnn.Trainers.Forecasting;

/// <summary>
/// Additive Holt-Winters exponential smoothing with a damped trend, run over one window at a time (in the scaled space, where a log
/// transform makes additive seasonality multiplicative). The window's start gives the initial state by a classical decomposition:
/// seasonal indices from the values minus their centred moving average, the trend as the change between the first two deseasonalised
/// season means per step and the level as the first season's mean carried back by it to the step before the window; the level, trend and seasonal indices are then updated in error-correction
/// form to the window's end, and the forecast adds the damped trend and the latest seasonal indices. For fixed parameters every step is
/// linear in the window, so the method is a linear map from the window to the forecast, which <see cref="Map"/> writes out as a matrix
/// for the ONNX graph.
/// </summary>
/// <param name="Alpha">Level smoothing, in (0, 1].</param>
/// <param name="Beta">Trend smoothing as a fraction of <paramref name="Alpha"/>, in [0, 1]; 0 keeps the initial trend.</param>
/// <param name="Phi">Trend damping per step, in (0, 1].</param>
/// <param name="Gamma">Seasonal smoothing as a fraction of <c>1 − Alpha</c>, in [0, 1]; 0 keeps the initial indices.</param>
internal sealed record HoltWintersSmoothing(double Alpha, double Beta, double Phi, double Gamma)
{
    private static readonly double[] Alphas = { 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0 };
    private static readonly double[] Betas = { 0.01, 0.05, 0.1, 0.2, 0.5 };
    private static readonly double[] Phis = { 0.8, 0.85, 0.9, 0.95, 0.98 };
    private static readonly double[] Gammas = { 0, 0.05, 0.1, 0.2, 0.3 };

    /// <summary>The parameter grid <see cref="Fit"/> searches for a seasonal window (1,125 settings); without a season it keeps <c>Gamma = 0</c> (225).</summary>
    public static IReadOnlyList<HoltWintersSmoothing> Grid(bool seasonal) =>
        (from a in Alphas
         from g in seasonal ? Gammas : new[] { 0.0 }
         from b in Betas
         from p in Phis
         select new HoltWintersSmoothing(a, b, p, g)).ToArray();

    /// <summary>Whether a window of <paramref name="window"/> values is long enough for seasonal indices of <paramref name="season"/> (one whole season).</summary>
    public static bool IsSeasonal(int window, int season) => season > 1 && window >= season;

    /// <summary>The forecast of the <paramref name="horizon"/> values after <paramref name="window"/>.</summary>
    /// <param name="window">The window's values.</param>
    /// <param name="horizon">Values to forecast.</param>
    /// <param name="season">Season (1: none); seasonal indices need a whole season in the window (<see cref="IsSeasonal"/>).</param>
    /// <param name="forecast">Receives the forecast, <paramref name="horizon"/> values.</param>
    public void Forecast(ReadOnlySpan<double> window, int horizon, int season, Span<double> forecast)
    {
        int w = window.Length;
        bool seasonal = IsSeasonal(w, season);
        int period = seasonal ? season : 1;
        Span<double> index = period <= 256 ? stackalloc double[period] : new double[period];
        var (level, trend) = InitialState(window, period, index);
        for (int i = 0; i < w; i++)
        {
            int j = i % period;
            double error = window[i] - (level + Phi * trend + index[j]);
            level += Phi * trend + Alpha * error;
            trend = Phi * trend + Alpha * Beta * error;
            index[j] += Gamma * (1 - Alpha) * error;
        }
        double damping = 0, power = 1;
        for (int k = 0; k < horizon; k++)
        {
            power *= Phi;
            damping += power;
            forecast[k] = level + damping * trend + index[(w + k) % period];
        }
    }

    /// <summary>
    /// The state one step before the window's first value: seasonal indices (written to <paramref name="index"/>, one per position modulo
    /// the period, mean zero) from the values minus their centred moving average (with fewer than two periods, the means of the
    /// window's last whole periods minus their overall mean), the trend as the change from the first deseasonalised
    /// period's mean to the second's per step (0 when the window is shorter than two periods), and the level as the first period's mean
    /// moved back to that step along the trend. With two seasons or more, a window that is exactly a line plus a seasonal pattern
    /// starts with no error (and, undamped, is continued exactly). With one to two seasons a trend cannot be told from the season:
    /// the start has no trend, and a trend in such a window shows up in the indices (the forecast then lags it like seasonal naive).
    /// </summary>
    private static (double Level, double Trend) InitialState(ReadOnlySpan<double> window, int period, Span<double> index)
    {
        int w = window.Length;
        index.Clear();
        if (period > 1 && w < 2 * period)
        {
            // Too short for a centred average at every phase: each phase's mean over the last whole periods.
            int periods = w / period, start = w - periods * period;
            double overall = 0;
            for (int i = start; i < w; i++)
            {
                index[i % period] += window[i] / periods;
                overall += window[i];
            }
            overall /= periods * period;
            for (int j = 0; j < period; j++)
                index[j] -= overall;
        }
        else if (period > 1)
        {
            // Centred moving average over one season (a 2×s average for an even season, so it stays centred).
            Span<int> counts = period <= 256 ? stackalloc int[period] : new int[period];
            counts.Clear();
            int half = period / 2;
            for (int i = half; i < w - half; i++)
            {
                double sum = 0;
                if (period % 2 == 0)
                {
                    sum = 0.5 * (window[i - half] + window[i + half]);
                    for (int m = i - half + 1; m < i + half; m++)
                        sum += window[m];
                }
                else
                {
                    for (int m = i - half; m <= i + half; m++)
                        sum += window[m];
                }
                index[i % period] += window[i] - sum / period;
                counts[i % period]++;
            }
            double mean = 0;
            for (int j = 0; j < period; j++)
            {
                index[j] /= counts[j];
                mean += index[j];
            }
            mean /= period;
            for (int j = 0; j < period; j++)
                index[j] -= mean;
        }
        int first = period > 1 ? period : Math.Min(4, Math.Max(1, w / 2));
        double firstMean = 0, secondMean = 0;
        for (int i = 0; i < first; i++)
            firstMean += window[i] - index[i % period];
        firstMean /= first;
        if (w < 2 * first)
            return (firstMean, 0);
        for (int i = first; i < 2 * first; i++)
            secondMean += window[i] - index[i % period];
        secondMean /= first;
        // The first period's mean sits at its middle step, (first − 1) / 2; the state is the level one step before the window.
        double trend = (secondMean - firstMean) / first;
        return (firstMean - trend * (first + 1) / 2, trend);
    }

    /// <summary>
    /// The grid's parameters with the lowest total squared error of the <paramref name="horizon"/>-step forecasts over the windows
    /// <paramref name="x"/> <c>[rows, window]</c> and their targets <paramref name="y"/> <c>[rows, horizon]</c> (the first on a tie):
    /// the method is judged as it will forecast, from each window alone.
    /// </summary>
    public static HoltWintersSmoothing Fit(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int window, int horizon, int season)
    {
        int rows = x.Length / window;
        var windows = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
            windows[i] = x[i];
        var forecast = new double[horizon];
        var grid = Grid(IsSeasonal(window, season));
        HoltWintersSmoothing best = grid[0];
        double bestError = double.PositiveInfinity;
        foreach (var candidate in grid)
        {
            double error = 0;
            for (int r = 0; r < rows && error < bestError; r++)
            {
                candidate.Forecast(windows.AsSpan(r * window, window), horizon, season, forecast);
                for (int k = 0; k < horizon; k++)
                {
                    double e = y[r * horizon + k] - forecast[k];
                    error += e * e;
                }
            }
            if (error < bestError)
                (best, bestError) = (candidate, error);
        }
        return best;
    }

    /// <summary>The method as a matrix <c>[window, horizon]</c> (row-major): forecast = window · matrix; row i is the forecast of the i-th unit window.</summary>
    public double[] Map(int window, int horizon, int season)
    {
        var map = new double[window * horizon];
        var unit = new double[window];
        var forecast = new double[horizon];
        for (int i = 0; i < window; i++)
        {
            Array.Clear(unit);
            unit[i] = 1;
            Forecast(unit, horizon, season, forecast);
            for (int k = 0; k < horizon; k++)
                map[i * horizon + k] = forecast[k];
        }
        return map;
    }
}
