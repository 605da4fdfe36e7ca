using static MlNetRnn.Onnx.Export.OnnxGraphBuilder;

namespace MlNetRnn.Onnx.Export;

/// <summary>
/// Emits a recurrent stack over a fixed number of steps as plain ONNX ops, one small block per step (the input projection of all
/// steps in one MatMul split once into per-step pieces; per step a Gemm on the state and the gate arithmetic), instead of one LSTM/GRU/RNN node per layer.
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
    /// <param name="input">Value <c>[batch, steps, InputSize]</c> (batch-major: the unrolled form needs no transpose).</param>
    /// <param name="steps">The fixed number of steps.</param>
    public static string FinalStateFeatures(OnnxGraphBuilder builder, RecurrentArchitecture architecture, WeightSet weights, string prefix, string input, int steps)
    {
        architecture.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        int d = architecture.NumDirections, h = architecture.HiddenSize, g = architecture.GateCount;
        bool gru = architecture.Cell == RecurrentCellKind.Gru;
        string x = input;
        var last = new string[d];
        for (int layer = 0; layer < architecture.NumLayers; layer++)
        {
            var (w, r, b) = RecurrentStackEmitter.LayerTensors(builder, architecture, weights, prefix, layer);
            var outputs = new string[d][];
            for (int dir = 0; dir < d; dir++)
            {
                string p = $"{prefix}l{layer}.{(dir == 0 ? "fwd" : "bwd")}.";
                var weightsOf = DirectionWeights(builder, gru, h, g, w, r, b, dir, p);

                // Every step's input projection at once, [batch, steps, G·H], then one Split into per-step pieces: the steps
                // read plain [batch, ·] tensors with no Gather or Squeeze of their own.
                string projected = builder.Op("Add", builder.Unique(p + "xw"), new[] { builder.Op("MatMul", builder.Unique(p + "xw_mm"), new[] { x, weightsOf.InputT }), weightsOf.ProjectionBias });
                string flat = builder.Op("Reshape", builder.Unique(p + "xw_flat"), new[] { projected, RecurrentStackEmitter.ConstShape(builder, 0, -1) });
                int piecesPerStep = gru ? 2 : 1;
                var pieces = new string[steps * piecesPerStep];
                var sizes = new long[pieces.Length];
                for (int t = 0; t < steps; t++)
                {
                    if (gru)
                    {
                        (pieces[2 * t], pieces[2 * t + 1]) = (builder.Unique($"{p}t{t}.xzr"), builder.Unique($"{p}t{t}.xn"));
                        (sizes[2 * t], sizes[2 * t + 1]) = (2 * h, h);
                    }
                    else
                    {
                        pieces[t] = builder.Unique($"{p}t{t}.xw");
                        sizes[t] = g * h;
                    }
                }
                builder.AddNode("Split", new[] { flat, builder.SharedInt64Vector($"const.split_steps_{steps}x{g * h}{(gru ? "_gru" : "")}", sizes) }, pieces, IntAttribute("axis", 1));

                outputs[dir] = new string[steps];
                string? state = null, cell = null;
                for (int k = 0; k < steps; k++)
                {
                    int t = dir == 0 ? k : steps - 1 - k;
                    string q = $"{p}t{t}.";
                    string next;
                    if (gru)
                        next = GruStep(builder, q, h, pieces[2 * t], pieces[2 * t + 1], weightsOf, state);
                    else
                        (next, cell) = Step(builder, architecture.Cell, q, h, state is null ? pieces[t] : builder.Op("Gemm", builder.Unique(q + "gates_in"), new[] { state, weightsOf.StateT, pieces[t] }), cell);
                    outputs[dir][t] = state = next;
                }
                last[dir] = outputs[dir][dir == 0 ? steps - 1 : 0];
            }
            if (layer == architecture.NumLayers - 1)
                break;
            // The next layer reads [batch, steps, D·H]: each step's directions side by side, the steps one after another.
            var stacked = new string[steps];
            for (int t = 0; t < steps; t++)
                stacked[t] = d == 1 ? outputs[0][t] : builder.Op("Concat", builder.Unique($"{prefix}l{layer}.t{t}.out"), new[] { outputs[0][t], outputs[1][t] }, IntAttribute("axis", 1));
            string flatOut = builder.Op("Concat", builder.Unique($"{prefix}l{layer}.out_flat"), stacked, IntAttribute("axis", 1));
            x = builder.Op("Reshape", builder.Unique($"{prefix}l{layer}.out"), new[] { flatOut, RecurrentStackEmitter.ConstShape(builder, 0, steps, d * h) });
        }
        return d == 1 ? last[0] : builder.Op("Concat", builder.Unique($"{prefix}features"), last, IntAttribute("axis", 1));
    }

    // One direction's weights as the steps use them, all constant subgraphs of the W/R/B initializers (folded by ONNX Runtime when
    // the session opens). The state's bias is folded into the input projection wherever it is simply added (every gate of an
    // LSTM or RNN, the z and r gates of a GRU), so a step's Gemm adds the step's projected input as its C and needs no Add; only
    // the GRU candidate keeps R's bias on the state side, where PyTorch's r ⊙ (R·state + Rb) needs it.
    private static DirectionTensors DirectionWeights(OnnxGraphBuilder builder, bool gru, int h, int g, string w, string r, string b, int dir, string p)
    {
        string index = builder.SharedInt64Scalar($"const.direction{dir}", dir);
        string wt = builder.Op("Transpose", builder.Unique(p + "Wt"), new[] { builder.Op("Gather", builder.Unique(p + "W"), new[] { w, index }, IntAttribute("axis", 0)) });
        string rt = builder.Op("Transpose", builder.Unique(p + "Rt"), new[] { builder.Op("Gather", builder.Unique(p + "R"), new[] { r, index }, IntAttribute("axis", 0)) });
        string bias = builder.Op("Gather", builder.Unique(p + "B"), new[] { b, index }, IntAttribute("axis", 0));
        string wb = builder.Unique(p + "Wb"), rb = builder.Unique(p + "Rb");
        builder.AddNode("Split", new[] { bias, builder.AddInt64Vector(builder.Unique(p + "bias_split"), g * h, g * h) }, new[] { wb, rb }, IntAttribute("axis", 0));
        if (!gru)
            return new DirectionTensors(wt, rt, null, builder.Op("Add", builder.Unique(p + "bias"), new[] { wb, rb }), null);

        string sizes = builder.SharedInt64Vector($"const.split_{2 * h}_{h}", 2 * h, h);
        string wbZr = builder.Unique(p + "Wb_zr"), wbN = builder.Unique(p + "Wb_n"), rbZr = builder.Unique(p + "Rb_zr"), rbN = builder.Unique(p + "Rb_n");
        builder.AddNode("Split", new[] { wb, sizes }, new[] { wbZr, wbN }, IntAttribute("axis", 0));
        builder.AddNode("Split", new[] { rb, sizes }, new[] { rbZr, rbN }, IntAttribute("axis", 0));
        string projectionBias = builder.Op("Concat", builder.Unique(p + "bias"), new[] { builder.Op("Add", builder.Unique(p + "bias_zr"), new[] { wbZr, rbZr }), wbN }, IntAttribute("axis", 0));
        string rtZr = builder.Unique(p + "Rt_zr"), rtN = builder.Unique(p + "Rt_n");
        builder.AddNode("Split", new[] { rt, sizes }, new[] { rtZr, rtN }, IntAttribute("axis", 1));
        return new DirectionTensors(wt, rtZr, rtN, projectionBias, rbN);
    }

    // W^T [in, G·H]; R^T [H, G·H] (a GRU's z and r part only, [H, 2·H]); a GRU's candidate part of R^T [H, H] and its bias [H];
    // the input projection's bias with the state's additive biases folded in [G·H].
    private sealed record DirectionTensors(string InputT, string StateT, string? CandidateStateT, string ProjectionBias, string? CandidateStateBias);

    // One GRU step in ONNX gate order (z, r, h), PyTorch's (and linear_before_reset=1's) candidate tanh(x_h + r ⊙ (R_h·state + Rb_h)).
    // xzr holds both biases of z and r already; a null state means zeros.
    private static string GruStep(OnnxGraphBuilder b, string q, int h, string xzr, string xn, DirectionTensors weights, string? state)
    {
        string zrIn = state is null ? xzr : b.Op("Gemm", b.Unique(q + "zr_in"), new[] { state, weights.StateT, xzr });
        string zr = b.Op("Sigmoid", b.Unique(q + "zr"), new[] { zrIn });
        string z = b.Unique(q + "z"), r = b.Unique(q + "r");
        b.AddNode("Split", new[] { zr, b.SharedInt64Vector($"const.split_{h}_{h}", h, h) }, new[] { z, r }, IntAttribute("axis", -1));
        // A zero state contributes only R's candidate bias.
        string hn = state is null ? weights.CandidateStateBias! : b.Op("Gemm", b.Unique(q + "hn"), new[] { state, weights.CandidateStateT!, weights.CandidateStateBias! });
        string n = b.Op("Tanh", b.Unique(q + "n"), new[] { b.Op("Add", b.Unique(q + "n_in"), new[] { xn, b.Op("Mul", b.Unique(q + "rn"), new[] { r, hn }) }) });
        // (1 − z) ⊙ n + z ⊙ state = n + z ⊙ (state − n); with a zero state, n − z ⊙ n.
        return state is null
            ? b.Op("Sub", b.Unique(q + "h"), new[] { n, b.Op("Mul", b.Unique(q + "zn"), new[] { z, n }) })
            : b.Op("Add", b.Unique(q + "h"), new[] { n, b.Op("Mul", b.Unique(q + "zd"), new[] { z, b.Op("Sub", b.Unique(q + "d"), new[] { state, n }) }) });
    }

    // One LSTM or RNN step from its gates' pre-activations (input and state projections with every bias already summed): the new
    // hidden state and, for an LSTM, the new cell state. A null cell means zeros.
    private static (string State, string? Cell) Step(OnnxGraphBuilder b, RecurrentCellKind cell, string q, int h, string gates, string? c)
    {
        if (cell == RecurrentCellKind.Lstm)
        {
            // i, o, f, c gates.
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
        string act = cell == RecurrentCellKind.RnnRelu ? "Relu" : "Tanh";
        return (b.Op(act, b.Unique(q + "h"), new[] { gates }), null);
    }
}
