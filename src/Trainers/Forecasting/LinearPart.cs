using MlNetRnn.Onnx.Model;

namespace MlNetRnn.Trainers.Forecasting;

/// <summary>
/// The forecaster's linear part, blended with the networks by <see cref="ForecasterOptions.LinearShare"/>: Holt-Winters smoothing
/// over the whole window (<see cref="HoltWintersSmoothing"/>), which is linear in the scaled window for fixed parameters, so the part is
/// one matrix, <c>x · Weight</c> (plus a zero <c>Bias</c>, which keeps the graph's <c>Gemm</c> form): one node in the ONNX graph.
/// </summary>
internal sealed class LinearPart
{
    /// <summary>The longest window that gets a linear part: the fit runs the smoothing over every training window for every grid point.</summary>
    public const int MaxWindow = 1000;

    private LinearPart(HoltWintersSmoothing smoothing, int window, int horizon, int season)
    {
        Smoothing = smoothing;
        Season = season;
        Window = window;
        Horizon = horizon;
        Weight = smoothing.Map(window, horizon, season).Select(v => (float)v).ToArray();
        Bias = new float[horizon];
    }

    /// <summary>The smoothing's parameters.</summary>
    public HoltWintersSmoothing Smoothing { get; }

    /// <summary>The season the smoothing reads (1: none).</summary>
    public int Season { get; }

    /// <summary>Values per window.</summary>
    public int Window { get; }

    /// <summary>Values forecast per window.</summary>
    public int Horizon { get; }

    /// <summary>The map's matrix, <c>[Window, Horizon]</c> row-major.</summary>
    public float[] Weight { get; }

    /// <summary>The map's offset, <c>[Horizon]</c>: zero, as the smoothing is linear without one.</summary>
    public float[] Bias { get; }

    /// <summary>
    /// Fits the part on scaled windows <paramref name="x"/> <c>[rows, window]</c> and targets <paramref name="y"/> <c>[rows, horizon]</c>:
    /// the smoothing parameters with the lowest squared error of its forecasts on them.
    /// </summary>
    public static LinearPart Fit(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int window, int horizon, int season)
    {
        if (window < 1 || window > MaxWindow)
            throw new ArgumentOutOfRangeException(nameof(window), window, $"The linear part reads windows of 1 to {MaxWindow} values; got {window}.");
        if (x.Length == 0 || x.Length % window != 0 || y.Length != x.Length / window * horizon)
            throw new ArgumentException($"The linear part needs whole windows of {window} values and {horizon} targets each; got {x.Length} values and {y.Length} targets.");
        return new(HoltWintersSmoothing.Fit(x, y, window, horizon, season), window, horizon, season);
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
