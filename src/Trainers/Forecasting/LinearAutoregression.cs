using TorchSharp;

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
    /// <summary>The ridge penalties <see cref="Choose"/> compares on the validation windows (added to the Gram matrix of the centred windows, in scaled units squared; not divided by the number of windows).</summary>
    public static readonly double[] Penalties = { 0.3, 1, 3, 10, 30, 100, 300, 1000 };

    /// <summary>The penalty used when there are no validation windows to choose one on (a moderate value from <see cref="Penalties"/>).</summary>
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
        return Solve(NormalEquations.Build(x, y, window, horizon, season), penalty);
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
        // The normal equations do not depend on the penalty: built once, solved once per penalty.
        var equations = NormalEquations.Build(trainX, trainY, window, horizon, season);
        foreach (double penalty in Penalties)
        {
            var part = Solve(equations, penalty);
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

    // forecast = ½ (naive(x) + Pβs + bs) + ½ (mean(x) + Pβl + bl), with P the centring: (Pβ)[i, k] = β[i, k] − mean_i β[·, k].
    private static LinearAutoregression Solve(NormalEquations e, double penalty)
    {
        int window = e.Window, horizon = e.Horizon, season = e.Season;
        var (beta, intercept) = e.Solve(penalty);
        var weight = new float[window * horizon];
        var bias = new float[horizon];
        for (int k = 0; k < horizon; k++)
        {
            // Columns k (seasonal-naive reference) and horizon + k (the window's mean) of the joint solution.
            double columnMean = 0;
            for (int i = 0; i < window; i++)
                columnMean += beta[i * 2 * horizon + k] + beta[i * 2 * horizon + horizon + k];
            columnMean /= window;
            for (int i = 0; i < window; i++)
            {
                double w = beta[i * 2 * horizon + k] + beta[i * 2 * horizon + horizon + k] - columnMean + 1.0 / window;
                if (i == window - season + k % season)
                    w += 1;
                weight[i * horizon + k] = (float)(w / 2);
            }
            bias[k] = (float)((intercept[k] + intercept[horizon + k]) / 2);
        }
        return new LinearAutoregression(window, horizon, weight, bias, penalty);
    }

    /// <summary>
    /// Ridge regression with an unpenalised intercept of both targets (the values minus the seasonal-naive forecast, and minus the
    /// window's mean; <c>2 · horizon</c> columns) on the centred windows: features and targets are centred over the rows, and
    /// <c>(XᵀX + λI) β = XᵀY</c> is solved with TorchSharp's <c>linalg.solve</c> (float64, CPU) for each penalty λ.
    /// </summary>
    private sealed class NormalEquations
    {
        private double[] _gram = Array.Empty<double>();
        private double[] _cross = Array.Empty<double>();
        private double[] _featureMean = Array.Empty<double>();
        private double[] _targetMean = Array.Empty<double>();

        public int Window { get; private init; }
        public int Horizon { get; private init; }
        public int Season { get; private init; }

        public static NormalEquations Build(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int window, int horizon, int season)
        {
            if (season < 1 || season > window)
                throw new ArgumentOutOfRangeException(nameof(season), season, $"The seasonal-naive reference needs a season between 1 and the window ({window}).");
            int rows = x.Length / window;
            if (rows < 1 || x.Length != rows * window || y.Length != rows * horizon)
                throw new ArgumentException($"Expected rows x {window} window values and rows x {horizon} targets; got {x.Length} and {y.Length}.");
            int q = 2 * horizon;
            // Features: each window minus its own mean. Targets: the values minus each reference.
            var features = new double[rows * window];
            var targets = new double[rows * q];
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
                    targets[r * q + k] = target - row[window - season + k % season];
                    targets[r * q + horizon + k] = target - level;
                }
            }
            using var scope = torch.NewDisposeScope();
            var xs = torch.tensor(features, new long[] { rows, window }, torch.float64);
            var ys = torch.tensor(targets, new long[] { rows, q }, torch.float64);
            var featureMean = xs.mean(new long[] { 0 });
            var targetMean = ys.mean(new long[] { 0 });
            var xc = xs - featureMean;
            var yc = ys - targetMean;
            return new NormalEquations
            {
                _gram = xc.t().matmul(xc).data<double>().ToArray(),
                _cross = xc.t().matmul(yc).data<double>().ToArray(),
                _featureMean = featureMean.data<double>().ToArray(),
                _targetMean = targetMean.data<double>().ToArray(),
                Window = window,
                Horizon = horizon,
                Season = season,
            };
        }

        /// <summary>β <c>[window, 2·horizon]</c> (row-major) and the intercepts <c>[2·horizon]</c> for penalty λ.</summary>
        public (double[] Beta, double[] Intercept) Solve(double penalty)
        {
            int p = Window, q = 2 * Horizon;
            using var scope = torch.NewDisposeScope();
            var gram = torch.tensor(_gram, new long[] { p, p }, torch.float64) + penalty * torch.eye(p, dtype: torch.float64);
            var beta = torch.linalg.solve(gram, torch.tensor(_cross, new long[] { p, q }, torch.float64));
            // The intercepts give the centred fit back its means: b = ȳ − x̄ β.
            var intercept = torch.tensor(_targetMean, new long[] { q }, torch.float64)
                - torch.tensor(_featureMean, new long[] { 1, p }, torch.float64).matmul(beta).squeeze(0);
            return (beta.data<double>().ToArray(), intercept.data<double>().ToArray());
        }
    }
}
