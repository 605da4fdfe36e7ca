using System.Globalization;
using MlNetRnn.Onnx.Protobuf;
using MlNetRnn.Transforms;
using static MlNetRnn.Onnx.Export.OnnxGraphBuilder;

namespace MlNetRnn.Onnx.Export;

/// <summary>
/// Exports a trained forecaster (recurrent stack + linear head) to an ONNX model that takes raw series
/// windows <c>[batch, window]</c> and returns raw forecasts <c>[batch, horizon]</c>: the log transform,
/// scaling, window-relative shift and their inverses are nodes of the graph.
/// </summary>
public static class ForecastingOnnxExporter
{
    /// <summary>Task name written to the <see cref="OnnxMetadataKeys.Task"/> metadata key.</summary>
    public const string TaskName = "forecasting";

    /// <summary>
    /// Builds the ONNX model bytes.
    /// </summary>
    /// <param name="description">Architecture, window, horizon, scaler and I/O names.</param>
    /// <param name="weights">Recurrent weights named <c>rnn.*</c> and head weights <c>head.weight</c> <c>[horizon, D·H]</c>, <c>head.bias</c> <c>[horizon]</c>.</param>
    /// <param name="extraMetadata">More <c>metadata_props</c> entries (training summary, versions); they may not override the standard keys.</param>
    /// <returns>The serialized model (opset 17, IR 8).</returns>
    /// <exception cref="ArgumentException">A weight is missing or has the wrong shape, or metadata collides with a standard key.</exception>
    public static byte[] Export(ForecastingModelDescription description, WeightSet weights, IEnumerable<KeyValuePair<string, string>>? extraMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(weights);
        var arch = description.Architecture;
        arch.Validate();
        SlidingWindows.ValidateSizes(description.Window, description.Horizon);
        if (arch.InputSize != 1)
            throw new ArgumentException($"A univariate forecaster has input size 1, got {arch.InputSize}.", nameof(description));

        var b = new OnnxGraphBuilder("mlnetrnn_forecaster", Summary(description));
        string input = b.AddInput(description.InputName, TensorProto.Types.DataType.Float, "batch", description.Window);

        // Raw values -> scaled space, exactly as SeriesScaler.Transform does it: ln, subtract, divide.
        var scaler = description.Scaler;
        string x = input;
        if (scaler.Log)
            x = b.Op("Log", "scale.log", new[] { x });
        x = b.Op("Sub", "scale.centered", new[] { x, b.AddFloatScalar("scaler.center", scaler.Center) });
        x = b.Op("Div", "scale.scaled", new[] { x, b.AddFloatScalar("scaler.scale", scaler.Scale) });

        string? level = null;
        if (description.RelativeToWindow)
        {
            // Each window is shifted by its own mean so the network learns shape rather than level.
            level = b.Op("ReduceMean", "window.level", new[] { x }, IntsAttribute("axes", 1), IntAttribute("keepdims", 1));
            x = b.Op("Sub", "window.relative", new[] { x, level });
        }

        string steps = b.Op("Unsqueeze", "input.steps", new[] { x, RecurrentStackEmitter.ConstAxes(b, 2) });
        string timeMajor = b.Op("Transpose", "input.time_major", new[] { steps }, IntsAttribute("perm", 1, 0, 2));
        var stack = RecurrentStackEmitter.Emit(b, arch, weights, "rnn.", timeMajor);
        string features = RecurrentStackEmitter.FinalStateFeatures(b, arch, stack);

        var headWeight = weights.Get("head.weight", description.Horizon, arch.OutputSize);
        var headBias = weights.Get("head.bias", description.Horizon);
        string w = b.AddFloat("head.weight", headWeight.Shape, headWeight.Data);
        string bias = b.AddFloat("head.bias", headBias.Shape, headBias.Data);
        string y = b.Op("Gemm", "head.out", new[] { features, w, bias }, IntAttribute("transB", 1));

        // Scaled space -> raw values, as SeriesScaler.Inverse: multiply, add, exp.
        if (level is not null)
            y = b.Op("Add", "window.absolute", new[] { y, level });
        y = b.Op("Mul", "unscale.scaled", new[] { y, "scaler.scale" });
        y = b.Op("Add", "unscale.centered", new[] { y, "scaler.center" });
        if (scaler.Log)
            y = b.Op("Exp", "unscale.exp", new[] { y });
        b.Op("Identity", description.OutputName, new[] { y });
        b.AddOutput(description.OutputName, TensorProto.Types.DataType.Float, "batch", description.Horizon);

        var metadata = StandardMetadata(description);
        RecurrentMetadata.AddExtra(metadata, extraMetadata);
        return OnnxModelWriter.Serialize(b.Graph, Summary(description), metadata);
    }

    internal static Dictionary<string, string> StandardMetadata(ForecastingModelDescription d)
    {
        var m = RecurrentMetadata.Common(TaskName, d.Architecture);
        m[OnnxMetadataKeys.Pooling] = SequenceModelDescription.PoolingName(SequencePooling.LastStep);
        m[OnnxMetadataKeys.InputName] = d.InputName;
        m[OnnxMetadataKeys.OutputName] = d.OutputName;
        m[OnnxMetadataKeys.BatchFirst] = "true";
        m[OnnxMetadataKeys.Window] = RecurrentMetadata.Int(d.Window);
        m[OnnxMetadataKeys.Horizon] = RecurrentMetadata.Int(d.Horizon);
        m[OnnxMetadataKeys.RelativeToWindow] = RecurrentMetadata.Bool(d.RelativeToWindow);
        m[OnnxMetadataKeys.ScalerKind] = d.Scaler.Kind.ToString();
        m[OnnxMetadataKeys.ScalerLog] = RecurrentMetadata.Bool(d.Scaler.Log);
        m[OnnxMetadataKeys.ScalerCenter] = d.Scaler.Center.ToString("R", CultureInfo.InvariantCulture);
        m[OnnxMetadataKeys.ScalerScale] = d.Scaler.Scale.ToString("R", CultureInfo.InvariantCulture);
        m[OnnxMetadataKeys.ScalerInGraph] = "true";
        m[OnnxMetadataKeys.ExporterVersion] = OnnxModelWriter.LibraryVersion;
        return m;
    }

    private static string Summary(ForecastingModelDescription d)
    {
        var a = d.Architecture;
        return string.Create(CultureInfo.InvariantCulture,
            $"MlNetRnn forecaster: {a.CellMetadataName}, {a.NumLayers} layer(s) x {a.HiddenSize} hidden, {(a.Bidirectional ? "bidirectional" : "unidirectional")}; " +
            $"input '{d.InputName}' [batch, {d.Window}] raw values -> output '{d.OutputName}' [batch, {d.Horizon}] raw forecasts.");
    }
}
