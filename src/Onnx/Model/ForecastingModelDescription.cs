using MlNetRnn.Transforms;

namespace MlNetRnn.Onnx.Model;

/// <summary>
/// Everything the exporter needs to know about a forecaster besides its weights: the recurrent stack,
/// window and horizon, the scaler (embedded in the graph), and the graph's input and output names.
/// </summary>
/// <param name="Architecture">The recurrent stack (input size 1 for a univariate series).</param>
/// <param name="Window">Input window length.</param>
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
    string OutputName = "Score");
