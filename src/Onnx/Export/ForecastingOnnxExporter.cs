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
        if (description.Members < 1 || description.Members > 100)
            throw new ArgumentException($"An ensemble has 1 to 100 members; got {description.Members}.", nameof(description));
        if (!(description.NetworkWeight >= 0 && description.NetworkWeight <= 1))
            throw new ArgumentException($"NetworkWeight must be in [0, 1]; got {description.NetworkWeight}.", nameof(description));
        if (description.NetworkWeight != 1 && description.ReferenceSeason == 0 && !description.RelativeToWindow)
            throw new ArgumentException("A NetworkWeight below 1 shrinks the networks towards a reference; this forecaster has none (no seasonal-naive reference, not relative to the window).", nameof(description));
        if (description.SeasonalNaiveMembers is { } sm && (sm < 0 || sm > description.Members))
            throw new ArgumentException($"SeasonalNaiveMembers must be between 0 and the members ({description.Members}); got {sm}.", nameof(description));
        if (description.NetworkWindow < 0 || description.NetworkWindow > description.Window)
            throw new ArgumentException($"NetworkWindow must be 0 (the whole window) or between 1 and the window ({description.Window}); got {description.NetworkWindow}.", nameof(description));
        int networkSteps = description.NetworkSteps;
        if (description.ReferenceSeason < 0 || description.ReferenceSeason > networkSteps)
            throw new ArgumentException($"The seasonal-naive reference season must be 0 (none) or at most the networks' window ({networkSteps}); got {description.ReferenceSeason}.", nameof(description));
        if (!(description.LinearShare >= 0 && description.LinearShare < 1))
            throw new ArgumentException($"LinearShare must be in [0, 1); got {description.LinearShare}.", nameof(description));
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

        // The networks and their references read the window's most recent values; the linear part reads all of it.
        string recent = networkSteps == description.Window ? x
            : b.Op("Slice", "window.recent", new[]
            {
                x,
                b.AddInt64Vector("window.recent_start", description.Window - networkSteps),
                b.AddInt64Vector("window.recent_end", description.Window),
                b.AddInt64Vector("window.recent_axis", 1),
            });
        string? level = null;
        string networkInput = recent;
        if (description.RelativeToWindow)
        {
            // Each window is shifted by its own mean so the network learns shape rather than level.
            level = b.Op("ReduceMean", "window.level", new[] { recent }, IntsAttribute("axes", 1), IntAttribute("keepdims", 1));
            networkInput = b.Op("Sub", "window.relative", new[] { recent, level });
        }

        // What the networks' outputs are added to: the seasonal-naive forecast read off the scaled window, else the window's level.
        // Mean over members of (output + own reference) = Mean(outputs) + the members' share-weighted references.
        string? reference = level;
        int seasonal = description.SeasonalMemberCount;
        if (seasonal > 0)
        {
            var indices = SeasonalNaiveIndices(networkSteps, description.Horizon, description.ReferenceSeason);
            string naive = b.Op("Gather", "reference.seasonal_naive", new[] { recent, b.AddInt64Vector("reference.indices", indices) }, IntAttribute("axis", 1));
            reference = naive;
            if (seasonal < description.Members)
            {
                float share = (float)seasonal / description.Members;
                reference = b.Op("Mul", "reference.seasonal_share", new[] { naive, b.AddFloatScalar("reference.seasonal_weight", share) });
                if (level is not null)
                {
                    string levelShare = b.Op("Mul", "reference.level_share", new[] { level, b.AddFloatScalar("reference.level_weight", 1f - share) });
                    reference = b.Op("Add", "reference.mixed", new[] { reference, levelShare });
                }
            }
        }

        string steps = b.Op("Unsqueeze", "input.steps", new[] { networkInput, RecurrentStackEmitter.ConstAxes(b, 2) });
        // The recurrent nodes read time-major input; the unrolled stack reads the batch-major steps as they are.
        string? timeMajor = description.UnrolledSteps ? null : b.Op("Transpose", "input.time_major", new[] { steps }, IntsAttribute("perm", 1, 0, 2));
        var memberOutputs = new string[description.Members];
        for (int k = 0; k < description.Members; k++)
        {
            string prefix = description.MemberPrefix(k);
            string features = description.UnrolledSteps
                ? UnrolledStackEmitter.FinalStateFeatures(b, arch, weights, prefix + "rnn.", steps, networkSteps)
                : RecurrentStackEmitter.FinalStateFeatures(b, arch, RecurrentStackEmitter.Emit(b, arch, weights, prefix + "rnn.", timeMajor!));
            var headWeight = weights.Get(prefix + "head.weight", description.Horizon, arch.OutputSize);
            var headBias = weights.Get(prefix + "head.bias", description.Horizon);
            string w = b.AddFloat(prefix + "head.weight", headWeight.Shape, headWeight.Data);
            string bias = b.AddFloat(prefix + "head.bias", headBias.Shape, headBias.Data);
            memberOutputs[k] = b.Op("Gemm", prefix + "head.out", new[] { features, w, bias }, IntAttribute("transB", 1));
        }
        // An ensemble is the plain mean of its members in scaled space: ONNX's variadic Mean, one node.
        string y = description.Members == 1 ? memberOutputs[0] : b.Op("Mean", "ensemble.mean", memberOutputs);
        if (description.NetworkWeight != 1)
            y = b.Op("Mul", "ensemble.shrunk", new[] { y, b.AddFloatScalar("ensemble.network_weight", description.NetworkWeight) });
        if (reference is not null)
            y = b.Op("Add", "window.absolute", new[] { y, reference });
        if (description.LinearShare > 0)
        {
            // The linear part is one affine map of the scaled window; the forecast is a fixed-share blend of both parts.
            var linearWeight = weights.Get(ForecastingModelDescription.LinearWeightName, description.Window, description.Horizon);
            var linearBias = weights.Get(ForecastingModelDescription.LinearBiasName, description.Horizon);
            string linear = b.Op("Gemm", "linear.out", new[]
            {
                x,
                b.AddFloat(ForecastingModelDescription.LinearWeightName, linearWeight.Shape, linearWeight.Data),
                b.AddFloat(ForecastingModelDescription.LinearBiasName, linearBias.Shape, linearBias.Data),
            });
            string networks = b.Op("Mul", "blend.networks", new[] { y, b.AddFloatScalar("blend.network_share", 1f - description.LinearShare) });
            string linearPart = b.Op("Mul", "blend.linear", new[] { linear, b.AddFloatScalar("blend.linear_share", description.LinearShare) });
            y = b.Op("Add", "blend.forecast", new[] { networks, linearPart });
        }

        b.Op("Identity", description.OutputName, new[] { Unscale(b, y, scaler, "unscale") });
        b.AddOutput(description.OutputName, TensorProto.Types.DataType.Float, "batch", description.Horizon);
        if (description.Interval is { } interval)
        {
            interval.Validate(description.Horizon);
            // The band is the point forecast plus per-step offsets in scaled space, mapped back like the point: ordered by construction.
            string lower = b.Op("Add", "interval.lower_scaled", new[] { y, b.AddFloat("interval.lower", new long[] { description.Horizon }, interval.Lower) });
            string upper = b.Op("Add", "interval.upper_scaled", new[] { y, b.AddFloat("interval.upper", new long[] { description.Horizon }, interval.Upper) });
            b.Op("Identity", description.LowerOutputName, new[] { Unscale(b, lower, scaler, "unscale_lower") });
            b.Op("Identity", description.UpperOutputName, new[] { Unscale(b, upper, scaler, "unscale_upper") });
            b.AddOutput(description.LowerOutputName, TensorProto.Types.DataType.Float, "batch", description.Horizon);
            b.AddOutput(description.UpperOutputName, TensorProto.Types.DataType.Float, "batch", description.Horizon);
        }

        var metadata = StandardMetadata(description);
        RecurrentMetadata.AddExtra(metadata, extraMetadata);
        return OnnxModelWriter.Serialize(b.Graph, Summary(description), metadata);
    }

    /// <summary>
    /// Window positions of the seasonal-naive forecast: step <c>h</c> repeats the value one season before it, i.e. position
    /// <c>window − season + (h mod season)</c> of the window.
    /// </summary>
    /// <exception cref="ArgumentException">The season is longer than the window.</exception>
    public static long[] SeasonalNaiveIndices(int window, int horizon, int season)
    {
        if (season < 1 || season > window)
            throw new ArgumentException($"The seasonal-naive reference needs a season between 1 and the window ({window}); got {season}.");
        var indices = new long[horizon];
        for (int h = 0; h < horizon; h++)
            indices[h] = window - season + h % season;
        return indices;
    }

    // Scaled space -> raw values, as SeriesScaler.Inverse: multiply, add, exp.
    private static string Unscale(OnnxGraphBuilder b, string y, SeriesScaler scaler, string stem)
    {
        y = b.Op("Mul", stem + ".scaled", new[] { y, "scaler.scale" });
        y = b.Op("Add", stem + ".centered", new[] { y, "scaler.center" });
        return scaler.Log ? b.Op("Exp", stem + ".exp", new[] { y }) : y;
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
        if (d.NetworkSteps != d.Window)
            m[OnnxMetadataKeys.NetworkWindow] = RecurrentMetadata.Int(d.NetworkSteps);
        m[OnnxMetadataKeys.RelativeToWindow] = RecurrentMetadata.Bool(d.RelativeToWindow);
        m[OnnxMetadataKeys.ReferenceSeason] = RecurrentMetadata.Int(d.ReferenceSeason);
        m[OnnxMetadataKeys.Members] = RecurrentMetadata.Int(d.Members);
        m[OnnxMetadataKeys.SeasonalNaiveMembers] = RecurrentMetadata.Int(d.SeasonalMemberCount);
        if (d.NetworkWeight != 1)
            m[OnnxMetadataKeys.NetworkWeight] = RecurrentMetadata.Floats(new[] { d.NetworkWeight });
        if (d.LinearShare > 0)
        {
            m[OnnxMetadataKeys.LinearShare] = RecurrentMetadata.Floats(new[] { d.LinearShare });
            m[OnnxMetadataKeys.LinearSeason] = RecurrentMetadata.Int(Math.Max(1, d.LinearSeason));
        }
        if (d.UnrolledSteps)
            m[OnnxMetadataKeys.UnrolledSteps] = RecurrentMetadata.Bool(true);
        if (d.Interval is { } interval)
        {
            m[OnnxMetadataKeys.IntervalCoverage] = interval.Coverage.ToString("R", CultureInfo.InvariantCulture);
            m[OnnxMetadataKeys.IntervalLower] = string.Join(",", interval.Lower.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
            m[OnnxMetadataKeys.IntervalUpper] = string.Join(",", interval.Upper.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        }
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
        var c = CultureInfo.InvariantCulture;
        string members = d.Members > 1 ? string.Create(c, $"mean of {d.Members} ") : "";
        string reference = d.SeasonalMemberCount == 0 ? ""
            : d.SeasonalMemberCount == d.Members ? string.Create(c, $", correcting the seasonal-naive forecast (season {d.ReferenceSeason})")
            : string.Create(c, $", {d.SeasonalMemberCount} of them correcting the seasonal-naive forecast (season {d.ReferenceSeason})");
        string linear = d.LinearShare > 0 ? string.Create(c, $", blended with a linear part, Holt-Winters smoothing over the window (share {d.LinearShare:0.###})") : "";
        string recent = d.NetworkSteps != d.Window ? string.Create(c, $", reading the last {d.NetworkSteps} values") : "";
        string interval = d.Interval is { } i ? string.Create(c, $", '{d.LowerOutputName}' and '{d.UpperOutputName}' the {i.Coverage:P0} prediction interval") : "";
        return string.Create(c,
            $"MlNetRnn forecaster: {members}{a.CellMetadataName}, {a.NumLayers} layer(s) x {a.HiddenSize} hidden, {(a.Bidirectional ? "bidirectional" : "unidirectional")}{recent}{reference}{linear}; " +
            $"input '{d.InputName}' [batch, {d.Window}] raw values -> output '{d.OutputName}' [batch, {d.Horizon}] raw forecasts{interval}.");
    }
}
