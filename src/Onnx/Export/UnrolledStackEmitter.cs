using static MlNetRnn.Onnx.Export.OnnxGraphBuilder;

namespace MlNetRnn.Onnx.Export;

/// <summary>
/// Emits a recurrent stack over a fixed number of steps as plain ONNX ops, one small block per step (the input projection of all
/// steps in one MatMul; per step a Gemm on the state and the gate arithmetic), instead of one LSTM/GRU/RNN node per layer.
/// </summary>
/// <remarks>
/// ONNX Runtime's CPU recurrent kernels run tiny per-step GEMMs with fixed overheads; for the short windows and small states of a
/// forecaster the unrolled form scores about twice as many windows per second (docs/PERFORMANCE.md). The weights stay the same
/// ONNX W/R/B initializers the recurrent nodes use (<see cref="RecurrentStackEmitter.LayerTensors"/>): the per-direction slices and
/// transposes of them are constant subgraphs that ONNX Runtime folds once when the session opens, and the importer reads the file
/// like any other. Zero initial states, no <c>sequence_lens</c>: only the last layer's final hidden states come out.
/// </remarks>
internal static class UnrolledStackEmitter
{
    /// <summary>
    /// The last layer's final hidden states as <c>[batch, D·H]</c> (forward then backward, as
    /// <see cref="RecurrentStackEmitter.FinalStateFeatures"/> gives them).
    /// </summary>
    /// <param name="builder">Graph under construction.</param>
    /// <param name="architecture">Stack shape.</param>
    /// <param name="weights">Weights named <c>{prefix}weight_ih_l{k}[_reverse]</c> etc.</param>
    /// <param name="prefix">Module prefix of the stack's parameters, e.g. <c>rnn.</c>.</param>
    /// <param name="input">Value <c>[steps, batch, InputSize]</c>.</param>
    /// <param name="steps">The fixed number of steps.</param>
    public static string FinalStateFeatures(OnnxGraphBuilder builder, RecurrentArchitecture architecture, WeightSet weights, string prefix, string input, int steps)
    {
        architecture.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        int d = architecture.NumDirections, h = architecture.HiddenSize, g = architecture.GateCount;
        string x = input;
        var last = new string[d];
        for (int layer = 0; layer < architecture.NumLayers; layer++)
        {
            var (w, r, b) = RecurrentStackEmitter.LayerTensors(builder, architecture, weights, prefix, layer);
            var outputs = new string[d][];
            for (int dir = 0; dir < d; dir++)
            {
                string p = $"{prefix}l{layer}.{(dir == 0 ? "fwd" : "bwd")}.";
                // Constant subgraphs (folded by ONNX Runtime): this direction's W^T [in, G·H], R^T [H, G·H], Wb and Rb [G·H].
                string index = builder.SharedInt64Scalar($"const.direction{dir}", dir);
                string wt = builder.Op("Transpose", builder.Unique(p + "Wt"), new[] { builder.Op("Gather", builder.Unique(p + "W"), new[] { w, index }, IntAttribute("axis", 0)) });
                string rt = builder.Op("Transpose", builder.Unique(p + "Rt"), new[] { builder.Op("Gather", builder.Unique(p + "R"), new[] { r, index }, IntAttribute("axis", 0)) });
                string bias = builder.Op("Gather", builder.Unique(p + "B"), new[] { b, index }, IntAttribute("axis", 0));
                string wb = builder.Unique(p + "Wb"), rb = builder.Unique(p + "Rb");
                builder.AddNode("Split", new[] { bias, builder.AddInt64Vector(builder.Unique(p + "bias_split"), g * h, g * h) }, new[] { wb, rb }, IntAttribute("axis", 0));

                // Every step's input projection at once: [steps, batch, G·H].
                string projected = builder.Op("Add", builder.Unique(p + "xw"), new[] { builder.Op("MatMul", builder.Unique(p + "xw_mm"), new[] { x, wt }), wb });
                outputs[dir] = new string[steps];
                string? state = null, cell = null;
                for (int k = 0; k < steps; k++)
                {
                    int t = dir == 0 ? k : steps - 1 - k;
                    string q = $"{p}t{t}.";
                    string xt = builder.Op("Gather", builder.Unique(q + "x"), new[] { projected, builder.SharedInt64Scalar($"const.step{t}", t) }, IntAttribute("axis", 0));
                    // A zero state contributes only R's bias.
                    string hw = state is null ? rb : builder.Op("Gemm", builder.Unique(q + "hw"), new[] { state, rt, rb });
                    (state, cell) = Step(builder, architecture.Cell, q, h, xt, hw, state, cell);
                    outputs[dir][t] = state;
                }
                last[dir] = state!;
            }
            if (layer == architecture.NumLayers - 1)
                break;
            // The next layer reads [steps, batch, D·H]: each step's directions side by side, the steps stacked.
            var stacked = new string[steps];
            for (int t = 0; t < steps; t++)
            {
                string both = d == 1 ? outputs[0][t] : builder.Op("Concat", builder.Unique($"{prefix}l{layer}.t{t}.out"), new[] { outputs[0][t], outputs[1][t] }, IntAttribute("axis", 1));
                stacked[t] = builder.Op("Unsqueeze", builder.Unique($"{prefix}l{layer}.t{t}.step"), new[] { both, RecurrentStackEmitter.ConstAxes(builder, 0) });
            }
            x = builder.Op("Concat", builder.Unique($"{prefix}l{layer}.out"), stacked, IntAttribute("axis", 0));
        }
        return d == 1 ? last[0] : builder.Op("Concat", builder.Unique($"{prefix}features"), last, IntAttribute("axis", 1));
    }

    // One step of the cell in ONNX gate order, from the input's and the state's projections (each with its bias): the new hidden
    // state and, for an LSTM, the new cell state. A null state or cell means zeros.
    private static (string State, string? Cell) Step(OnnxGraphBuilder b, RecurrentCellKind cell, string q, int h, string xw, string hw, string? state, string? c)
    {
        switch (cell)
        {
            case RecurrentCellKind.Gru:
            {
                // z, r, h gates; PyTorch's (and linear_before_reset=1's) candidate: tanh(x_h + r ⊙ (R_h·state + Rb_h)).
                string sizes = b.SharedInt64Vector($"const.split_{2 * h}_{h}", 2 * h, h);
                string xzr = b.Unique(q + "xzr"), xn = b.Unique(q + "xn"), hzr = b.Unique(q + "hzr"), hn = b.Unique(q + "hn");
                b.AddNode("Split", new[] { xw, sizes }, new[] { xzr, xn }, IntAttribute("axis", -1));
                b.AddNode("Split", new[] { hw, sizes }, new[] { hzr, hn }, IntAttribute("axis", -1));
                string zr = b.Op("Sigmoid", b.Unique(q + "zr"), new[] { b.Op("Add", b.Unique(q + "zr_in"), new[] { xzr, hzr }) });
                string z = b.Unique(q + "z"), r = b.Unique(q + "r");
                b.AddNode("Split", new[] { zr, b.SharedInt64Vector($"const.split_{h}_{h}", h, h) }, new[] { z, r }, IntAttribute("axis", -1));
                string n = b.Op("Tanh", b.Unique(q + "n"), new[] { b.Op("Add", b.Unique(q + "n_in"), new[] { xn, b.Op("Mul", b.Unique(q + "rn"), new[] { r, hn }) }) });
                // (1 − z) ⊙ n + z ⊙ state = n + z ⊙ (state − n); with a zero state, n − z ⊙ n.
                string next = state is null
                    ? b.Op("Sub", b.Unique(q + "h"), new[] { n, b.Op("Mul", b.Unique(q + "zn"), new[] { z, n }) })
                    : b.Op("Add", b.Unique(q + "h"), new[] { n, b.Op("Mul", b.Unique(q + "zd"), new[] { z, b.Op("Sub", b.Unique(q + "d"), new[] { state, n }) }) });
                return (next, null);
            }
            case RecurrentCellKind.Lstm:
            {
                // i, o, f, c gates.
                string gates = b.Op("Add", b.Unique(q + "gates"), new[] { xw, hw });
                string iof = b.Unique(q + "iof"), cc = b.Unique(q + "cc");
                b.AddNode("Split", new[] { gates, b.SharedInt64Vector($"const.split_{3 * h}_{h}", 3 * h, h) }, new[] { iof, cc }, IntAttribute("axis", -1));
                string sig = b.Op("Sigmoid", b.Unique(q + "iof_s"), new[] { iof });
                string i = b.Unique(q + "i"), o = b.Unique(q + "o"), f = b.Unique(q + "f");
                b.AddNode("Split", new[] { sig, b.SharedInt64Vector($"const.split_{h}_{h}_{h}", h, h, h) }, new[] { i, o, f }, IntAttribute("axis", -1));
                string candidate = b.Op("Mul", b.Unique(q + "ic"), new[] { i, b.Op("Tanh", b.Unique(q + "c_t"), new[] { cc }) });
                string nextCell = c is null ? candidate : b.Op("Add", b.Unique(q + "c"), new[] { b.Op("Mul", b.Unique(q + "fc"), new[] { f, c }), candidate });
                string next = b.Op("Mul", b.Unique(q + "h"), new[] { o, b.Op("Tanh", b.Unique(q + "c_tanh"), new[] { nextCell }) });
                return (next, nextCell);
            }
            default:
            {
                string act = cell == RecurrentCellKind.RnnRelu ? "Relu" : "Tanh";
                return (b.Op(act, b.Unique(q + "h"), new[] { b.Op("Add", b.Unique(q + "in"), new[] { xw, hw }) }), null);
            }
        }
    }
}
