using MlNetRnn.Onnx.Protobuf;
using static MlNetRnn.Onnx.OnnxGraphBuilder;

namespace MlNetRnn.Onnx;

/// <summary>What a recurrent stack leaves in the graph.</summary>
/// <param name="LastLayerFinalHidden">The last layer's <c>Y_h</c> value <c>[D, batch, H]</c>.</param>
internal sealed record RecurrentStackOutputs(string LastLayerFinalHidden);

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
    public static RecurrentStackOutputs Emit(OnnxGraphBuilder builder, RecurrentArchitecture architecture, WeightSet weights, string prefix, string input)
    {
        architecture.Validate();
        int d = architecture.NumDirections;
        int h = architecture.HiddenSize;
        int g = architecture.GateCount;
        string x = input;
        string lastFinalHidden = string.Empty;

        for (int layer = 0; layer < architecture.NumLayers; layer++)
        {
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

            string wName = builder.AddFloat($"rnn.l{layer}.W", new long[] { d, g * h, inSize }, w);
            string rName = builder.AddFloat($"rnn.l{layer}.R", new long[] { d, g * h, h }, r);
            string bName = builder.AddFloat($"rnn.l{layer}.B", new long[] { d, 2 * g * h }, b);

            // Lower layers feed the next one through Y; the head reads only the last layer's Y_h. Outputs nobody reads are
            // left unconnected (Y as "", trailing Y_h/Y_c dropped), so ONNX Runtime does not compute or copy them.
            bool last = layer == architecture.NumLayers - 1;
            string y = last ? string.Empty : builder.Unique($"rnn.l{layer}.Y");
            string yh = last ? builder.Unique($"rnn.l{layer}.Y_h") : string.Empty;
            var outputs = last ? new[] { y, yh } : new[] { y };

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
            builder.AddNode(opType, new[] { x, wName, rName, bName }, outputs, attributes.ToArray());
            if (last)
            {
                lastFinalHidden = yh;
                break;
            }

            // Y is [seq, D, batch, H]; the next layer wants [seq, batch, D·H] with [fwd | bwd].
            if (d == 1)
            {
                x = builder.Op("Squeeze", builder.Unique($"rnn.l{layer}.out"), new[] { y, ConstAxes(builder, 1) });
            }
            else
            {
                string t = builder.Op("Transpose", builder.Unique($"rnn.l{layer}.Yt"), new[] { y }, IntsAttribute("perm", 0, 2, 1, 3));
                x = builder.Op("Reshape", builder.Unique($"rnn.l{layer}.out"), new[] { t, ConstShape(builder, 0, 0, -1) });
            }
        }
        return new RecurrentStackOutputs(lastFinalHidden);
    }

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
