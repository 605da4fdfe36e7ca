using MlNetRnn.Onnx.Protobuf;
using static MlNetRnn.Onnx.Export.OnnxGraphBuilder;

namespace MlNetRnn.Onnx.Export;

/// <summary>Optional inputs and outputs a recurrent stack is asked to wire.</summary>
internal sealed record RecurrentStackRequest
{
    /// <summary>An int32 <c>[batch]</c> value passed to every layer as <c>sequence_lens</c>.</summary>
    public string? SequenceLengths { get; init; }

    /// <summary>Initial hidden state <c>[L·D, batch, H]</c>, sliced per layer.</summary>
    public string? InitialHidden { get; init; }

    /// <summary>Initial LSTM cell state <c>[L·D, batch, H]</c>, sliced per layer.</summary>
    public string? InitialCell { get; init; }

    /// <summary>Whether the last layer's per-step output is needed, as <c>[seq, batch, D·H]</c>.</summary>
    public bool SequenceOutput { get; init; }

    /// <summary>Whether every layer's final states are needed, concatenated as PyTorch's <c>h_n</c> / <c>c_n</c>.</summary>
    public bool FinalStates { get; init; }

    /// <summary>Whether the last layer's final hidden state is needed on its own (a head on the final states). Default true.</summary>
    public bool LastLayerFinalHidden { get; init; } = true;
}

/// <summary>What a recurrent stack leaves in the graph.</summary>
/// <param name="LastLayerFinalHidden">The last layer's <c>Y_h</c> value <c>[D, batch, H]</c>, or empty when not requested.</param>
/// <param name="SequenceOutput">The last layer's output <c>[seq, batch, D·H]</c>, when requested.</param>
/// <param name="FinalHidden">All layers' final hidden states <c>[L·D, batch, H]</c>, when requested.</param>
/// <param name="FinalCell">All layers' final LSTM cell states <c>[L·D, batch, H]</c>, when requested for an LSTM.</param>
internal sealed record RecurrentStackOutputs(string LastLayerFinalHidden, string? SequenceOutput, string? FinalHidden, string? FinalCell);

/// <summary>
/// Emits one ONNX LSTM/GRU/RNN node per layer (both directions in one node), with layout 0,
/// PyTorch weights permuted to ONNX gate order, GRU linear_before_reset=1, explicit zero biases when
/// the network has none, and the inter-layer reshapes that concatenate directions as PyTorch does.
/// </summary>
internal static class RecurrentStackEmitter
{
    /// <param name="builder">Graph under construction.</param>
    /// <param name="architecture">Stack shape.</param>
    /// <param name="weights">Weights named <c>{prefix}weight_ih_l{k}[_reverse]</c> etc.</param>
    /// <param name="prefix">Module prefix of the stack's parameters, e.g. <c>rnn.</c>.</param>
    /// <param name="input">Value <c>[seq, batch, InputSize]</c>.</param>
    /// <param name="request">Optional inputs and outputs; null for none.</param>
    public static RecurrentStackOutputs Emit(OnnxGraphBuilder builder, RecurrentArchitecture architecture, WeightSet weights, string prefix, string input,
        RecurrentStackRequest? request = null)
    {
        architecture.Validate();
        request ??= new RecurrentStackRequest();
        int d = architecture.NumDirections;
        int h = architecture.HiddenSize;
        int g = architecture.GateCount;
        int layers = architecture.NumLayers;
        bool lstm = architecture.Cell == RecurrentCellKind.Lstm;
        string x = input;
        string lastFinalHidden = string.Empty;
        string? sequenceOutput = null;
        var finalHidden = new List<string>();
        var finalCell = new List<string>();

        for (int layer = 0; layer < layers; layer++)
        {
            var (wName, rName, bName) = LayerTensors(builder, architecture, weights, prefix, layer);

            // Lower layers feed the next one through Y; Y_h/Y_c are read only where the head or the state outputs need them.
            // Outputs nobody reads are left unconnected ("" or dropped when trailing), so ONNX Runtime does not compute or copy them.
            bool last = layer == layers - 1;
            bool needY = !last || request.SequenceOutput;
            bool needYh = request.FinalStates || (last && request.LastLayerFinalHidden);
            bool needYc = lstm && request.FinalStates;
            string y = needY ? builder.Unique($"rnn.l{layer}.Y") : string.Empty;
            string yh = needYh ? builder.Unique($"rnn.l{layer}.Y_h") : string.Empty;
            string yc = needYc ? builder.Unique($"rnn.l{layer}.Y_c") : string.Empty;
            var outputs = new List<string> { y, yh, yc };
            while (outputs.Count > 0 && outputs[^1].Length == 0)
                outputs.RemoveAt(outputs.Count - 1);

            string h0 = request.InitialHidden is null ? string.Empty : LayerState(builder, request.InitialHidden, layer, layers, d);
            string c0 = lstm && request.InitialCell is not null ? LayerState(builder, request.InitialCell, layer, layers, d) : string.Empty;
            var inputs = new[] { x, wName, rName, bName, request.SequenceLengths ?? string.Empty, h0, c0 };

            var attributes = new List<AttributeProto>
            {
                IntAttribute("hidden_size", h),
                StringAttribute("direction", d == 2 ? "bidirectional" : "forward"),
            };
            string opType;
            switch (architecture.Cell)
            {
                case RecurrentCellKind.Lstm:
                    opType = "LSTM";
                    break;
                case RecurrentCellKind.Gru:
                    opType = "GRU";
                    // PyTorch applies the reset gate after the hidden matmul; ONNX's default (0) does it before.
                    attributes.Add(IntAttribute("linear_before_reset", 1));
                    break;
                default:
                    opType = "RNN";
                    string act = architecture.Cell == RecurrentCellKind.RnnRelu ? "Relu" : "Tanh";
                    attributes.Add(StringsAttribute("activations", Enumerable.Repeat(act, d).ToArray()));
                    break;
            }
            builder.AddNode(opType, inputs, outputs, attributes.ToArray());
            if (needYh)
                finalHidden.Add(yh);
            if (needYc)
                finalCell.Add(yc);
            if (last)
                lastFinalHidden = yh;
            if (needY)
            {
                x = DirectionsSideBySide(builder, y, layer, d, architecture.HiddenSize);
                if (last)
                    sequenceOutput = x;
            }
        }

        string? hn = request.FinalStates ? ConcatStates(builder, finalHidden, "rnn.h_n") : null;
        string? cn = request.FinalStates && lstm ? ConcatStates(builder, finalCell, "rnn.c_n") : null;
        return new RecurrentStackOutputs(lastFinalHidden, sequenceOutput, hn, cn);
    }

    /// <summary>Initializer name of layer <paramref name="layer"/>'s W, R or B tensor.</summary>
    public static string LayerWeightName(int layer, string tensor, string prefix = "rnn.") => $"{prefix}l{layer}.{tensor}";

    /// <summary>
    /// Layer <paramref name="layer"/>'s ONNX W <c>[D, G·H, in]</c>, R <c>[D, G·H, H]</c> and B <c>[D, 2·G·H]</c> initializers, from PyTorch's
    /// weights permuted to ONNX gate order (zero B for a network without bias). The one place these tensors are written, so the
    /// importer reads the same names whichever way the stack is emitted.
    /// </summary>
    public static (string W, string R, string B) LayerTensors(OnnxGraphBuilder builder, RecurrentArchitecture architecture, WeightSet weights, string prefix, int layer)
    {
        int d = architecture.NumDirections, h = architecture.HiddenSize, g = architecture.GateCount;
        int inSize = architecture.LayerInputSize(layer);
        var w = new float[d * g * h * inSize];
        var r = new float[d * g * h * h];
        var b = new float[d * 2 * g * h];
        for (int dir = 0; dir < d; dir++)
        {
            bool reverse = dir == 1;
            var wih = weights.Get(prefix + RecurrentArchitecture.ParameterName("weight_ih", layer, reverse), g * h, inSize);
            var whh = weights.Get(prefix + RecurrentArchitecture.ParameterName("weight_hh", layer, reverse), g * h, h);
            GateOrder.TorchToOnnx(architecture.Cell, wih.Data, w.AsSpan(dir * g * h * inSize, g * h * inSize), h, inSize);
            GateOrder.TorchToOnnx(architecture.Cell, whh.Data, r.AsSpan(dir * g * h * h, g * h * h), h, h);
            if (architecture.HasBias)
            {
                var bih = weights.Get(prefix + RecurrentArchitecture.ParameterName("bias_ih", layer, reverse), g * h);
                var bhh = weights.Get(prefix + RecurrentArchitecture.ParameterName("bias_hh", layer, reverse), g * h);
                // B is [Wb (all gates) ; Rb (all gates)] per direction, not interleaved per gate.
                GateOrder.TorchToOnnx(architecture.Cell, bih.Data, b.AsSpan(dir * 2 * g * h, g * h), h, 1);
                GateOrder.TorchToOnnx(architecture.Cell, bhh.Data, b.AsSpan(dir * 2 * g * h + g * h, g * h), h, 1);
            }
            // Without bias B stays zero: always emitting B avoids ONNX Runtime's historical no-bias code paths.
        }

        string wName = builder.AddFloat(LayerWeightName(layer, "W", prefix), new long[] { d, g * h, inSize }, w);
        string rName = builder.AddFloat(LayerWeightName(layer, "R", prefix), new long[] { d, g * h, h }, r);
        string bName = builder.AddFloat(LayerWeightName(layer, "B", prefix), new long[] { d, 2 * g * h }, b);

        return (wName, rName, bName);
    }

    // Y is [seq, D, batch, H]; the next layer (and the head) want [seq, batch, D·H] with [fwd | bwd]. The width is given, not -1:
    // with zero steps (an empty sentence) there would be nothing to infer it from.
    private static string DirectionsSideBySide(OnnxGraphBuilder builder, string y, int layer, int d, int hidden)
    {
        if (d == 1)
            return builder.Op("Squeeze", builder.Unique($"rnn.l{layer}.out"), new[] { y, ConstAxes(builder, 1) });
        string t = builder.Op("Transpose", builder.Unique($"rnn.l{layer}.Yt"), new[] { y }, IntsAttribute("perm", 0, 2, 1, 3));
        return builder.Op("Reshape", builder.Unique($"rnn.l{layer}.out"), new[] { t, ConstShape(builder, 0, 0, d * hidden) });
    }

    // PyTorch's state tensors stack layers then directions on axis 0: layer k owns rows [k·D, (k+1)·D).
    private static string LayerState(OnnxGraphBuilder builder, string state, int layer, int layers, int d)
    {
        if (layers == 1)
            return state;
        return builder.Op("Slice", builder.Unique($"{state}.l{layer}"), new[]
        {
            state, ConstAxes(builder, layer * d), ConstAxes(builder, (layer + 1) * d), ConstAxes(builder, 0),
        });
    }

    private static string ConcatStates(OnnxGraphBuilder builder, List<string> perLayer, string name) =>
        perLayer.Count == 1 ? perLayer[0] : builder.Op("Concat", builder.Unique(name), perLayer, IntAttribute("axis", 0));

    /// <summary>
    /// Features from the last layer's final states: <c>[batch, D·H]</c>, forward state then backward state, equal to
    /// PyTorch's <c>cat(h_n[-2], h_n[-1], dim=1)</c> for a bidirectional stack.
    /// </summary>
    public static string FinalStateFeatures(OnnxGraphBuilder builder, RecurrentArchitecture architecture, RecurrentStackOutputs stack)
    {
        string yh = stack.LastLayerFinalHidden;
        if (architecture.NumDirections == 1)
            return builder.Op("Squeeze", builder.Unique("features"), new[] { yh, ConstAxes(builder, 0) });
        string t = builder.Op("Transpose", builder.Unique("features.t"), new[] { yh }, IntsAttribute("perm", 1, 0, 2));
        return builder.Op("Reshape", builder.Unique("features"), new[] { t, ConstShape(builder, 0, -1) });
    }

    /// <summary>A 1-D int64 axes constant, shared by name.</summary>
    public static string ConstAxes(OnnxGraphBuilder builder, params long[] axes)
    {
        string name = $"const.axes_{string.Join("_", axes).Replace('-', 'm')}";
        return builder.Graph.Initializer.Any(t => t.Name == name) ? name : builder.AddInt64Vector(name, axes);
    }

    /// <summary>A 1-D int64 shape constant, shared by name.</summary>
    public static string ConstShape(OnnxGraphBuilder builder, params long[] shape)
    {
        string name = $"const.shape_{string.Join("_", shape).Replace('-', 'm')}";
        return builder.Graph.Initializer.Any(t => t.Name == name) ? name : builder.AddInt64Vector(name, shape);
    }
}
