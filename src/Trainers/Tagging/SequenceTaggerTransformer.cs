using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace MlNetRnn.Trainers.Tagging;

/// <summary>
/// A fitted sequence tagger: the tokens' code points (a CustomMapping), ML.NET's OnnxTransformer over the exported graph (word lookup,
/// spelling features, the network and the tag names all inside it), and the output columns: the predicted tag per token (a vector of
/// String) and its probability (a vector of Single), as long as the tokens. <c>mlContext.Model.Save</c> saves the chain (load it with
/// <c>mlContext.Rnn().LoadSequenceTagger</c>); <see cref="Tag"/> scores many sentences per ONNX Runtime call.
/// </summary>
public sealed class SequenceTaggerTransformer : ITransformer, IDisposable
{
    /// <summary>Task name in the ONNX metadata.</summary>
    public const string TaskName = "tagging";
    internal const string MetadataWordVectors = "tagger.word_vectors";

    private readonly TransformerChain<ITransformer> _chain;
    private readonly byte[] _onnx;
    private readonly string? _ownedModelFile;
    private readonly ScorerCache<OnnxTaggerScorer> _scorers;
    private bool _disposed;

    private SequenceTaggerTransformer(TransformerChain<ITransformer> chain, byte[] onnx, SequenceModelDescription description,
        string tokensColumn, TrainingHistory? history, ParityReport? parity, string? ownedModelFile)
    {
        _chain = chain;
        _onnx = onnx;
        Tags = description.OutputLabels!;
        Vocabulary = description.TokenStrings!;
        TokensColumnName = tokensColumn;
        History = history;
        Parity = parity;
        _ownedModelFile = ownedModelFile;
        _scorers = new ScorerCache<OnnxTaggerScorer>(() => _onnx, (bytes, options) => new OnnxTaggerScorer(bytes, options));
    }

    /// <summary>The tags the model emits, commonest in training first.</summary>
    public IReadOnlyList<string> Tags { get; }

    /// <summary>The word vocabulary: <c>&lt;pad&gt;</c>, <c>&lt;unk&gt;</c>, then words (case kept) by training frequency.</summary>
    public IReadOnlyList<string> Vocabulary { get; }

    /// <summary>The tokens column the model reads.</summary>
    public string TokensColumnName { get; }

    /// <summary>Token cross-entropy per epoch and the epoch whose weights were kept; null for a loaded model.</summary>
    public TrainingHistory? History { get; }

    /// <summary>The export self-check (ONNX Runtime on raw tokens vs TorchSharp); null for a loaded model.</summary>
    public ParityReport? Parity { get; }

    /// <summary>Token accuracy on the validation sentences after each epoch (the learning curve); empty for a loaded model or without validation.</summary>
    public IReadOnlyList<double> ValidationAccuracy { get; private init; } = Array.Empty<double>();

    /// <summary>Whether the time budget ended training (the best epoch's weights were kept).</summary>
    public bool StoppedByTimeBudget { get; private init; }

    /// <summary>True: one row in, one row out.</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>
    /// The deployable ONNX model: <c>tokens</c> (string <c>[batch, seq]</c>), <c>token_chars</c> (int64 code points
    /// <c>[batch, seq, chars]</c>, zero-padded) and <c>lengths</c> (int32 <c>[batch]</c>) in; <c>predicted_label</c> (string
    /// <c>[batch, seq]</c>), <c>predicted_probability</c>, <c>probabilities</c> and <c>logits</c> out (docs/ONNX.md).
    /// </summary>
    public byte[] GetOnnxModel() => (byte[])_onnx.Clone();

    /// <summary>Writes <see cref="GetOnnxModel"/> atomically.</summary>
    public void SaveOnnx(string path) => AtomicFile.WriteAllBytes(path, _onnx);

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        TaggedSentences.RequireTokens(input.Schema, TokensColumnName);
        return _chain.Transform(input);
    }

    /// <summary>
    /// Tags sentences many per ONNX Runtime call (grouped by length, padded per group): the fast path for data sets. Empty sentences
    /// get empty results.
    /// </summary>
    /// <param name="sentences">Tokens of each sentence, case kept.</param>
    /// <param name="options">Batch size, threads, device; null for the defaults (256 sentences per call, one thread).</param>
    public IReadOnlyList<TaggedTokens> Tag(IReadOnlyList<IReadOnlyList<string>> sentences, OnnxScoringOptions? options = null) =>
        _scorers.Get(options, this).Tag(sentences);

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _chain.GetOutputSchema(inputSchema);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => ((ITransformer)_chain).GetRowToRowMapper(inputSchema);

    /// <inheritdoc />
    void ICanSaveModel.Save(ModelSaveContext ctx) => ((ICanSaveModel)_chain).Save(ctx);

    internal static SequenceTaggerTransformer Create(MLContext mlContext, byte[] onnx, byte[] rowModel, SequenceModelDescription description, IDataView schemaData,
        SequenceTaggerOptions options, TaggerTrainingResult result, ParityReport parity, IChannel channel)
    {
        var device = OnnxSessionFactory.Resolve(options.InferenceDevice, out string? note);
        if (note is not null)
            channel.Warning(MessageSensitivity.None, note);
        int? gpu = device.Kind == ExecutionDeviceKind.Cuda ? device.DeviceId : null;
        string modelFile = TemporaryModelFile.Write(mlContext, rowModel);
        try
        {
            var fitted = Chain(mlContext, options.TokensColumnName, options.PredictedTagsColumnName, options.TagProbabilityColumnName, description.CharacterFeatures is not null,
                modelFile, gpu).Fit(schemaData);
            return new SequenceTaggerTransformer(new TransformerChain<ITransformer>(ChainSteps.Flatten(fitted).ToArray()), onnx, description, options.TokensColumnName,
                result.History, parity, modelFile)
            {
                ValidationAccuracy = result.ValidationAccuracy,
                StoppedByTimeBudget = result.StoppedByTimeBudget,
            };
        }
        catch
        {
            TemporaryModelFile.TryDelete(modelFile);
            throw;
        }
    }

    private static IEstimator<ITransformer> Chain(MLContext ml, string tokensColumn, string tagsColumn, string probabilityColumn, bool characters, string modelFile, int? gpu)
    {
        // ML.NET's OnnxTransformer feeds columns by the graph's input names: the tokens travel as 'tokens' (a copy unless already so named).
        bool copy = tokensColumn != SequenceOnnxNames.Tokens;
        var dropped = new List<string> { SequenceOnnxNames.PredictedLabel, SequenceOnnxNames.PredictedProbability };
        if (copy)
            dropped.Add(SequenceOnnxNames.Tokens);
        var chain = copy ? ml.Transforms.CopyColumns(SequenceOnnxNames.Tokens, tokensColumn) : (IEstimator<ITransformer>)new EstimatorChain<ITransformer>();
        var inputs = new List<string> { SequenceOnnxNames.Tokens };
        if (characters)
        {
            chain = chain.Append(ml.Transforms.CustomMapping<SequenceTaggerMappings.TokensInput, SequenceTaggerMappings.CodePointsOutput>(
                SequenceTaggerMappings.CodePointsFactory.Map, SequenceTaggerMappings.CodePointsContract));
            inputs.Add(SequenceOnnxNames.TokenCharacters);
            dropped.Add(SequenceOnnxNames.TokenCharacters);
        }
        return chain
            .Append(ml.Transforms.ApplyOnnxModel(new[] { SequenceOnnxNames.PredictedLabel, SequenceOnnxNames.PredictedProbability },
                inputs.ToArray(), modelFile, gpuDeviceId: gpu, fallbackToCpu: false))
            .Append(ml.Transforms.CopyColumns(tagsColumn, SequenceOnnxNames.PredictedLabel))
            .Append(ml.Transforms.CopyColumns(probabilityColumn, SequenceOnnxNames.PredictedProbability))
            .Append(ml.Transforms.DropColumns(dropped.ToArray()));
    }

    /// <summary>The graph that ML.NET's OnnxTransformer runs one sentence at a time: flattened code points, no lengths.</summary>
    internal static SequenceModelDescription RowDescription(SequenceModelDescription deployed) => deployed with
    {
        UsesLengths = false,
        CharacterFeatures = deployed.CharacterFeatures is { } c ? c with { FlattenedInput = true } : null,
    };

    /// <summary>Loads a tagger saved with <c>mlContext.Model.Save</c> (registering the library's CustomMapping step first).</summary>
    internal static SequenceTaggerTransformer Load(MLContext mlContext, string path)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ModelFiles.RequireFile(path, "Model file");
        byte[] rowModel = ModelZip.ExtractOnnx(path, TaskName);
        ModelFiles.VerifyEmbeddedWeights(rowModel, path);
        ImportedRecurrentModel imported;
        try
        {
            imported = OnnxModelImporter.Import(rowModel);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"'{path}' holds an ONNX model that is not a readable MlNetRnn tagger: {ex.Message}", ex);
        }
        var row = imported.Sequence;
        if (imported.Task != TaskName || row?.OutputLabels is null || row.TokenStrings is null
            || !imported.Metadata.TryGetValue(OnnxMetadataKeys.TextColumn, out var tokensColumn))
            throw new InvalidDataException($"'{path}' holds an ONNX model without a tagger's tags, vocabulary or tokens column; it was not saved from an MlNetRnn SequenceTagger.");
        var deployed = row with
        {
            UsesLengths = true,
            CharacterFeatures = row.CharacterFeatures is { } c ? c with { FlattenedInput = false } : null,
        };
        byte[] onnx = SequenceOnnxExporter.Export(deployed, imported.Weights, imported.ExtraMetadata);
        mlContext.ComponentCatalog.RegisterAssembly(typeof(SequenceTaggerMappings).Assembly);
        ITransformer loaded;
        try
        {
            loaded = mlContext.Model.Load(path, out _);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw ModelFiles.Damaged(path, ex);
        }
        return new SequenceTaggerTransformer(new TransformerChain<ITransformer>(ChainSteps.Flatten(loaded).ToArray()), onnx, deployed, tokensColumn,
            TrainingMetadata.ReadHistory(imported.Metadata), null, null);
    }


    /// <summary>Releases ONNX Runtime sessions and deletes the temporary model file ML.NET's OnnxTransformer reads.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var t in _chain.OfType<IDisposable>())
            t.Dispose();
        _scorers.Dispose();
        TemporaryModelFile.TryDelete(_ownedModelFile);
        GC.SuppressFinalize(this);
    }

    /// <summary>Deletes the temporary model file if the transformer was never disposed (best effort).</summary>
    ~SequenceTaggerTransformer() => TemporaryModelFile.TryDelete(_ownedModelFile);
}
