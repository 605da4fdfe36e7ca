namespace MlNetRnn.Trainers.Forecasting;

/// <summary>
/// Exponential smoothing with a damped trend (Holt-Gardner), run over one window at a time: the window is deseasonalised by its own
/// seasonal means, the level and trend start from its first values and are smoothed to its end, and the forecast adds the damped
/// trend and the seasonal means back. For fixed smoothing parameters every step is linear in the window, so the method is an affine
/// (here purely linear) map from the window to the forecast, which <see cref="Map"/> writes out as a matrix for the ONNX graph.
/// </summary>
/// <param name="Alpha">Level smoothing, in (0, 1].</param>
/// <param name="Beta">Trend smoothing, in [0, 1); 0 keeps no trend (simple exponential smoothing).</param>
/// <param name="Phi">Trend damping per step, in (0, 1].</param>
internal sealed record DampedTrendSmoothing(double Alpha, double Beta, double Phi)
{
    /// <summary>The parameter grid <see cref="Fit"/> searches.</summary>
    public static readonly IReadOnlyList<DampedTrendSmoothing> Grid =
        (from a in new[] { 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0 }
         from b in new[] { 0.0, 0.05, 0.1, 0.2 }
         from p in new[] { 0.8, 0.9, 0.98 }
         select new DampedTrendSmoothing(a, b, p)).ToArray();

    /// <summary>The forecast of the <paramref name="horizon"/> values after <paramref name="window"/>.</summary>
    /// <param name="window">The window's values.</param>
    /// <param name="horizon">Values to forecast.</param>
    /// <param name="season">Season (1: none); the seasonal means need at least one whole season in the window.</param>
    /// <param name="forecast">Receives the forecast, <paramref name="horizon"/> values.</param>
    public void Forecast(ReadOnlySpan<double> window, int horizon, int season, Span<double> forecast)
    {
        int w = window.Length;
        bool seasonal = season > 1 && season <= w;
        Span<double> deseasonalised = w <= 1024 ? stackalloc double[w] : new double[w];
        double[]? index = null;
        int start = 0;
        if (seasonal)
        {
            // Seasonal means over the window's last whole seasons, relative to their overall mean.
            int seasons = w / season;
            start = w - seasons * season;
            double level = 0;
            for (int i = start; i < w; i++)
                level += window[i];
            level /= seasons * season;
            index = new double[season];
            for (int j = 0; j < season; j++)
            {
                double sum = 0;
                for (int m = 0; m < seasons; m++)
                    sum += window[start + j + season * m];
                index[j] = sum / seasons - level;
            }
            for (int i = 0; i < w; i++)
                deseasonalised[i] = window[i] - index[Mod(i - start, season)];
        }
        else
        {
            window.CopyTo(deseasonalised);
        }

        int lag = seasonal ? season : 1;
        double l = deseasonalised[0];
        double t = Beta > 0 && w > lag ? (deseasonalised[lag] - deseasonalised[0]) / lag : 0;
        for (int i = 1; i < w; i++)
        {
            double previous = l;
            l = Alpha * deseasonalised[i] + (1 - Alpha) * (l + Phi * t);
            t = Beta * (l - previous) + (1 - Beta) * Phi * t;
        }
        double damping = 0, power = 1;
        for (int k = 0; k < horizon; k++)
        {
            power *= Phi;
            damping += power;
            double value = l + (Beta > 0 ? damping * t : 0);
            if (index is not null)
                value += index[Mod(w + k - start, season)];
            forecast[k] = value;
        }
    }

    /// <summary>
    /// The grid's parameters with the lowest total absolute error of the <paramref name="horizon"/>-step forecasts over the windows
    /// <paramref name="x"/> <c>[rows, window]</c> and their targets <paramref name="y"/> <c>[rows, horizon]</c> (the first on a tie).
    /// </summary>
    public static DampedTrendSmoothing Fit(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int window, int horizon, int season)
    {
        int rows = x.Length / window;
        var windows = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
            windows[i] = x[i];
        var forecast = new double[horizon];
        DampedTrendSmoothing best = Grid[0];
        double bestError = double.PositiveInfinity;
        foreach (var candidate in Grid)
        {
            double error = 0;
            for (int r = 0; r < rows && error < bestError; r++)
            {
                candidate.Forecast(windows.AsSpan(r * window, window), horizon, season, forecast);
                for (int k = 0; k < horizon; k++)
                    error += Math.Abs(y[r * horizon + k] - forecast[k]);
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

    private static int Mod(int a, int m) => ((a % m) + m) % m;
}
