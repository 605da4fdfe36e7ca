namespace MlNetRnn.Trainers.Forecasting;

/// <summary>
/// The forecaster's linear part, blended with the networks by <see cref="ForecasterOptions.LinearShare"/>: the mean of a ridge
/// autoregression (<see cref="LinearAutoregression"/>) and damped-trend exponential smoothing over the window
/// (<see cref="DampedTrendSmoothing"/>). Both are linear in the scaled window, so the part is one affine map, <c>x · Weight + Bias</c>:
/// one <c>Gemm</c> in the ONNX graph.
/// </summary>
internal sealed class LinearPart
{
    private LinearPart(LinearAutoregression regression, DampedTrendSmoothing smoothing, int season)
    {
        Regression = regression;
        Smoothing = smoothing;
        Season = season;
        Window = regression.Window;
        Horizon = regression.Horizon;
        double[] smoothingMap = smoothing.Map(Window, Horizon, season);
        Weight = new float[Window * Horizon];
        for (int i = 0; i < Weight.Length; i++)
            Weight[i] = (float)((regression.Weight[i] + smoothingMap[i]) / 2);
        // Smoothing is linear without an offset: the bias is the regression's half.
        Bias = regression.Bias.Select(b => b / 2).ToArray();
    }

    /// <summary>The ridge half.</summary>
    public LinearAutoregression Regression { get; }

    /// <summary>The smoothing half's parameters.</summary>
    public DampedTrendSmoothing Smoothing { get; }

    /// <summary>The season both halves read (1: none).</summary>
    public int Season { get; }

    /// <summary>Values per window.</summary>
    public int Window { get; }

    /// <summary>Values forecast per window.</summary>
    public int Horizon { get; }

    /// <summary>The map's matrix, <c>[Window, Horizon]</c> row-major.</summary>
    public float[] Weight { get; }

    /// <summary>The map's offset, <c>[Horizon]</c>.</summary>
    public float[] Bias { get; }

    /// <summary>
    /// Fits the part on scaled windows <paramref name="x"/> <c>[rows, window]</c> and targets <paramref name="y"/> <c>[rows, horizon]</c>:
    /// the smoothing parameters by the lowest absolute error on them, the regression with ridge penalty <paramref name="penalty"/>.
    /// </summary>
    public static LinearPart Fit(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int window, int horizon, int season, double penalty) =>
        new(LinearAutoregression.Fit(x, y, window, horizon, season, penalty), DampedTrendSmoothing.Fit(x, y, window, horizon, season), season);

    /// <summary>
    /// Fits the part on the training windows with the regression's penalty chosen on the validation windows
    /// (<see cref="LinearAutoregression.Choose"/>), and returns it with its forecasts of the validation windows.
    /// </summary>
    public static (LinearPart Part, float[] ValidationForecast) Choose(
        ReadOnlySpan<float> trainX, ReadOnlySpan<float> trainY, ReadOnlySpan<float> validationX, ReadOnlySpan<float> validationY,
        int window, int horizon, int season)
    {
        var (regression, _) = LinearAutoregression.Choose(trainX, trainY, validationX, validationY, window, horizon, season);
        var part = new LinearPart(regression, DampedTrendSmoothing.Fit(trainX, trainY, window, horizon, season), season);
        return (part, part.Predict(validationX));
    }

    /// <summary>The part's weights as the exporter reads them: <c>linear.weight</c> <c>[Window, Horizon]</c> and <c>linear.bias</c> <c>[Horizon]</c>.</summary>
    public IEnumerable<NamedTensor> Weights() => new[]
    {
        new NamedTensor(ForecastingModelDescription.LinearWeightName, new long[] { Window, Horizon }, Weight),
        new NamedTensor(ForecastingModelDescription.LinearBiasName, new long[] { Horizon }, Bias),
    };

    /// <summary>The part's scaled forecasts <c>[rows, Horizon]</c> for scaled windows <c>[rows, Window]</c>, as the graph's Gemm computes them.</summary>
    public float[] Predict(ReadOnlySpan<float> x) => Apply(Weight, Bias, x, Window, Horizon);

    /// <summary><c>x · weight + bias</c> for windows <c>x</c> <c>[rows, window]</c>, <c>weight</c> <c>[window, horizon]</c>.</summary>
    internal static float[] Apply(float[] weight, float[] bias, ReadOnlySpan<float> x, int window, int horizon)
    {
        int rows = x.Length / window;
        var forecast = new float[rows * horizon];
        for (int r = 0; r < rows; r++)
        {
            for (int k = 0; k < horizon; k++)
            {
                double sum = bias[k];
                for (int i = 0; i < window; i++)
                    sum += (double)x[r * window + i] * weight[i * horizon + k];
                forecast[r * horizon + k] = (float)sum;
            }
        }
        return forecast;
    }
}
