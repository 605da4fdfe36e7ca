using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MlNetRnn.Onnx.Scoring;

/// <summary>What an <see cref="OnnxSequenceScorer"/> feeds and reads, worked out once from the model's metadata and signature.</summary>
internal sealed class SequenceScoringPlan
{
    private readonly int _maxSteps;

    public SequenceScoringPlan(IReadOnlyDictionary<string, string> metadata, InferenceSession session)
    {
        InputKind = RecurrentMetadata.Require(metadata, OnnxMetadataKeys.InputKind) switch
        {
            "features" => SequenceInputKind.Features,
            "tokens" => SequenceInputKind.TokenIds,
            "token_strings" => SequenceInputKind.TokenStrings,
            var other => throw new InvalidDataException($"The model's input kind '{other}' is not one the sequence scorer knows (features, tokens, token_strings)."),
        };
        InputName = InputKind == SequenceInputKind.Features ? SequenceOnnxNames.Input : SequenceOnnxNames.Tokens;
        InputSize = InputKind == SequenceInputKind.Features ? RecurrentMetadata.RequireInt(metadata, OnnxMetadataKeys.InputSize) : 1;
        VocabularySize = InputKind == SequenceInputKind.TokenIds ? RecurrentMetadata.RequireInt(metadata, OnnxMetadataKeys.VocabularySize) : 0;
        // Only token graphs truncate (Slice and Min in the graph); the exporter refuses MaxSteps for features.
        _maxSteps = InputKind != SequenceInputKind.Features && metadata.ContainsKey(OnnxMetadataKeys.MaxSteps) ? RecurrentMetadata.RequireInt(metadata, OnnxMetadataKeys.MaxSteps) : 0;
        BeginToken = metadata.ContainsKey(OnnxMetadataKeys.BeginTokenId);
        PrimaryOutput = RecurrentMetadata.Require(metadata, OnnxMetadataKeys.HeadActivation) == "linear" ? SequenceOnnxNames.Output : SequenceOnnxNames.Probabilities;
        Outputs = session.OutputMetadata.Select(o => Describe(o.Key, o.Value)).ToArray();
        if (!Outputs.Any(o => o.Name == PrimaryOutput))
            throw new InvalidDataException($"The model has no '{PrimaryOutput}' output; its outputs: {string.Join(", ", Outputs.Select(o => o.Name))}.");
    }

    public SequenceInputKind InputKind { get; }

    public string InputName { get; }

    /// <summary>Features per step (1 for token input).</summary>
    public int InputSize { get; }

    /// <summary>Embedding rows for id input; 0 otherwise.</summary>
    public int VocabularySize { get; }

    /// <summary>Whether the graph prepends a begin token (then a row may be empty).</summary>
    public bool BeginToken { get; }

    /// <summary>The head's output: <c>output</c> (linear) or <c>probabilities</c>.</summary>
    public string PrimaryOutput { get; }

    /// <summary>Every output of the graph, in the model's order.</summary>
    public IReadOnlyList<SequenceOutput> Outputs { get; }

    public SequenceOutput Output(string name) => Outputs.FirstOrDefault(o => o.Name == name)
        ?? throw new ArgumentException($"The model has no output '{name}'; its outputs: {string.Join(", ", Outputs.Select(o => o.Name))}.");

    /// <summary>The steps the graph runs for a row of <paramref name="length"/> steps: truncated to MaxSteps, plus the begin token.</summary>
    public int GraphSteps(int length) => FedSteps(length) + (BeginToken ? 1 : 0);

    /// <summary>
    /// The steps worth feeding for a row of <paramref name="length"/>: the graph drops token steps past MaxSteps anyway, so the scorer
    /// neither pads batches to them nor copies them in.
    /// </summary>
    public int FedSteps(int length) => _maxSteps > 0 ? Math.Min(length, _maxSteps) : length;

    private static SequenceOutput Describe(string name, NodeMetadata node)
    {
        var dims = node.Dimensions;
        string shape = string.Join(", ", dims.Select(d => d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture)));
        if (node.ElementDataType is not (TensorElementType.Float or TensorElementType.Int64))
            throw new InvalidDataException($"The model's output '{name}' is {node.ElementDataType}; the sequence scorer reads float and int64 outputs.");
        if (dims.Length == 0 || dims[0] >= 0)
            throw new InvalidDataException($"The model's output '{name}' has shape [{shape}]; the sequence scorer needs a dynamic batch dimension first.");
        // [batch], [batch, k] or [batch, steps, k]: a dynamic second dimension of a rank-3 output is the step axis.
        bool perStep = dims.Length == 3 && dims[1] < 0;
        var fixedDims = dims.Skip(perStep ? 2 : 1).ToArray();
        if (fixedDims.Any(d => d <= 0))
            throw new InvalidDataException($"The model's output '{name}' has shape [{shape}]; only the batch and step dimensions may be dynamic.");
        return new SequenceOutput(name, node.ElementDataType == TensorElementType.Float, perStep, fixedDims.Select(d => (long)d).ToArray());
    }
}

/// <summary>What the scorer feeds: float features, token ids, or string tokens looked up in the graph.</summary>
internal enum SequenceInputKind
{
    Features,
    TokenIds,
    TokenStrings,
}

/// <summary>One graph output: float or int64, per row or per step, with fixed dimensions <paramref name="FixedDims"/> after those.</summary>
internal sealed record SequenceOutput(string Name, bool IsFloat, bool PerStep, long[] FixedDims)
{
    /// <summary>Values per row (or per step of a per-step output).</summary>
    public int Inner { get; } = (int)FixedDims.Aggregate(1L, (a, b) => a * b);

    /// <summary>Values a row takes in a batch padded to <paramref name="graphSteps"/> steps.</summary>
    public int Stride(int graphSteps) => PerStep ? graphSteps * Inner : Inner;

    /// <summary>The tensor shape for a batch.</summary>
    public long[] Shape(int rows, int graphSteps) =>
        (PerStep ? new long[] { rows, graphSteps } : new long[] { rows }).Concat(FixedDims).ToArray();
}
