namespace MlNetRnn.Onnx.Model;

/// <summary>
/// The full shape of a recurrent sequence model, independent of TorchSharp and ONNX: optional embedding, recurrent stack,
/// head position and activation, which optional inputs and outputs the graph has, and in-graph scaling.
/// The weights that go with it are named <c>embedding.weight</c>, <c>rnn.*</c>, <c>head.weight</c>, <c>head.bias</c>.
/// </summary>
public sealed record SequenceModelDescription
{
    /// <summary>Creates a description with float-feature input, a last-step linear head and no optional inputs.</summary>
    /// <param name="architecture">The recurrent stack; with an embedding its input size is the embedding width.</param>
    /// <param name="outputSize">Values the head produces per row (or per step).</param>
    public SequenceModelDescription(RecurrentArchitecture architecture, int outputSize)
    {
        Architecture = architecture ?? throw new ArgumentNullException(nameof(architecture));
        OutputSize = outputSize;
    }

    /// <summary>The recurrent stack.</summary>
    public RecurrentArchitecture Architecture { get; init; }

    /// <summary>Values the head produces per row (or per step for <see cref="SequencePooling.EveryStep"/>).</summary>
    public int OutputSize { get; init; }

    /// <summary>Task name written to the <c>task</c> metadata key (for example <c>sequence</c>, <c>classification</c>, <c>charlm</c>).</summary>
    public string Task { get; init; } = "sequence";

    /// <summary>
    /// 0 for float-feature input <c>[batch, seq, InputSize]</c>; otherwise the vocabulary size of an embedding
    /// (width <c>Architecture.InputSize</c>) that int64 token ids <c>[batch, seq]</c> go through.
    /// </summary>
    public int VocabularySize { get; init; }

    /// <summary>Which recurrent outputs the head reads.</summary>
    public SequencePooling Pooling { get; init; } = SequencePooling.LastStep;

    /// <summary>
    /// Whether the head adds a wide part to its logits: the mean over each row's valid tokens of a learned per-token vector
    /// (<c>wide.weight</c>, <c>[vocabulary, outputs]</c>), a linear bag-of-words model inside the same graph. Token input and a pooled head only.
    /// </summary>
    public bool WideTokens { get; init; }

    /// <summary>
    /// A bag-of-unigrams-and-bigrams part added to the logits after the networks' mean (<see cref="NgramPart"/>: its own word list,
    /// weights <c>ngrams.weight</c> and <c>ngrams.bias</c>), or null for none. Needs token strings and a pooled head.
    /// </summary>
    public NgramPart? Ngrams { get; init; }

    /// <summary>
    /// Networks averaged by the graph, 1 to 100: each member has its own embedding, stack, head (and wide part), with weights
    /// prefixed <c>member{k}.</c>; the graph averages their head values (logits) before the activation. Pooled heads without
    /// exposed state only. Default 1.
    /// </summary>
    public int Members { get; init; } = 1;

    /// <summary>The weight-name prefix of member <paramref name="member"/> (empty for a single network).</summary>
    public string MemberPrefix(int member) => EnsembleNaming.MemberPrefix(Members, member);

    /// <summary>Values the head reads per row: the stack's D·H, or twice that for <see cref="SequencePooling.MeanMax"/>.</summary>
    public int HeadInputSize => Pooling == SequencePooling.MeanMax ? 2 * Architecture.OutputSize : Architecture.OutputSize;

    /// <summary>What follows the head's linear layer.</summary>
    public HeadActivation Activation { get; init; } = HeadActivation.Linear;

    /// <summary>Whether the graph takes an int32 <c>lengths</c> input (variable-length rows, wired to <c>sequence_lens</c>).</summary>
    public bool UsesLengths { get; init; }

    /// <summary>
    /// Whether the <c>lengths</c> input is <c>[batch, 1]</c> rather than <c>[batch]</c>: ML.NET's OnnxTransformer hands a scalar column
    /// that way, so a graph it runs with a length column declares this. Needs <see cref="UsesLengths"/>. Default false.
    /// </summary>
    public bool LengthsColumnShape { get; init; }

    /// <summary>Whether the graph takes <c>h0</c> (and <c>c0</c> for LSTM) and returns <c>h_n</c> (and <c>c_n</c>).</summary>
    public bool ExposesState { get; init; }

    /// <summary>Scaling applied to float features inside the graph (one value per feature), or null.</summary>
    public AffineScaling? InputScaling { get; init; }

    /// <summary>Scaling inverted on a linear head's outputs inside the graph (one value per output), or null.</summary>
    public AffineScaling? OutputScaling { get; init; }

    /// <summary>
    /// Token strings in id order. When set, the graph input <c>tokens</c> holds strings <c>[batch, seq]</c> that the graph maps to
    /// ids itself (ONNX-ML LabelEncoder), tokens outside the list becoming <see cref="UnknownTokenId"/>; the count must equal
    /// <see cref="VocabularySize"/>. Null: the input holds int64 ids.
    /// </summary>
    public IReadOnlyList<string>? TokenStrings { get; init; }

    /// <summary>Id that strings outside <see cref="TokenStrings"/> map to (required with it). Default −1.</summary>
    public int UnknownTokenId { get; init; } = -1;

    /// <summary>Steps kept per row: the graph drops later ones (and caps <c>lengths</c>); 0 keeps all. Default 0.</summary>
    public int MaxSteps { get; init; }

    /// <summary>A token id the graph puts before every row (after truncation, adding 1 to <c>lengths</c>), so empty rows still have a step; −1 for none.</summary>
    public int BeginTokenId { get; init; } = -1;

    /// <summary>Whether a softmax head also outputs <c>predicted_index</c> (int64 <c>[batch]</c>, the arg-max class).</summary>
    public bool PredictedIndexOutput { get; init; }

    /// <summary>
    /// Steps of a flattened float input: when positive, the graph input <c>input</c> is <c>[batch, FlattenedSteps · InputSize]</c>
    /// (each row's steps one after another, row-major, as an ML.NET <c>Vector&lt;Single&gt;</c> column holds them) and the graph
    /// reshapes it to <c>[batch, FlattenedSteps, InputSize]</c>; 0 takes <c>[batch, seq, InputSize]</c>. Default 0.
    /// </summary>
    public int FlattenedSteps { get; init; }

    /// <summary>
    /// A flattened float input of any number of steps: the graph input <c>input</c> is <c>[batch, values]</c> (each row's steps one after
    /// another, as a variable-size ML.NET <c>Vector&lt;Single&gt;</c> holds them, padded to the batch's longest row) and the graph reshapes
    /// it to <c>[batch, values / InputSize, InputSize]</c>. Usually with <see cref="UsesLengths"/>, so padding is never read. Not with
    /// <see cref="FlattenedSteps"/>. Default false.
    /// </summary>
    public bool FlattenedAnySteps { get; init; }

    /// <summary>Whether the model starts with an embedding of token ids.</summary>
    public bool UsesEmbedding => VocabularySize > 0;

    /// <summary>
    /// Spelling features of each token (a character convolution whose outputs follow the word embedding at every step), read from
    /// the graph input <c>token_chars</c> (code points); null for none. Token input only; the word embedding is then
    /// <see cref="EmbeddingSize"/> wide.
    /// </summary>
    public CharacterConvolution? CharacterFeatures { get; init; }

    /// <summary>Width of the word embedding: the stack's input size less the character features' filters.</summary>
    public int EmbeddingSize => Architecture.InputSize - (CharacterFeatures?.Filters ?? 0);

    /// <summary>
    /// Class names in output order. When set (softmax heads only), the graph also outputs <c>predicted_label</c> (the arg-max class's
    /// name, string) and <c>predicted_probability</c> (its probability), per row or per step. Null: no such outputs.
    /// </summary>
    public IReadOnlyList<string>? OutputLabels { get; init; }

    /// <summary>Checks the combination and throws a message naming the bad value.</summary>
    /// <exception cref="ArgumentException">A size or combination is invalid.</exception>
    public void Validate()
    {
        Architecture.Validate();
        if (OutputSize < 1)
            throw new ArgumentOutOfRangeException(nameof(OutputSize), OutputSize, "The head needs at least one output.");
        if (VocabularySize < 0)
            throw new ArgumentOutOfRangeException(nameof(VocabularySize), VocabularySize, "Vocabulary size is 0 (float features) or positive.");
        if (string.IsNullOrWhiteSpace(Task) || Task == ForecastingOnnxExporter.TaskName)
            throw new ArgumentException($"Task '{Task}' is not valid for a sequence model; forecasters are exported by {nameof(ForecastingOnnxExporter)}.");
        if (!Enum.IsDefined(Pooling))
            throw new ArgumentOutOfRangeException(nameof(Pooling), Pooling, "Unknown pooling.");
        if (!Enum.IsDefined(Activation))
            throw new ArgumentOutOfRangeException(nameof(Activation), Activation, "Unknown head activation.");
        if (Activation == HeadActivation.Softmax && OutputSize < 2)
            throw new ArgumentException($"A softmax head needs at least 2 outputs, got {OutputSize}; use a sigmoid head for one output.");
        if (TokenStrings is not null)
        {
            if (!UsesEmbedding || TokenStrings.Count != VocabularySize)
                throw new ArgumentException($"Token strings need an embedding with one row per string; got {TokenStrings.Count} strings and vocabulary size {VocabularySize}.");
            if (UnknownTokenId < 0 || UnknownTokenId >= VocabularySize)
                throw new ArgumentOutOfRangeException(nameof(UnknownTokenId), UnknownTokenId, $"With token strings the unknown id must be in 0..{VocabularySize - 1}.");
            if (TokenStrings.Distinct(StringComparer.Ordinal).Count() != TokenStrings.Count)
                throw new ArgumentException("Token strings must be distinct.");
        }
        if (MaxSteps < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxSteps), MaxSteps, "MaxSteps is 0 (no limit) or positive.");
        if (MaxSteps > 0 && !UsesEmbedding)
            throw new ArgumentOutOfRangeException(nameof(MaxSteps), MaxSteps, "MaxSteps truncates token input; a model reading float features takes MaxSteps 0 (truncate the rows before scoring).");
        if (FlattenedSteps < 0 || (FlattenedSteps > 0 && UsesEmbedding))
            throw new ArgumentOutOfRangeException(nameof(FlattenedSteps), FlattenedSteps, "FlattenedSteps is 0, or positive for a model reading float features (not token ids).");
        if (LengthsColumnShape && !UsesLengths)
            throw new ArgumentException("LengthsColumnShape shapes the lengths input; it needs UsesLengths.", nameof(LengthsColumnShape));
        if (FlattenedAnySteps && (UsesEmbedding || FlattenedSteps > 0))
            throw new ArgumentException($"FlattenedAnySteps needs float features (not token ids) and FlattenedSteps 0 (got {FlattenedSteps}).", nameof(FlattenedAnySteps));
        if (BeginTokenId >= 0 && (!UsesEmbedding || BeginTokenId >= VocabularySize))
            throw new ArgumentOutOfRangeException(nameof(BeginTokenId), BeginTokenId, $"A begin token needs token input and an id below the vocabulary size {VocabularySize}.");
        if (PredictedIndexOutput && (Activation != HeadActivation.Softmax || Pooling == SequencePooling.EveryStep))
            throw new ArgumentException("predicted_index is written for softmax heads on the last step or the mean only.");
        if (CharacterFeatures is { } chars)
        {
            if (!UsesEmbedding)
                throw new ArgumentException("Character features describe tokens; this model reads float features.");
            chars.Validate();
            if (BeginTokenId >= 0)
                throw new ArgumentException("Character features and a begin token do not combine: the begin token has no spelling.");
            if (EmbeddingSize < 1)
                throw new ArgumentException($"The input size {Architecture.InputSize} must exceed the character filters {chars.Filters}: the rest is the word embedding.");
        }
        if (OutputLabels is not null)
        {
            if (Activation != HeadActivation.Softmax || OutputLabels.Count != OutputSize)
                throw new ArgumentException($"Output labels name a softmax head's classes: {OutputSize} distinct names for a softmax head; got {OutputLabels.Count} for a {Activation} head.");
            if (OutputLabels.Distinct(StringComparer.Ordinal).Count() != OutputLabels.Count)
                throw new ArgumentException("Output labels must be distinct.");
        }
        if (Members < 1 || Members > 100)
            throw new ArgumentOutOfRangeException(nameof(Members), Members, "An ensemble has 1 to 100 members.");
        if (Members > 1 && (ExposesState || Pooling == SequencePooling.EveryStep))
            throw new ArgumentException("An ensemble averages pooled heads: it cannot expose states or score every step.");
        if (WideTokens && (!UsesEmbedding || Pooling == SequencePooling.EveryStep))
            throw new ArgumentException("A wide bag-of-tokens part needs token input and a pooled head (not every step).");
        if (Ngrams is { } ngrams)
        {
            if (TokenStrings is null || Pooling == SequencePooling.EveryStep || ExposesState)
                throw new ArgumentException("An n-gram part reads token strings and adds to a pooled head (not every step, no exposed state).");
            ngrams.Validate();
        }
        if (InputScaling is not null)
        {
            if (UsesEmbedding)
                throw new ArgumentException("Input scaling applies to float features; this model reads token ids.");
            if (InputScaling.Count != Architecture.InputSize)
                throw new ArgumentException($"Input scaling has {InputScaling.Count} features but the input size is {Architecture.InputSize}.");
        }
        if (OutputScaling is not null)
        {
            if (Activation != HeadActivation.Linear)
                throw new ArgumentException($"Output scaling applies to a linear head, not to a {Activation} head.");
            if (OutputScaling.Count != OutputSize)
                throw new ArgumentException($"Output scaling has {OutputScaling.Count} values but the head has {OutputSize} outputs.");
        }
    }

    /// <summary>The metadata name of <see cref="Pooling"/>: <c>last_step</c>, <c>every_step</c>, <c>mean</c> or <c>mean_max</c>.</summary>
    public static string PoolingName(SequencePooling pooling) => pooling switch
    {
        SequencePooling.LastStep => "last_step",
        SequencePooling.EveryStep => "every_step",
        SequencePooling.Mean => "mean",
        SequencePooling.MeanMax => "mean_max",
        _ => throw new ArgumentOutOfRangeException(nameof(pooling)),
    };

    /// <summary>The metadata name of <see cref="Activation"/>: <c>linear</c>, <c>sigmoid</c> or <c>softmax</c>.</summary>
    public static string ActivationName(HeadActivation activation) => activation switch
    {
        HeadActivation.Linear => "linear",
        HeadActivation.Sigmoid => "sigmoid",
        HeadActivation.Softmax => "softmax",
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };
}
