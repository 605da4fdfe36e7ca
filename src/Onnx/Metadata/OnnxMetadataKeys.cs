namespace MlNetRnn.Onnx.Metadata;

/// <summary>
/// Keys of the model-level <c>metadata_props</c> every exported model carries, so the <c>.onnx</c> file alone
/// says how to use it. Read them with ONNX Runtime's <c>InferenceSession.ModelMetadata.CustomMetadataMap</c>
/// or <see cref="OnnxModelInfo"/>. docs/ONNX.md lists them per task.
/// </summary>
public static class OnnxMetadataKeys
{
    /// <summary>Version of the metadata/graph conventions of this library ("1").</summary>
    public const string FormatVersion = "mlnetrnn.format_version";
    /// <summary>The task: <c>forecasting</c>, or the task name of a sequence model (<c>sequence</c>, <c>classification</c>, <c>charlm</c>, ...).</summary>
    public const string Task = "task";
    /// <summary>Cell: LSTM, GRU, RNN_TANH or RNN_RELU.</summary>
    public const string Cell = "rnn.cell";
    /// <summary>Features per time step.</summary>
    public const string InputSize = "rnn.input_size";
    /// <summary>Hidden units per layer and direction.</summary>
    public const string HiddenSize = "rnn.hidden_size";
    /// <summary>Stacked layers.</summary>
    public const string NumLayers = "rnn.num_layers";
    /// <summary>"true" when bidirectional.</summary>
    public const string Bidirectional = "rnn.bidirectional";
    /// <summary>"true" when the cells have biases.</summary>
    public const string Bias = "rnn.bias";
    /// <summary>How the head reads the sequence: <c>last_step</c>, <c>every_step</c> or <c>mean</c>.</summary>
    public const string Pooling = "head.pooling";
    /// <summary>Name of the graph input.</summary>
    public const string InputName = "io.input";
    /// <summary>Name of the graph output.</summary>
    public const string OutputName = "io.output";
    /// <summary>The ML.NET column the model was trained on: the series (forecasters trained on a series; empty for windows).</summary>
    public const string SeriesColumn = "io.series_column";
    /// <summary>The ML.NET text column a classifier was trained on.</summary>
    public const string TextColumn = "io.text_column";
    /// <summary>The ML.NET label column the model was trained on.</summary>
    public const string LabelColumn = "io.label_column";
    /// <summary>Name of the float-feature column a float-sequence model was trained on.</summary>
    public const string FeatureColumn = "io.feature_column";
    /// <summary>"true": graph inputs are batch-major.</summary>
    public const string BatchFirst = "io.batch_first";
    /// <summary>Input window length (forecasting).</summary>
    public const string Window = "forecast.window";
    /// <summary>Values forecast per window (forecasting).</summary>
    public const string Horizon = "forecast.horizon";
    /// <summary>"true" when inputs and outputs are taken relative to each window's mean in scaled space.</summary>
    public const string RelativeToWindow = "forecast.relative_to_window";
    /// <summary>Season of the seasonal-naive reference the networks forecast the difference from; "0" for none (forecasting).</summary>
    public const string ReferenceSeason = "forecast.reference_season";
    /// <summary>How many members (the first ones) correct the seasonal-naive forecast (forecasting); absent means all when a reference season is set.</summary>
    public const string SeasonalNaiveMembers = "forecast.seasonal_naive_members";
    /// <summary>Weight of the networks' mean correction added to the reference (absent: 1).</summary>
    public const string NetworkWeight = "forecast.network_weight";
    /// <summary>Values of the window the networks read, its most recent ones (forecasting; absent: the whole window).</summary>
    public const string NetworkWindow = "forecast.network_window";
    /// <summary>Share of the linear part (Holt-Winters smoothing over the window) in a forecaster's forecast (absent: 0, no linear part).</summary>
    public const string LinearShare = "forecast.linear_share";
    /// <summary>Season the linear part was fitted with (present with <see cref="LinearShare"/>).</summary>
    public const string LinearSeason = "forecast.linear_season";
    /// <summary>"true" when a forecaster's recurrent stack is unrolled over the window as plain ops (absent: one recurrent node per layer).</summary>
    public const string UnrolledSteps = "rnn.unrolled";
    /// <summary>Ensemble members averaged by the graph (forecasting); absent means 1.</summary>
    public const string Members = "forecast.members";
    /// <summary>Ensemble members whose logits a sequence model's graph averages (weights prefixed <c>member{k}.</c>); absent means 1.</summary>
    public const string SequenceMembers = "head.members";
    /// <summary>Nominal coverage of the graph's prediction interval, e.g. "0.8"; absent when the graph has no interval outputs.</summary>
    public const string IntervalCoverage = "forecast.interval.coverage";
    /// <summary>Comma-separated scaled-space offsets of the interval's lower bound, one per horizon step.</summary>
    public const string IntervalLower = "forecast.interval.lower";
    /// <summary>Comma-separated scaled-space offsets of the interval's upper bound, one per horizon step.</summary>
    public const string IntervalUpper = "forecast.interval.upper";
    /// <summary>Scaler kind: None, MinMax or Standard.</summary>
    public const string ScalerKind = "scaler.kind";
    /// <summary>"true" when ln is applied before scaling.</summary>
    public const string ScalerLog = "scaler.log";
    /// <summary>Scaler center (after log), invariant-culture float.</summary>
    public const string ScalerCenter = "scaler.center";
    /// <summary>Scaler scale, invariant-culture float.</summary>
    public const string ScalerScale = "scaler.scale";
    /// <summary>"true": the graph takes raw values and returns raw values; scaling is inside it.</summary>
    public const string ScalerInGraph = "scaler.in_graph";
    /// <summary>Head activation: <c>linear</c>, <c>sigmoid</c> or <c>softmax</c>.</summary>
    public const string HeadActivation = "head.activation";
    /// <summary>Values the head produces per row (or per step).</summary>
    public const string HeadOutputs = "head.outputs";
    /// <summary><c>features</c> (float input) or <c>tokens</c> (int64 ids through an embedding).</summary>
    public const string InputKind = "io.input_kind";
    /// <summary>Embedding rows (vocabulary size) when <see cref="InputKind"/> is <c>tokens</c>.</summary>
    public const string VocabularySize = "embedding.vocab_size";
    /// <summary>"true" when the graph takes an int32 <c>lengths</c> input.</summary>
    public const string UsesLengths = "io.uses_lengths";
    /// <summary>Steps of a flattened float input <c>[batch, steps · features]</c> that the graph reshapes (absent: the input is <c>[batch, seq, features]</c>).</summary>
    public const string FlattenedSteps = "io.flattened_steps";
    /// <summary>"true" when a flattened float input <c>[batch, steps · features]</c> may hold any number of steps (the graph reshapes to <c>[batch, -1, features]</c>).</summary>
    public const string FlattenedAnySteps = "io.flattened_any_steps";
    /// <summary>"true" when the <c>lengths</c> input is <c>[batch, 1]</c> (as ML.NET's OnnxTransformer hands a scalar column) instead of <c>[batch]</c>.</summary>
    public const string LengthsColumnShape = "io.lengths_column_shape";
    /// <summary>"true" when the graph takes <c>h0</c>/<c>c0</c> and returns <c>h_n</c>/<c>c_n</c>.</summary>
    public const string ExposesState = "io.state";
    /// <summary>Per-feature input centers (JSON array) of in-graph input scaling.</summary>
    public const string InputScalingCenter = "scaler.input_center";
    /// <summary>Per-feature input scales (JSON array) of in-graph input scaling.</summary>
    public const string InputScalingScale = "scaler.input_scale";
    /// <summary>Per-output centers (JSON array) of in-graph output unscaling.</summary>
    public const string OutputScalingCenter = "scaler.output_center";
    /// <summary>Per-output scales (JSON array) of in-graph output unscaling.</summary>
    public const string OutputScalingScale = "scaler.output_scale";
    /// <summary>SHA-256 (hex) of every initializer's name, type, dims and bytes in graph order: detects truncated or altered weights.</summary>
    public const string WeightsSha256 = "mlnetrnn.weights_sha256";
    /// <summary>JSON array of token strings in id order, for graphs that take string tokens.</summary>
    public const string TokenStrings = "tokens.vocabulary";
    /// <summary>Id of unknown token strings.</summary>
    public const string UnknownTokenId = "tokens.unknown_id";
    /// <summary>Steps kept per row by the graph (0: all).</summary>
    public const string MaxSteps = "io.max_steps";
    /// <summary>Token id the graph prepends to every row (−1: none).</summary>
    public const string BeginTokenId = "io.begin_token_id";
    /// <summary>"true" when the graph outputs <c>predicted_index</c>.</summary>
    public const string PredictedIndex = "head.predicted_index";

    /// <summary><c>"true"</c> when the head adds a wide part: the mean over each row's valid tokens of a learned per-token weight vector (<c>wide.weight</c>, <c>[vocabulary, outputs]</c>).</summary>
    public const string WideTokens = "head.wide_tokens";

    /// <summary>The words of the n-gram part added to the logits (<see cref="Model.NgramPart.Words"/>), a JSON array of strings in row order; absent without one.</summary>
    public const string NgramWords = "head.ngram_words";

    /// <summary>The word-pair keys of the n-gram part (<see cref="Model.NgramPart.BigramKeys"/>), comma-separated in row order; present with <see cref="NgramWords"/>.</summary>
    public const string NgramBigramKeys = "head.ngram_bigram_keys";
    /// <summary>Code points of the character features' alphabet, a JSON array (character id i + 2).</summary>
    public const string CharacterCodePoints = "chars.code_points";
    /// <summary>Width of the character embedding.</summary>
    public const string CharacterEmbeddingSize = "chars.embedding_size";
    /// <summary>Filters of the character convolution.</summary>
    public const string CharacterFilters = "chars.filters";
    /// <summary>Characters each convolution filter reads.</summary>
    public const string CharacterKernelWidth = "chars.kernel_width";
    /// <summary>"true" when <c>token_chars</c> is flattened to <c>[batch, seq · 20]</c>.</summary>
    public const string CharacterFlattenedInput = "chars.flattened_input";
    /// <summary>Class names in output order, a JSON array, when the graph outputs <c>predicted_label</c>.</summary>
    public const string OutputLabels = "head.output_labels";
    /// <summary>Version of the library that exported the model.</summary>
    public const string ExporterVersion = "exporter.version";
    /// <summary>TorchSharp version the weights were trained with.</summary>
    public const string TorchSharpVersion = "torchsharp.version";
}
