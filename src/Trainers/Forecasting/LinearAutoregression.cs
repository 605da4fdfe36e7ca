namespace MlNetRnn.Trainers.Forecasting;

/// <summary>
/// One half of the forecaster's linear part (<see cref="LinearPart"/>): a direct multi-horizon autoregression on the scaled window, fitted in closed form (ridge least
/// squares). Two fits are averaged, mirroring the networks' two references: one forecasts the difference from the seasonal-naive
/// forecast read off the window, the other the difference from the window's mean; both read the window minus its mean. Every piece
/// (the references, the centring, the regressions) is linear in the window, so the whole part is one affine map
/// <c>forecast = x · Weight + Bias</c> from the scaled window <c>x [Window]</c> to the scaled forecast <c>[Horizon]</c>: one <c>Gemm</c>
/// in the ONNX graph.
/// </summary>
internal sealed class LinearAutoregression
{
    /// <summary>The ridge penalties <see cref="Choose"/> compares on the validation windows (per window value, in scaled units squared).</summary>
    public static readonly double[] Penalties = { 0.3, 1, 3, 10, 30, 100, 300, 1000 };

    /// <summary>The penalty used when there are no validation windows to choose one on (the middle of <see cref="Penalties"/>).</summary>
    public const double DefaultPenalty = 10;

    /// <summary>The longest window the part is fitted for: its normal equations grow with the window's square.</summary>
    public const int MaxWindow = 1000;

    private LinearAutoregression(int window, int horizon, float[] weight, float[] bias, double penalty)
    {
        Window = window;
        Horizon = horizon;
        Weight = weight;
        Bias = bias;
        Penalty = penalty;
    }

    /// <summary>Values per window.</summary>
    public int Window { get; }

    /// <summary>Values forecast per window.</summary>
    public int Horizon { get; }

    /// <summary>The map's matrix, <c>[Window, Horizon]</c> row-major.</summary>
    public float[] Weight { get; }

    /// <summary>The map's offset, <c>[Horizon]</c>.</summary>
    public float[] Bias { get; }

    /// <summary>The ridge penalty the fit used.</summary>
    public double Penalty { get; }

    /// <summary>
    /// Fits the part on scaled windows <paramref name="x"/> <c>[rows, window]</c> and their scaled targets <paramref name="y"/>
    /// <c>[rows, horizon]</c> with ridge penalty <paramref name="penalty"/> (the intercepts are not penalised).
    /// </summary>
    /// <param name="x">Scaled windows, <c>[rows, window]</c>.</param>
    /// <param name="y">Their scaled targets, <c>[rows, horizon]</c>.</param>
    /// <param name="window">Values per window.</param>
    /// <param name="horizon">Values forecast per window.</param>
    /// <param name="season">Season of the seasonal-naive reference, 1 to the window (1: the last value).</param>
    /// <param name="penalty">Ridge penalty (&gt; 0).</param>
    public static LinearAutoregression Fit(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int window, int horizon, int season, double penalty)
    {
        if (!(penalty > 0))
            throw new ArgumentOutOfRangeException(nameof(penalty), penalty, "The ridge penalty must be positive.");
        if (season < 1 || season > window)
            throw new ArgumentOutOfRangeException(nameof(season), season, $"The seasonal-naive reference needs a season between 1 and the window ({window}).");
        int rows = x.Length / window;
        if (rows < 1 || x.Length != rows * window || y.Length != rows * horizon)
            throw new ArgumentException($"Expected rows x {window} window values and rows x {horizon} targets; got {x.Length} and {y.Length}.");

        // Features: each window minus its own mean. Targets: the values minus each reference.
        var features = new double[rows * window];
        var seasonalTargets = new double[rows * horizon];
        var levelTargets = new double[rows * horizon];
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * window, window);
            double level = 0;
            foreach (float v in row)
                level += v;
            level /= window;
            for (int i = 0; i < window; i++)
                features[r * window + i] = row[i] - level;
            for (int k = 0; k < horizon; k++)
            {
                double target = y[r * horizon + k];
                seasonalTargets[r * horizon + k] = target - row[window - season + k % season];
                levelTargets[r * horizon + k] = target - level;
            }
        }
        var seasonal = Ridge(features, seasonalTargets, rows, window, horizon, penalty);
        var level2 = Ridge(features, levelTargets, rows, window, horizon, penalty);

        // forecast = ½ (naive(x) + Pβs + bs) + ½ (mean(x) + Pβl + bl), with P the centring: (Pβ)[i, k] = β[i, k] − mean_i β[·, k].
        var weight = new float[window * horizon];
        var bias = new float[horizon];
        for (int k = 0; k < horizon; k++)
        {
            double columnMean = 0;
            for (int i = 0; i < window; i++)
                columnMean += seasonal.Beta[i * horizon + k] + level2.Beta[i * horizon + k];
            columnMean /= window;
            for (int i = 0; i < window; i++)
            {
                double w = seasonal.Beta[i * horizon + k] + level2.Beta[i * horizon + k] - columnMean + 1.0 / window;
                if (i == window - season + k % season)
                    w += 1;
                weight[i * horizon + k] = (float)(w / 2);
            }
            bias[k] = (float)((seasonal.Intercept[k] + level2.Intercept[k]) / 2);
        }
        return new LinearAutoregression(window, horizon, weight, bias, penalty);
    }

    /// <summary>
    /// Chooses the penalty of <see cref="Penalties"/> whose fit on the training windows has the lowest mean absolute error on the
    /// validation windows (the smaller penalty on a tie), and returns that fit and its validation forecasts.
    /// </summary>
    public static (LinearAutoregression Part, float[] ValidationForecast) Choose(
        ReadOnlySpan<float> trainX, ReadOnlySpan<float> trainY, ReadOnlySpan<float> validationX, ReadOnlySpan<float> validationY,
        int window, int horizon, int season)
    {
        LinearAutoregression? best = null;
        float[]? bestForecast = null;
        double bestError = double.PositiveInfinity;
        foreach (double penalty in Penalties)
        {
            var part = Fit(trainX, trainY, window, horizon, season, penalty);
            var forecast = part.Predict(validationX);
            double error = 0;
            for (int i = 0; i < forecast.Length; i++)
                error += Math.Abs(validationY[i] - forecast[i]);
            if (error < bestError)
                (best, bestForecast, bestError) = (part, forecast, error);
        }
        return (best!, bestForecast!);
    }

    /// <summary>The regression's scaled forecasts <c>[rows, Horizon]</c> for scaled windows <c>[rows, Window]</c>.</summary>
    public float[] Predict(ReadOnlySpan<float> x) => LinearPart.Apply(Weight, Bias, x, Window, Horizon);

    // Ridge regression with an unpenalised intercept: centre features and targets over the rows, solve (XᵀX + λI) β = XᵀY by Cholesky.
    private static (double[] Beta, double[] Intercept) Ridge(double[] features, double[] targets, int rows, int p, int outputs, double penalty)
    {
        var featureMean = new double[p];
        var targetMean = new double[outputs];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < p; i++)
                featureMean[i] += features[r * p + i] / rows;
            for (int k = 0; k < outputs; k++)
                targetMean[k] += targets[r * outputs + k] / rows;
        }
        var gram = new double[p * p];
        var cross = new double[p * outputs];
        var xr = new double[p];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < p; i++)
                xr[i] = features[r * p + i] - featureMean[i];
            for (int i = 0; i < p; i++)
            {
                for (int j = 0; j <= i; j++)
                    gram[i * p + j] += xr[i] * xr[j];
                for (int k = 0; k < outputs; k++)
                    cross[i * outputs + k] += xr[i] * (targets[r * outputs + k] - targetMean[k]);
            }
        }
        for (int i = 0; i < p; i++)
            gram[i * p + i] += penalty;
        CholeskyInPlace(gram, p);
        var beta = new double[p * outputs];
        var column = new double[p];
        for (int k = 0; k < outputs; k++)
        {
            for (int i = 0; i < p; i++)
                column[i] = cross[i * outputs + k];
            CholeskySolve(gram, p, column);
            for (int i = 0; i < p; i++)
                beta[i * outputs + k] = column[i];
        }
        var intercept = new double[outputs];
        for (int k = 0; k < outputs; k++)
        {
            double s = targetMean[k];
            for (int i = 0; i < p; i++)
                s -= featureMean[i] * beta[i * outputs + k];
            intercept[k] = s;
        }
        return (beta, intercept);
    }

    // Lower-triangular L with A = L Lᵀ, written over A's lower triangle (A is symmetric positive definite: a Gram matrix plus λI, λ > 0).
    private static void CholeskyInPlace(double[] a, int n)
    {
        for (int j = 0; j < n; j++)
        {
            double d = a[j * n + j];
            for (int k = 0; k < j; k++)
                d -= a[j * n + k] * a[j * n + k];
            d = Math.Sqrt(d);
            a[j * n + j] = d;
            for (int i = j + 1; i < n; i++)
            {
                double s = a[i * n + j];
                for (int k = 0; k < j; k++)
                    s -= a[i * n + k] * a[j * n + k];
                a[i * n + j] = s / d;
            }
        }
    }

    private static void CholeskySolve(double[] l, int n, double[] b)
    {
        for (int i = 0; i < n; i++)
        {
            double s = b[i];
            for (int k = 0; k < i; k++)
                s -= l[i * n + k] * b[k];
            b[i] = s / l[i * n + i];
        }
        for (int i = n - 1; i >= 0; i--)
        {
            double s = b[i];
            for (int k = i + 1; k < n; k++)
                s -= l[k * n + i] * b[k];
            b[i] = s / l[i * n + i];
        }
    }
}
