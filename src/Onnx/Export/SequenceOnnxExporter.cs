using System.Globalization;
using MlNetRnn.Onnx.Protobuf;
using static MlNetRnn.Onnx.Export.OnnxGraphBuilder;
using static MlNetRnn.Onnx.Export.RecurrentStackEmitter;

namespace MlNetRnn.Onnx.Export;

/// <summary>
/// Exports any recurrent sequence model of this library (embedding or float features, LSTM/GRU/RNN stack of any depth and
/// direction, head on the last step, every step or the mean, linear/sigmoid/softmax activation, optional lengths and state)
/// to an ONNX model whose inputs and outputs are batch-first. docs/ONNX.md lists the graph's inputs, outputs and metadata.
/// </summary>
public static class SequenceOnnxExporter
{
    /// <summary>Builds the ONNX model bytes (opset 17, IR 8).</summary>
    /// <param name="description">The model's shape and which optional inputs/outputs the graph has.</param>
    /// <param name="weights">
    /// TorchSharp-named weights: <c>rnn.*</c>, <c>head.weight</c> <c>[outputs, D·H]</c>, <c>head.bias</c> <c>[outputs]</c>,
    /// and <c>embedding.weight</c> <c>[vocabulary, InputSize]</c> when the model reads token ids.
    /// </param>
    /// <param name="extraMetadata">More <c>metadata_props</c> entries; they may not override the standard keys.</param>
    /// <exception cref="ArgumentException">The description is invalid, a weight is misshaped, or metadata collides with a standard key.</exception>
    /// <exception cref="KeyNotFoundException">A weight the description needs is missing (the message lists the weights present).</exception>
    public static byte[] Export(SequenceModelDescription description, WeightSet weights, IEnumerable<KeyValuePair<string, string>>? extraMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(weights);
        description.Validate();
        var arch = description.Architecture;
        int d = arch.NumDirections, outputs = description.OutputSize;
        bool everyStep = description.Pooling == SequencePooling.EveryStep;
        const TensorProto.Types.DataType F = TensorProto.Types.DataType.Float;

        string summary = Summary(description);
        var b = new OnnxGraphBuilder("mlnetrnn_" + description.Task, summary);

        // Inputs, batch-first; the recurrent ops want time-major, so ids (cheaper than floats) or features are transposed once.
        string timeMajor;
        string? lengths = null, timeIds = null;
        // Graph inputs are declared in a fixed order: the data (tokens or input), then lengths, then the states.
        string? DeclareLengths()
        {
            if (!description.UsesLengths)
                return null;
            if (!description.LengthsColumnShape)
                return b.AddInput(SequenceOnnxNames.Lengths, TensorProto.Types.DataType.Int32, "batch");
            string column = b.AddInput(SequenceOnnxNames.Lengths, TensorProto.Types.DataType.Int32, "batch", 1);
            return b.Op("Reshape", "lengths.flat", new[] { column, b.AddInt64Vector("const.lengths_shape", -1) });
        }
        string? characterIds = null;
        // The n-gram part reads the token strings and lengths as they come in; it truncates them itself and has no begin token.
        string? ngramTokens = null, ngramLengths = null;
        string? DeclareCharacters() => description.CharacterFeatures is { } chars ? CharacterIds(b, chars) : null;
        if (description.UsesEmbedding)
        {
            string ids;
            if (description.TokenStrings is { } strings)
            {
                string text = b.AddInput(SequenceOnnxNames.Tokens, TensorProto.Types.DataType.String, "batch", "seq");
                characterIds = DeclareCharacters();
                lengths = DeclareLengths();
                var encoder = new[]
                {
                    StringsAttribute("keys_strings", strings.ToArray()),
                    IntsAttribute("values_int64s", Enumerable.Range(0, strings.Count).Select(i => (long)i).ToArray()),
                    IntAttribute("default_int64", description.UnknownTokenId),
                };
                b.AddNode("ai.onnx.ml", "LabelEncoder", new[] { text }, new[] { b.Unique("tokens.ids") }, encoder);
                ids = "tokens.ids";
                (ngramTokens, ngramLengths) = (text, lengths);
            }
            else
            {
                ids = b.AddInput(SequenceOnnxNames.Tokens, TensorProto.Types.DataType.Int64, "batch", "seq");
                characterIds = DeclareCharacters();
                lengths = DeclareLengths();
            }
            if (description.MaxSteps > 0)
            {
                ids = b.Op("Slice", "tokens.truncated", new[] { ids, ConstAxes(b, 0), ConstAxes(b, description.MaxSteps), ConstAxes(b, 1) });
                if (characterIds is not null)
                    characterIds = b.Op("Slice", "chars.truncated", new[] { characterIds, ConstAxes(b, 0), ConstAxes(b, description.MaxSteps), ConstAxes(b, 1) });
                if (lengths is not null)
                    lengths = b.Op("Min", "lengths.truncated", new[] { lengths, b.AddInt32Vector("const.max_steps", description.MaxSteps) });
            }
            if (description.BeginTokenId >= 0)
            {
                // [batch, 1] filled with the begin token, in front of every row: an empty row still has one step to read.
                string batchDim = b.Op("Shape", "tokens.batch", new[] { ids }, IntAttribute("start", 0), IntAttribute("end", 1));
                string shape = b.Op("Concat", "tokens.begin_shape", new[] { batchDim, ConstAxes(b, 1) }, IntAttribute("axis", 0));
                string begin = b.Op("ConstantOfShape", "tokens.begin", new[] { shape }, Int64TensorAttribute("value", description.BeginTokenId));
                ids = b.Op("Concat", "tokens.with_begin", new[] { begin, ids }, IntAttribute("axis", 1));
                if (lengths is not null)
                    lengths = b.Op("Add", "lengths.with_begin", new[] { lengths, b.AddInt32Vector("const.one_i32", 1) });
            }
            timeIds = b.Op("Transpose", "tokens.time_major", new[] { ids }, IntsAttribute("perm", 1, 0));
            timeMajor = timeIds;
        }
        else
        {
            string x;
            if (description.FlattenedSteps > 0)
            {
                // ML.NET hands a row's steps as one flat vector; the reshape is free (no copy) in ONNX Runtime.
                x = b.AddInput(SequenceOnnxNames.Input, F, "batch", description.FlattenedSteps * arch.InputSize);
                x = b.Op("Reshape", "input.steps", new[] { x, b.AddInt64Vector("const.step_shape", 0, description.FlattenedSteps, arch.InputSize) });
            }
            else if (description.FlattenedAnySteps)
            {
                x = b.AddInput(SequenceOnnxNames.Input, F, "batch", "values");
                x = b.Op("Reshape", "input.steps", new[] { x, b.AddInt64Vector("const.step_shape", 0, -1, arch.InputSize) });
            }
            else
            {
                x = b.AddInput(SequenceOnnxNames.Input, F, "batch", "seq", arch.InputSize);
            }
            lengths = DeclareLengths();
            if (description.InputScaling is { } scaling)
            {
                x = b.Op("Sub", "input.centered", new[] { x, b.AddFloat("scaler.input_center", new long[] { scaling.Count }, scaling.Center) });
                x = b.Op("Div", "input.scaled", new[] { x, b.AddFloat("scaler.input_scale", new long[] { scaling.Count }, scaling.Scale) });
            }
            timeMajor = b.Op("Transpose", "input.time_major", new[] { x }, IntsAttribute("perm", 1, 0, 2));
        }
        string? h0 = null, c0 = null;
        if (description.ExposesState)
        {
            h0 = b.AddInput(SequenceOnnxNames.InitialHidden, F, arch.NumLayers * d, "batch", arch.HiddenSize);
            if (arch.Cell == RecurrentCellKind.Lstm)
                c0 = b.AddInput(SequenceOnnxNames.InitialCell, F, arch.NumLayers * d, "batch", arch.HiddenSize);
        }

        // Each member: its embedding, stack, head and wide part on the shared inputs; an ensemble averages their logits in one Mean node.
        var memberLogits = new string[description.Members];
        RecurrentStackOutputs? stack = null;
        for (int k = 0; k < description.Members; k++)
            (memberLogits[k], stack) = MemberLogits(b, description, weights, description.MemberPrefix(k), timeMajor, timeIds, characterIds, lengths, h0, c0);
        string y = description.Members == 1 ? memberLogits[0] : b.Op("Mean", "ensemble.mean", memberLogits);
        if (description.Ngrams is { } ngramPart)
            y = b.Op("Add", "ngrams.added", new[] { NetworkScale(b, weights, y), NgramLogits(b, ngramPart, weights, description.OutputSize, ngramTokens!, ngramLengths, description.MaxSteps) });

        object[] outShape = everyStep ? new object[] { "batch", "seq", outputs } : new object[] { "batch", outputs };
        switch (description.Activation)
        {
            case HeadActivation.Linear:
                if (description.OutputScaling is { } unscale)
                {
                    y = b.Op("Mul", "output.scaled", new[] { y, b.AddFloat("scaler.output_scale", new long[] { unscale.Count }, unscale.Scale) });
                    y = b.Op("Add", "output.raw", new[] { y, b.AddFloat("scaler.output_center", new long[] { unscale.Count }, unscale.Center) });
                }
                b.Op("Identity", SequenceOnnxNames.Output, new[] { y });
                b.AddOutput(SequenceOnnxNames.Output, F, outShape);
                break;
            case HeadActivation.Sigmoid:
                b.Op("Identity", SequenceOnnxNames.Logits, new[] { y });
                b.Op("Sigmoid", SequenceOnnxNames.Probabilities, new[] { y });
                b.AddOutput(SequenceOnnxNames.Logits, F, outShape);
                b.AddOutput(SequenceOnnxNames.Probabilities, F, outShape);
                break;
            default:
                b.Op("Identity", SequenceOnnxNames.Logits, new[] { y });
                b.Op("Softmax", SequenceOnnxNames.Probabilities, new[] { y }, IntAttribute("axis", -1));
                b.AddOutput(SequenceOnnxNames.Logits, F, outShape);
                b.AddOutput(SequenceOnnxNames.Probabilities, F, outShape);
                if (description.PredictedIndexOutput)
                {
                    b.Op("ArgMax", SequenceOnnxNames.PredictedIndex, new[] { y }, IntAttribute("axis", -1), IntAttribute("keepdims", 0));
                    b.AddOutput(SequenceOnnxNames.PredictedIndex, TensorProto.Types.DataType.Int64, "batch");
                }
                if (description.OutputLabels is { } labels)
                {
                    // Names, not indices, leave the graph: a deployed tagger needs no label file next to it.
                    object[] perItem = everyStep ? new object[] { "batch", "seq" } : new object[] { "batch" };
                    string index = b.Op("ArgMax", "head.argmax", new[] { y }, IntAttribute("axis", -1), IntAttribute("keepdims", 0));
                    var decoder = new[]
                    {
                        IntsAttribute("keys_int64s", Enumerable.Range(0, labels.Count).Select(i => (long)i).ToArray()),
                        StringsAttribute("values_strings", labels.ToArray()),
                        StringAttribute("default_string", string.Empty),
                    };
                    b.AddNode("ai.onnx.ml", "LabelEncoder", new[] { index }, new[] { b.Unique(SequenceOnnxNames.PredictedLabel) }, decoder);
                    b.AddOutput(SequenceOnnxNames.PredictedLabel, TensorProto.Types.DataType.String, perItem);
                    b.Op("ReduceMax", SequenceOnnxNames.PredictedProbability, new[] { SequenceOnnxNames.Probabilities }, IntsAttribute("axes", -1), IntAttribute("keepdims", 0));
                    b.AddOutput(SequenceOnnxNames.PredictedProbability, F, perItem);
                }
                break;
        }
        if (description.ExposesState)
        {
            b.Op("Identity", SequenceOnnxNames.FinalHidden, new[] { stack!.FinalHidden! });
            b.AddOutput(SequenceOnnxNames.FinalHidden, F, arch.NumLayers * d, "batch", arch.HiddenSize);
            if (stack.FinalCell is not null)
            {
                b.Op("Identity", SequenceOnnxNames.FinalCell, new[] { stack.FinalCell });
                b.AddOutput(SequenceOnnxNames.FinalCell, F, arch.NumLayers * d, "batch", arch.HiddenSize);
            }
        }

        var metadata = StandardMetadata(description);
        RecurrentMetadata.AddExtra(metadata, extraMetadata);
        return OnnxModelWriter.Serialize(b.Graph, summary, metadata);
    }

    /// <summary>Initializer name of an every-step head's weight, stored transposed (<c>[D·H, outputs]</c>) for MatMul.</summary>
    public const string HeadWeightTransposedName = "head.weight_t";

    /// <summary>
    /// One member's head values before the activation: its embedding lookup (token models), recurrent stack, pooling, head and wide
    /// part. Every weight and node name carries the member's prefix (empty for a single network, so its graph keeps the plain names).
    /// </summary>
    private static (string Logits, RecurrentStackOutputs Stack) MemberLogits(OnnxGraphBuilder b, SequenceModelDescription description, WeightSet weights,
        string p, string timeMajor, string? timeIds, string? characterIds, string? lengths, string? h0, string? c0)
    {
        var arch = description.Architecture;
        int outputs = description.OutputSize;
        string? wideTokens = null;
        string input = timeMajor;
        if (description.UsesEmbedding)
        {
            var table = weights.Get(p + "embedding.weight", description.VocabularySize, description.EmbeddingSize);
            string e = b.AddFloat(p + "embedding.weight", table.Shape, table.Data);
            input = b.Op("Gather", p + "embedded", new[] { e, timeIds! }, IntAttribute("axis", 0));
            if (description.CharacterFeatures is { } chars)
                input = b.Op("Concat", p + "embedded.with_chars", new[] { input, CharacterFeatures(b, chars, weights, p, characterIds!) }, IntAttribute("axis", 2));
            if (description.WideTokens)
            {
                var wide = weights.Get(p + "wide.weight", description.VocabularySize, outputs);
                wideTokens = b.Op("Gather", p + "wide.tokens", new[] { b.AddFloat(p + "wide.weight", wide.Shape, wide.Data), timeIds! }, IntAttribute("axis", 0));
            }
        }

        var stack = Emit(b, arch, weights, p + "rnn.", input, new RecurrentStackRequest
        {
            SequenceLengths = lengths,
            InitialHidden = h0,
            InitialCell = c0,
            SequenceOutput = description.Pooling != SequencePooling.LastStep,
            FinalStates = description.ExposesState,
            LastLayerFinalHidden = description.Pooling == SequencePooling.LastStep,
        });

        var headWeight = weights.Get(p + "head.weight", outputs, description.HeadInputSize);
        var headBias = weights.Get(p + "head.bias", outputs);
        string bias = b.AddFloat(p + "head.bias", headBias.Shape, headBias.Data);
        string y;
        switch (description.Pooling)
        {
            case SequencePooling.EveryStep:
            {
                // MatMul on the time-major output, then transpose the (usually narrower) result to batch-first.
                var transposed = new float[headWeight.Data.Length];
                for (int o = 0; o < outputs; o++)
                for (int i = 0; i < arch.OutputSize; i++)
                    transposed[i * outputs + o] = headWeight.Data[o * arch.OutputSize + i];
                string wt = b.AddFloat(p + HeadWeightTransposedName, new long[] { arch.OutputSize, outputs }, transposed);
                string mm = b.Op("MatMul", p + "head.matmul", new[] { stack.SequenceOutput!, wt });
                string added = b.Op("Add", p + "head.time_major", new[] { mm, bias });
                y = b.Op("Transpose", p + "head.out", new[] { added }, IntsAttribute("perm", 1, 0, 2));
                break;
            }
            case SequencePooling.Mean:
            {
                string? mask = lengths is null ? null : StepMask(b, stack.SequenceOutput!, lengths, p + "mean");
                y = Gemm(b, p, MeanFeatures(b, stack.SequenceOutput!, lengths, mask, p + "mean", p + "features"), headWeight, bias);
                break;
            }
            case SequencePooling.MeanMax:
            {
                string? mask = lengths is null ? null : StepMask(b, stack.SequenceOutput!, lengths, p + "mean");
                string mean = MeanFeatures(b, stack.SequenceOutput!, lengths, mask, p + "mean", p + "features");
                string max = MaxFeatures(b, stack.SequenceOutput!, mask, p);
                y = Gemm(b, p, b.Op("Concat", p + "features.mean_max", new[] { mean, max }, IntAttribute("axis", 1)), headWeight, bias);
                break;
            }
            default:
                y = Gemm(b, p, FinalStateFeatures(b, arch, stack), headWeight, bias);
                break;
        }

        if (wideTokens is not null)
        {
            // The wide part: the mean over valid steps of each token's learned weights, added to the logits.
            string? wideMask = lengths is null ? null : StepMask(b, wideTokens, lengths, p + "wide");
            y = b.Op("Add", p + "head.wide_added", new[] { y, MeanFeatures(b, wideTokens, lengths, wideMask, p + "wide", p + "wide.mean") });
        }
        return (y, stack);
    }

    // token_chars (code points) → character ids [batch, seq, chars]: unknown code points become 1, zeros (padding) stay 0.
    private static string CharacterIds(OnnxGraphBuilder b, CharacterConvolution chars)
    {
        int max = CharacterConvolution.MaxCharacters;
        string codePoints = chars.FlattenedInput
            ? b.AddInput(SequenceOnnxNames.TokenCharacters, TensorProto.Types.DataType.Int64, "batch", "seq_chars")
            : b.AddInput(SequenceOnnxNames.TokenCharacters, TensorProto.Types.DataType.Int64, "batch", "seq", "chars");
        if (chars.FlattenedInput)
        {
            // The step count comes from the tokens' shape, not from the code points: with no tokens, -1 could not be inferred from 0 values.
            string steps = b.Op("Shape", "chars.token_shape", new[] { SequenceOnnxNames.Tokens }, IntAttribute("start", 0), IntAttribute("end", 2));
            string shape = b.Op("Concat", "chars.step_shape", new[] { steps, b.AddInt64Vector("const.char_shape", max) }, IntAttribute("axis", 0));
            // allowzero: a 0 in a computed shape means zero steps, not "copy the input's dimension".
            codePoints = b.Op("Reshape", "chars.steps", new[] { codePoints, shape }, IntAttribute("allowzero", 1));
        }
        else
        {
            codePoints = b.Op("Slice", "chars.first", new[] { codePoints, ConstAxes(b, 0), ConstAxes(b, max), ConstAxes(b, 2) });
        }
        var encoder = new[]
        {
            IntsAttribute("keys_int64s", new long[] { 0 }.Concat(chars.CodePoints.Select(c => (long)c)).ToArray()),
            IntsAttribute("values_int64s", new long[] { CharacterConvolution.PadId }.Concat(Enumerable.Range(2, chars.CodePoints.Count).Select(i => (long)i)).ToArray()),
            IntAttribute("default_int64", CharacterConvolution.UnknownId),
        };
        b.AddNode("ai.onnx.ml", "LabelEncoder", new[] { codePoints }, new[] { b.Unique("chars.ids") }, encoder);
        return "chars.ids";
    }

    // One member's spelling features, time-major [seq, batch, filters]: embedding, convolution, ReLU, zero at padding characters
    // (every valid value is ≥ 0 after the ReLU, so zeros never change a maximum), maximum over the characters.
    private static string CharacterFeatures(OnnxGraphBuilder b, CharacterConvolution chars, WeightSet weights, string p, string ids)
    {
        var table = weights.Get(p + "chars.embedding.weight", chars.AlphabetSize, chars.EmbeddingSize);
        var kernel = weights.Get(p + "chars.conv.weight", chars.Filters, chars.EmbeddingSize, chars.KernelWidth);
        var bias = weights.Get(p + "chars.conv.bias", chars.Filters);
        string embedded = b.Op("Gather", p + "chars.embedded", new[] { b.AddFloat(p + "chars.embedding.weight", table.Shape, table.Data), ids }, IntAttribute("axis", 0));
        string width = b.Op("Shape", p + "chars.width", new[] { ids }, IntAttribute("start", 2), IntAttribute("end", 3));
        string wordsShape = b.Op("Concat", p + "chars.words_shape", new[] { b.AddInt64Vector(p + "const.minus_one", -1), width, b.AddInt64Vector(p + "const.char_embedding", chars.EmbeddingSize) }, IntAttribute("axis", 0));
        string words = b.Op("Reshape", p + "chars.words", new[] { embedded, wordsShape });
        string channels = b.Op("Transpose", p + "chars.channels", new[] { words }, IntsAttribute("perm", 0, 2, 1));
        int pad = chars.KernelWidth / 2;
        string conv = b.Op("Conv", p + "chars.conv", new[]
        {
            channels, b.AddFloat(p + "chars.conv.weight", kernel.Shape, kernel.Data), b.AddFloat(p + "chars.conv.bias", bias.Shape, bias.Data),
        }, IntsAttribute("kernel_shape", chars.KernelWidth), IntsAttribute("pads", pad, pad));
        string relu = b.Op("Relu", p + "chars.relu", new[] { conv });
        string valid = b.Op("Cast", p + "chars.valid", new[] { b.Op("Not", p + "chars.is_pad_not", new[] { b.Op("Equal", p + "chars.is_pad", new[] { ids, b.SharedInt64Scalar("const.zero", 0) }) }) },
            IntAttribute("to", (long)TensorProto.Types.DataType.Float));
        string mask = b.Op("Reshape", p + "chars.mask", new[] { valid, b.AddInt64Vector(p + "const.char_mask", -1, 1, 0) });
        string pooled = b.Op("ReduceMax", p + "chars.max", new[] { b.Op("Mul", p + "chars.masked", new[] { relu, mask }) }, IntsAttribute("axes", 2), IntAttribute("keepdims", 0));
        string batchSeq = b.Op("Shape", p + "chars.batch_seq", new[] { ids }, IntAttribute("start", 0), IntAttribute("end", 2));
        string shape = b.Op("Concat", p + "chars.features_shape", new[] { batchSeq, b.AddInt64Vector(p + "const.char_filters", chars.Filters) }, IntAttribute("axis", 0));
        string features = b.Op("Reshape", p + "chars.features", new[] { pooled, shape }, IntAttribute("allowzero", 1));
        return b.Op("Transpose", p + "chars.time_major", new[] { features }, IntsAttribute("perm", 1, 0, 2));
    }

    private static string Gemm(OnnxGraphBuilder b, string p, string features, NamedTensor weight, string bias)
    {
        string w = b.AddFloat(p + "head.weight", weight.Shape, weight.Data);
        return b.Op("Gemm", p + "head.out", new[] { features, w, bias }, IntAttribute("transB", 1));
    }

    // Mean over the valid steps of [seq, batch, D·H]. With lengths, padded steps are masked out explicitly rather than
    // trusting the runtime to have zeroed them.
    private static string MeanFeatures(OnnxGraphBuilder b, string sequence, string? lengths, string? mask, string prefix = "mean", string output = "features")
    {
        if (lengths is null || mask is null)
            return b.Op("ReduceMean", output, new[] { sequence }, IntsAttribute("axes", 0), IntAttribute("keepdims", 0));
        string maskF = b.Op("Cast", prefix + ".mask_f", new[] { mask }, IntAttribute("to", (long)TensorProto.Types.DataType.Float));
        string masked = b.Op("Mul", prefix + ".masked", new[] { sequence, b.Op("Unsqueeze", prefix + ".mask_3d", new[] { maskF, ConstAxes(b, 2) }) });
        string sum = b.Op("ReduceSum", prefix + ".sum", new[] { masked, ConstAxes(b, 0) }, IntAttribute("keepdims", 0));
        string lenF = b.Op("Cast", prefix + ".lengths_f", new[] { lengths }, IntAttribute("to", (long)TensorProto.Types.DataType.Float));
        return b.Op("Div", output, new[] { sum, b.Op("Unsqueeze", prefix + ".count", new[] { lenF, ConstAxes(b, 1) }) });
    }

    // The n-gram part: each token's row (its word's index, or the zero row), each adjacent pair's row (through the pair keys), summed
    // over the valid tokens and pairs of [batch, seq] strings, plus the bias: [batch, outputs].
    private static string NgramLogits(OnnxGraphBuilder b, NgramPart part, WeightSet weights, int outputs, string tokens, string? lengths, int maxSteps)
    {
        var table = weights.Get("ngrams.weight", part.Rows, outputs);
        var bias = weights.Get("ngrams.bias", outputs);
        string rows = b.AddFloat("ngrams.weight", table.Shape, table.Data);
        if (maxSteps > 0)
        {
            tokens = b.Op("Slice", "ngrams.tokens", new[] { tokens, ConstAxes(b, 0), ConstAxes(b, maxSteps), ConstAxes(b, 1) });
            if (lengths is not null)
                lengths = b.Op("Min", "ngrams.lengths", new[] { lengths, b.AddInt32Vector("ngrams.max_steps", maxSteps) });
        }
        var words = new[]
        {
            StringsAttribute("keys_strings", part.Words.ToArray()),
            IntsAttribute("values_int64s", Enumerable.Range(0, part.Words.Count).Select(i => (long)i).ToArray()),
            IntAttribute("default_int64", part.UnseenRow),
        };
        b.AddNode("ai.onnx.ml", "LabelEncoder", new[] { tokens }, new[] { b.Unique("ngrams.word_rows") }, words);
        string wordRows = "ngrams.word_rows";

        // Pairs: key = left × Rows + right over adjacent steps, then the key's row (the zero row for a pair without one).
        string left = b.Op("Slice", "ngrams.left", new[] { wordRows, ConstAxes(b, 0), ConstAxes(b, -1), ConstAxes(b, 1) });
        string right = b.Op("Slice", "ngrams.right", new[] { wordRows, ConstAxes(b, 1), ConstAxes(b, long.MaxValue), ConstAxes(b, 1) });
        string keys = b.Op("Add", "ngrams.pair_keys", new[] { b.Op("Mul", "ngrams.left_scaled", new[] { left, b.AddInt64("ngrams.key_scale", Array.Empty<long>(), new long[] { part.Rows }) }), right });
        var pairs = new[]
        {
            IntsAttribute("keys_int64s", part.BigramKeys.ToArray()),
            IntsAttribute("values_int64s", Enumerable.Range(part.Words.Count, part.BigramKeys.Count).Select(i => (long)i).ToArray()),
            IntAttribute("default_int64", part.UnseenRow),
        };
        string pairRows = b.Unique("ngrams.pair_rows");
        if (part.BigramKeys.Count > 0)
            b.AddNode("ai.onnx.ml", "LabelEncoder", new[] { keys }, new[] { pairRows }, pairs);
        else
            pairRows = b.Op("Where", pairRows, new[] { b.Op("Equal", "ngrams.no_pairs", new[] { keys, keys }), b.AddInt64("ngrams.unseen_row", Array.Empty<long>(), new long[] { part.UnseenRow }), keys });

        string wordSum = NgramSum(b, b.Op("Gather", "ngrams.word_values", new[] { rows, wordRows }, IntAttribute("axis", 0)), lengths, 0, "ngrams.words");
        string pairSum = NgramSum(b, b.Op("Gather", "ngrams.pair_values", new[] { rows, pairRows }, IntAttribute("axis", 0)), lengths, 1, "ngrams.pairs");
        string sum = b.Op("Add", "ngrams.sum", new[] { wordSum, pairSum });
        return b.Op("Add", "ngrams.logits", new[] { sum, b.AddFloat("ngrams.bias", bias.Shape, bias.Data) });
    }

    // The networks' mean logits times ngrams.network_scale [1], chosen with the n-gram part's weight.
    private static string NetworkScale(OnnxGraphBuilder b, WeightSet weights, string logits)
    {
        var scale = weights.Get("ngrams.network_scale", 1);
        return b.Op("Mul", "ngrams.network_scaled", new[] { logits, b.AddFloat("ngrams.network_scale", scale.Shape, scale.Data) });
    }

    // Sum over the steps of [batch, steps, outputs] values whose step is valid: step t counts when t < length − shortfall (a pair
    // at t needs the token at t + 1). Without lengths every step counts.
    private static string NgramSum(OnnxGraphBuilder b, string values, string? lengths, int shortfall, string p)
    {
        if (lengths is null)
            return b.Op("ReduceSum", p + ".sum", new[] { values, ConstAxes(b, 1) }, IntAttribute("keepdims", 0));
        string shape = b.Op("Shape", p + ".shape", new[] { values });
        string steps = b.Op("Gather", p + ".steps", new[] { shape, b.SharedInt64Scalar("const.one", 1) }, IntAttribute("axis", 0));
        string range = b.Op("Range", p + ".range", new[] { b.SharedInt64Scalar("const.zero", 0), steps, "const.one" });
        string limit = b.Op("Cast", p + ".lengths64", new[] { lengths }, IntAttribute("to", (long)TensorProto.Types.DataType.Int64));
        if (shortfall > 0)
            limit = b.Op("Sub", p + ".limit", new[] { limit, b.SharedInt64Scalar("const.one", 1) });
        string mask = b.Op("Less", p + ".mask", new[]
        {
            b.Op("Unsqueeze", p + ".range_row", new[] { range, ConstAxes(b, 0) }),
            b.Op("Unsqueeze", p + ".limit_col", new[] { limit, ConstAxes(b, 1) }),
        });
        string maskF = b.Op("Unsqueeze", p + ".mask_3d", new[] { b.Op("Cast", p + ".mask_f", new[] { mask }, IntAttribute("to", (long)TensorProto.Types.DataType.Float)), ConstAxes(b, 2) });
        return b.Op("ReduceSum", p + ".sum", new[] { b.Op("Mul", p + ".masked", new[] { values, maskF }), ConstAxes(b, 1) }, IntAttribute("keepdims", 0));
    }

    // Element-wise maximum over the valid steps of [seq, batch, D·H]; padded steps are replaced by the lowest float first.
    private static string MaxFeatures(OnnxGraphBuilder b, string sequence, string? mask, string p)
    {
        if (mask is null)
            return b.Op("ReduceMax", p + "max.features", new[] { sequence }, IntsAttribute("axes", 0), IntAttribute("keepdims", 0));
        string mask3d = b.Op("Unsqueeze", p + "max.mask_3d", new[] { mask, ConstAxes(b, 2) });
        string lowest = b.AddFloat(p + "const.lowest", Array.Empty<long>(), new[] { float.MinValue });
        string masked = b.Op("Where", p + "max.masked", new[] { mask3d, sequence, lowest });
        return b.Op("ReduceMax", p + "max.features", new[] { masked }, IntsAttribute("axes", 0), IntAttribute("keepdims", 0));
    }

    // [seq, batch] Boolean: step t of row r is valid (t < lengths[r]).
    private static string StepMask(OnnxGraphBuilder b, string sequence, string lengths, string prefix = "mean")
    {
        string shape = b.Op("Shape", prefix + ".shape", new[] { sequence });
        string steps = b.Op("Gather", prefix + ".steps", new[] { shape, b.SharedInt64Scalar("const.zero", 0) }, IntAttribute("axis", 0));
        string range = b.Op("Range", prefix + ".range", new[] { "const.zero", steps, b.SharedInt64Scalar("const.one", 1) });
        string len64 = b.Op("Cast", prefix + ".lengths64", new[] { lengths }, IntAttribute("to", (long)TensorProto.Types.DataType.Int64));
        return b.Op("Less", prefix + ".mask", new[]
        {
            b.Op("Unsqueeze", prefix + ".range_col", new[] { range, ConstAxes(b, 1) }),
            b.Op("Unsqueeze", prefix + ".lengths_row", new[] { len64, ConstAxes(b, 0) }),
        });
    }

    internal static Dictionary<string, string> StandardMetadata(SequenceModelDescription d)
    {
        var m = RecurrentMetadata.Common(d.Task, d.Architecture);
        m[OnnxMetadataKeys.Pooling] = SequenceModelDescription.PoolingName(d.Pooling);
        m[OnnxMetadataKeys.HeadActivation] = SequenceModelDescription.ActivationName(d.Activation);
        m[OnnxMetadataKeys.HeadOutputs] = RecurrentMetadata.Int(d.OutputSize);
        m[OnnxMetadataKeys.InputKind] = d.TokenStrings is not null ? "token_strings" : d.UsesEmbedding ? "tokens" : "features";
        if (d.UsesEmbedding)
            m[OnnxMetadataKeys.VocabularySize] = RecurrentMetadata.Int(d.VocabularySize);
        if (d.TokenStrings is not null)
        {
            m[OnnxMetadataKeys.TokenStrings] = Transforms.Text.Vocabulary.FromTokens(d.TokenStrings).ToJson();
            m[OnnxMetadataKeys.UnknownTokenId] = RecurrentMetadata.Int(d.UnknownTokenId);
        }
        if (d.MaxSteps > 0)
            m[OnnxMetadataKeys.MaxSteps] = RecurrentMetadata.Int(d.MaxSteps);
        if (d.BeginTokenId >= 0)
            m[OnnxMetadataKeys.BeginTokenId] = RecurrentMetadata.Int(d.BeginTokenId);
        if (d.PredictedIndexOutput)
            m[OnnxMetadataKeys.PredictedIndex] = "true";
        if (d.WideTokens)
            m[OnnxMetadataKeys.WideTokens] = "true";
        if (d.Ngrams is { } ngrams)
        {
            m[OnnxMetadataKeys.NgramWords] = Transforms.Text.Vocabulary.FromTokens(ngrams.Words).ToJson();
            m[OnnxMetadataKeys.NgramBigramKeys] = string.Join(",", ngrams.BigramKeys.Select(k => k.ToString(CultureInfo.InvariantCulture)));
        }
        if (d.CharacterFeatures is { } chars)
        {
            m[OnnxMetadataKeys.CharacterCodePoints] = System.Text.Json.JsonSerializer.Serialize(chars.CodePoints);
            m[OnnxMetadataKeys.CharacterEmbeddingSize] = RecurrentMetadata.Int(chars.EmbeddingSize);
            m[OnnxMetadataKeys.CharacterFilters] = RecurrentMetadata.Int(chars.Filters);
            m[OnnxMetadataKeys.CharacterKernelWidth] = RecurrentMetadata.Int(chars.KernelWidth);
            m[OnnxMetadataKeys.CharacterFlattenedInput] = RecurrentMetadata.Bool(chars.FlattenedInput);
        }
        if (d.OutputLabels is not null)
            m[OnnxMetadataKeys.OutputLabels] = Transforms.Text.Vocabulary.FromTokens(d.OutputLabels).ToJson();
        if (d.Members > 1)
            m[OnnxMetadataKeys.SequenceMembers] = RecurrentMetadata.Int(d.Members);
        m[OnnxMetadataKeys.UsesLengths] = RecurrentMetadata.Bool(d.UsesLengths);
        if (d.FlattenedSteps > 0)
            m[OnnxMetadataKeys.FlattenedSteps] = RecurrentMetadata.Int(d.FlattenedSteps);
        if (d.FlattenedAnySteps)
            m[OnnxMetadataKeys.FlattenedAnySteps] = RecurrentMetadata.Bool(true);
        if (d.LengthsColumnShape)
            m[OnnxMetadataKeys.LengthsColumnShape] = RecurrentMetadata.Bool(true);
        m[OnnxMetadataKeys.ExposesState] = RecurrentMetadata.Bool(d.ExposesState);
        m[OnnxMetadataKeys.BatchFirst] = "true";
        m[OnnxMetadataKeys.InputName] = d.UsesEmbedding ? SequenceOnnxNames.Tokens : SequenceOnnxNames.Input;
        m[OnnxMetadataKeys.OutputName] = d.Activation == HeadActivation.Linear ? SequenceOnnxNames.Output : SequenceOnnxNames.Probabilities;
        m[OnnxMetadataKeys.ScalerInGraph] = RecurrentMetadata.Bool(d.InputScaling is not null || d.OutputScaling is not null);
        if (d.InputScaling is { } i)
        {
            m[OnnxMetadataKeys.InputScalingCenter] = RecurrentMetadata.Floats(i.Center);
            m[OnnxMetadataKeys.InputScalingScale] = RecurrentMetadata.Floats(i.Scale);
        }
        if (d.OutputScaling is { } o)
        {
            m[OnnxMetadataKeys.OutputScalingCenter] = RecurrentMetadata.Floats(o.Center);
            m[OnnxMetadataKeys.OutputScalingScale] = RecurrentMetadata.Floats(o.Scale);
        }
        m[OnnxMetadataKeys.ExporterVersion] = OnnxModelWriter.LibraryVersion;
        return m;
    }

    private static string Summary(SequenceModelDescription d)
    {
        var a = d.Architecture;
        string input = d.UsesEmbedding
            ? $"'{SequenceOnnxNames.Tokens}' {(d.TokenStrings is null ? "int64" : "string")} [batch, seq] through an embedding of {d.VocabularySize} x {a.InputSize}"
            : d.FlattenedSteps > 0
                ? $"'{SequenceOnnxNames.Input}' float [batch, {d.FlattenedSteps * a.InputSize}] read as {d.FlattenedSteps} steps of {a.InputSize}"
                : d.FlattenedAnySteps
                    ? $"'{SequenceOnnxNames.Input}' float [batch, steps x {a.InputSize}] read as steps of {a.InputSize}"
                    : $"'{SequenceOnnxNames.Input}' float [batch, seq, {a.InputSize}]";
        return string.Create(CultureInfo.InvariantCulture,
            $"MlNetRnn {d.Task} model: {input}; {a.CellMetadataName}, {a.NumLayers} layer(s) x {a.HiddenSize} hidden, " +
            $"{(a.Bidirectional ? "bidirectional" : "unidirectional")}{(a.HasBias ? string.Empty : ", no bias")}; " +
            $"{SequenceModelDescription.ActivationName(d.Activation)} head with {d.OutputSize} output(s) on {SequenceModelDescription.PoolingName(d.Pooling)}" +
            $"{(d.WideTokens ? " plus a wide bag-of-tokens part" : string.Empty)}{(d.Members > 1 ? $"; the mean of {d.Members} members' logits" : string.Empty)}" +
            $"{(d.Ngrams is { } ngrams ? $"; plus an n-gram part over {ngrams.Words.Count} words and {ngrams.BigramKeys.Count} word pairs" : string.Empty)}" +
            $"{(d.CharacterFeatures is { } c ? $"; spelling features of {c.Filters} filters over '{SequenceOnnxNames.TokenCharacters}' code points" : string.Empty)}" +
            $"{(d.OutputLabels is null ? string.Empty : $"; '{SequenceOnnxNames.PredictedLabel}' names the arg-max class")}" +
            $"{(d.UsesLengths ? $"; int32 'lengths' input{(d.LengthsColumnShape ? " [batch, 1]" : string.Empty)}" : string.Empty)}{(d.ExposesState ? "; state in (h0/c0) and out (h_n/c_n)" : string.Empty)}.");
    }
}
