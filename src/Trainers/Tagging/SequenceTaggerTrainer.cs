using System.Globalization;
using Microsoft.ML;
using MlNetRnn.Transforms.Text;
using MlNetRnn.Trainers.TextClassification;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.Tagging;

/// <summary>
/// Trains a sequence tagger with TorchSharp: one tag per token from a bidirectional LSTM/GRU over word embeddings (case kept;
/// optionally started from pretrained vectors) and each token's spelling (a character convolution), with exact variable-length
/// handling (masked padding in training, <c>lengths</c> in the graph). The model is exported to ONNX (word lookup, spelling features
/// and tag names inside the graph), checked against TorchSharp on raw tokens, and returned as a <see cref="SequenceTaggerTransformer"/>.
/// </summary>
/// <remarks>
/// Output columns: <see cref="SequenceTaggerOptions.PredictedTagsColumnName"/> (a vector of String, one tag per token) and
/// <see cref="SequenceTaggerOptions.TagProbabilityColumnName"/> (a vector of Single). Evaluate with <see cref="SequenceTaggerEvaluator"/>.
/// </remarks>
public sealed class SequenceTaggerTrainer : IEstimator<SequenceTaggerTransformer>
{
    private readonly MLContext _mlContext;
    private readonly SequenceTaggerOptions _options;

    internal SequenceTaggerTrainer(MLContext mlContext, SequenceTaggerOptions options)
    {
        _mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();
        _options.Validate();
    }

    /// <summary>Trains on <paramref name="input"/>: one sentence per row, a tokens column and a tags column of the same length.</summary>
    /// <exception cref="ArgumentException">A column is missing or mistyped, a row's tokens and tags differ in length, a sentence is empty, or there are too few rows.</exception>
    /// <exception cref="InvalidOperationException">CUDA was required and is absent, training diverged, or the ONNX parity check failed.</exception>
    public SequenceTaggerTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var o = _options;
        using var session = FitSession.Start(_mlContext, "MlNetRnn.SequenceTagger", o);
        int seed = session.Seed;
        var data = TaggedSentences.Read(input, o.TokensColumnName, o.TagsColumnName);
        if (data.Tokens.Count < 2)
            throw new ArgumentException($"The training data has {data.Tokens.Count} sentence(s) in columns '{o.TokensColumnName}' and '{o.TagsColumnName}'; at least 2 are needed.");

        // Split sentences by seed; the vocabulary, alphabet and tag list come from the training split only.
        var order = Enumerable.Range(0, data.Tokens.Count).ToArray();
        new Random(seed).Shuffle(order);
        int validationCount = (int)(data.Tokens.Count * o.ValidationFraction);
        var trainRows = order[validationCount..];
        var validationRows = order[..validationCount];
        var trainPart = new TaggedSentences(trainRows.Select(i => data.Tokens[i]).ToArray(), trainRows.Select(i => data.Tags![i]).ToArray());
        var characterShape = o.CharacterFeatures
            ? new CharacterConvolution(Array.Empty<int>(), o.CharacterEmbeddingSize, o.CharacterFilters, o.CharacterKernelWidth)
            : null;
        var encoding = TaggerEncoding.Build(trainPart, o.MinimumFrequency, o.WordVectors, characterShape);
        EncodedSentence Encode(int row, bool tagged) => new(encoding.EncodeWords(data.Tokens[row]), encoding.EncodeCharacters(data.Tokens[row]),
            tagged ? encoding.EncodeTags(data.Tags![row], row, o.TagsColumnName) : Array.Empty<long>());
        var train = trainRows.Select(i => Encode(i, true)).ToArray();
        // A validation sentence with a tag the training split never showed cannot be scored; it is left out (and counted).
        var validationKept = validationRows.Where(i => data.Tags![i].All(t => encoding.TagId(t) >= 0)).ToArray();
        var validation = validationKept.Select(i => Encode(i, true)).ToArray();
        session.Info(string.Create(CultureInfo.InvariantCulture,
            $"{data.Tokens.Count} sentences ({data.TokenCount} tokens): {train.Length} for training, {validation.Length} for validation" +
            $"{(validationKept.Length < validationRows.Length ? $" ({validationRows.Length - validationKept.Length} with a tag unseen in training left out)" : string.Empty)}; " +
            $"{encoding.Words.Count} words, {encoding.Characters?.CodePoints.Count ?? 0} characters, {encoding.Tags.Count} tags."));

        var architecture = new RecurrentArchitecture(o.Cell, o.EmbeddingSize + (characterShape?.Filters ?? 0), o.HiddenSize, o.NumberOfLayers, o.Bidirectional);
        var description = new SequenceModelDescription(architecture, encoding.Tags.Count)
        {
            Task = SequenceTaggerTransformer.TaskName,
            VocabularySize = encoding.Words.Count,
            Pooling = SequencePooling.EveryStep,
            Activation = HeadActivation.Softmax,
            CharacterFeatures = encoding.Characters,
        };
        var settings = new TaggerTrainingSettings(o.Epochs, o.BatchSize, o.LearningRate, o.GradientClipNorm, o.Patience, seed)
        {
            Schedule = o.CreateSchedule(),
            WordDropout = o.WordDropout > 0 ? new TokenDropout(o.WordDropout, TaggerEncoding.UnknownId, TaggerEncoding.Specials.Length) : null,
            TimeBudget = o.TimeBudget,
        };
        var heldRows = (validationKept.Length > 0 ? validationKept : trainRows).Take(64).ToArray();
        var held = heldRows.Select(i => Encode(i, false)).ToArray();
        var checkpoints = session.Checkpoints(FitSession.DataDigest(train.Select(r => r.Words.Concat(r.Tags).ToArray())));
        string? vectorsLine = null;
        var (result, weights, torchProbabilities) = session.Train(device =>
        {
            using var network = new RecurrentSequenceNetwork(description, o.Dropout, maskedPadding: true, inputDropout: o.EmbeddingDropout);
            var rateScales = Array.Empty<ParameterRateScale>();
            Tensor? slower = null;
            if (o.WordVectors is { } vectors)
            {
                // Each word's vector looked up lower-cased (GloVe is lower-case; the vocabulary keeps the tokens' case).
                var covered = PretrainedEmbedding.Fill(network.named_parameters().First(p => p.name == "embedding.weight").parameter, encoding.Words.Count,
                    vectors.Dimension, r => r < TaggerEncoding.Specials.Length ? ReadOnlySpan<float>.Empty : vectors[encoding.Words.Tokens[r].ToLowerInvariant()]);
                vectorsLine = string.Create(CultureInfo.InvariantCulture,
                    $"{vectors.Source} ({vectors.Dimension}-d): {covered.Count(c => c)} of {covered.Length} vocabulary rows start from a vector (matched lower-cased); fine-tuned at {o.WordVectorLearningRateScale:G3}x the learning rate");
                session.Info("word vectors: " + vectorsLine);
                slower = PretrainedEmbedding.RowScales(covered, o.WordVectorLearningRateScale, device);
                rateScales = new[] { new ParameterRateScale("embedding.weight", _ => slower) };
            }
            network.to(device);
            try
            {
                var trained = SequenceTaggerTrainingLoop.Train(network, device, train, validation, settings with { RateScales = rateScales }, o.Progress, session.Info,
                    o.CancellationToken, checkpoints);
                var probabilities = FitSession.OnCpu(network, device, o.Dropout, cpu => SequenceTaggerTrainingLoop.Probabilities(cpu, torch.CPU, held, o.BatchSize));
                return (trained, network.ExportWeights(), probabilities);
            }
            finally
            {
                slower?.Dispose();
            }
        });

        // Export (word lookup, spelling features and tag names in the graph) and check it against TorchSharp on raw tokens.
        var deployed = description with
        {
            TokenStrings = encoding.Words.Tokens, UnknownTokenId = TaggerEncoding.UnknownId, UsesLengths = true, OutputLabels = encoding.Tags,
        };
        var metadata = new List<KeyValuePair<string, string>>
        {
            new(OnnxMetadataKeys.TextColumn, o.TokensColumnName),
            new(OnnxMetadataKeys.LabelColumn, o.TagsColumnName),
        };
        metadata.AddRange(session.Metadata(result.History, result.TokensPerSecond));
        if (vectorsLine is not null)
            metadata.Add(new(SequenceTaggerTransformer.MetadataWordVectors, vectorsLine));
        byte[] onnx = SequenceOnnxExporter.Export(deployed, weights, metadata);
        byte[] rowModel = SequenceOnnxExporter.Export(SequenceTaggerTransformer.RowDescription(deployed), weights, metadata);
        float[] onnxProbabilities;
        using (var scorer = new OnnxTaggerScorer(onnx))
            onnxProbabilities = scorer.Probabilities(heldRows.Select(i => (IReadOnlyList<string>)data.Tokens[i]).ToArray(), encoding.Tags.Count);
        var parity = session.VerifyParity(torchProbabilities, onnxProbabilities, "tag probabilities");
        if (result.StoppedByTimeBudget)
            session.Info("training stopped at the time budget; the best epoch's weights were kept.");
        return SequenceTaggerTransformer.Create(_mlContext, onnx, rowModel, deployed, input, o, result, parity, session.Channel);
    }

    /// <summary>The output schema: the input columns plus the predicted tags (vector of String) and their probabilities (vector of Single).</summary>
    /// <exception cref="ArgumentException">The tokens column is missing or not a vector of String.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var tokens = inputSchema.FirstOrDefault(c => c.Name == _options.TokensColumnName);
        if (tokens.Name is null || tokens.ItemType is not Microsoft.ML.Data.TextDataViewType || tokens.Kind == SchemaShape.Column.VectorKind.Scalar)
            throw new ArgumentException($"The tokens column '{_options.TokensColumnName}' is missing or not a vector of String.");
        // Third-party code cannot construct SchemaShape columns; a CustomMapping with the same output columns describes them.
        var inDef = Microsoft.ML.Data.SchemaDefinition.Create(typeof(TokensRow));
        inDef[nameof(TokensRow.Tokens)].ColumnName = _options.TokensColumnName;
        var outDef = Microsoft.ML.Data.SchemaDefinition.Create(typeof(OutputRow));
        outDef[nameof(OutputRow.Tags)].ColumnName = _options.PredictedTagsColumnName;
        outDef[nameof(OutputRow.Probabilities)].ColumnName = _options.TagProbabilityColumnName;
        return _mlContext.Transforms.CustomMapping<TokensRow, OutputRow>((_, _) => { }, null, inDef, outDef).GetOutputSchema(inputSchema);
    }

    private sealed class TokensRow
    {
        [Microsoft.ML.Data.VectorType]
        public string[] Tokens { get; set; } = Array.Empty<string>();
    }

    private sealed class OutputRow
    {
        [Microsoft.ML.Data.VectorType]
        public string[] Tags { get; set; } = Array.Empty<string>();

        [Microsoft.ML.Data.VectorType]
        public float[] Probabilities { get; set; } = Array.Empty<float>();
    }
}
