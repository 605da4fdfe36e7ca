using MlNetRnn.Transforms;

namespace MlNetRnn.Onnx.Model;

/// <summary>
/// Everything the exporter needs to know about a forecaster besides its weights: the recurrent stack,
/// window and horizon, the scaler (embedded in the graph), and the graph's input and output names.
/// </summary>
/// <param name="Architecture">The recurrent stack (input size 1 for a univariate series).</param>
/// <param name="Window">Input window length (the linear part reads all of it; the networks the last <see cref="NetworkWindow"/> values).</param>
/// <param name="Horizon">Values forecast per window (direct multi-output head).</param>
/// <param name="Scaler">Scaler applied to inputs and inverted on outputs, inside the graph.</param>
/// <param name="RelativeToWindow">Whether scaled inputs and outputs are taken relative to each window's mean.</param>
/// <param name="InputName">Graph input name, <c>[batch, Window]</c> float.</param>
/// <param name="OutputName">Graph output name, <c>[batch, Horizon]</c> float.</param>
public sealed record ForecastingModelDescription(
    RecurrentArchitecture Architecture,
    int Window,
    int Horizon,
    SeriesScaler Scaler,
    bool RelativeToWindow,
    string InputName = "Features",
    string OutputName = "Score")
{
    /// <summary>
    /// How many of the window's most recent values the networks (and their references) read; 0 (the default) for the whole window.
    /// The graph slices them off the scaled input when it is shorter than <see cref="Window"/>.
    /// </summary>
    public int NetworkWindow { get; init; }

    /// <summary>The networks' window, resolved: <see cref="NetworkWindow"/>, or <see cref="Window"/> when it is 0.</summary>
    public int NetworkSteps => NetworkWindow == 0 ? Window : NetworkWindow;

    /// <summary>
    /// Season of the seasonal-naive reference, or 0 for none. Members <c>0 .. SeasonalNaiveMembers − 1</c> forecast the difference (in
    /// scaled space) from the seasonal-naive forecast read off the window's last <c>ReferenceSeason</c> values; the others forecast
    /// relative to the window's mean (when <see cref="RelativeToWindow"/>) or in plain scaled space. The graph adds each reference back.
    /// </summary>
    public int ReferenceSeason { get; init; }

    /// <summary>How many members (the first ones) correct the seasonal-naive forecast; null means all of them when <see cref="ReferenceSeason"/> is set.</summary>
    public int? SeasonalNaiveMembers { get; init; }

    /// <summary>The number of members that correct the seasonal-naive forecast, resolved.</summary>
    public int SeasonalMemberCount => ReferenceSeason == 0 ? 0 : SeasonalNaiveMembers ?? Members;

    /// <summary>Ensemble members (1 for a single network); the graph averages their scaled-space outputs.</summary>
    public int Members { get; init; } = 1;

    /// <summary>
    /// Weight of the networks' mean correction in scaled space, in [0, 1]: the graph forecasts <c>reference + NetworkWeight · mean(outputs)</c>,
    /// so 0 is the (share-weighted) reference alone and 1 the plain ensemble. Needs a reference (seasonal naive or the window's level)
    /// unless it is 1. Default 1.
    /// </summary>
    public float NetworkWeight { get; init; } = 1f;

    /// <summary>
    /// Share of the linear part (Holt-Winters smoothing over the window, as a matrix) in the forecast, in [0, 1): the graph forecasts
    /// <c>(1 − LinearShare) · networks + LinearShare · (x · linear.weight + linear.bias)</c> in scaled space, where <c>x</c> is the scaled
    /// window and the weights <c>linear.weight</c> <c>[Window, Horizon]</c> and <c>linear.bias</c> <c>[Horizon]</c> are in the weight set.
    /// 0 (the default) leaves the part out of the graph.
    /// </summary>
    public float LinearShare { get; init; }

    /// <summary>
    /// The season the linear part was fitted with (written when the part is present; informational, the graph needs only its weights).
    /// It can differ from <see cref="ReferenceSeason"/>, which is 0 when no network uses the seasonal-naive reference.
    /// </summary>
    public int LinearSeason { get; init; }

    /// <summary>Name of the linear part's matrix <c>[Window, Horizon]</c>, in the weight set and in the graph (one per model, not per member).</summary>
    public const string LinearWeightName = "linear.weight";

    /// <summary>Name of the linear part's offset <c>[Horizon]</c>, in the weight set and in the graph.</summary>
    public const string LinearBiasName = "linear.bias";

    /// <summary>
    /// Emit the recurrent stack step by step as plain ONNX ops (<c>Gemm</c>, <c>Sigmoid</c>, <c>Tanh</c>, ...) over the fixed window instead
    /// of one LSTM/GRU/RNN node per layer: the same numbers (to float rounding), about twice the windows per second on ONNX Runtime's
    /// CPU provider for small states and short windows (docs/PERFORMANCE.md). The W/R/B initializers are the same either way. Default false.
    /// </summary>
    public bool UnrolledSteps { get; init; }

    /// <summary>The prediction interval's offsets, or null for a graph without interval outputs.</summary>
    public ForecastIntervalOffsets? Interval { get; init; }

    /// <summary>Name of the lower-bound output, <c>{OutputName}Lower</c>.</summary>
    public string LowerOutputName => OutputName + "Lower";

    /// <summary>Name of the upper-bound output, <c>{OutputName}Upper</c>.</summary>
    public string UpperOutputName => OutputName + "Upper";

    /// <summary>Prefix of member <paramref name="member"/>'s weights: none for a single network, <c>member{k}.</c> in an ensemble.</summary>
    public string MemberPrefix(int member) => EnsembleNaming.MemberPrefix(Members, member);
}
