using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Runtime;

namespace MlNetRnn.Trainers.SequenceModeling;

/// <summary>
/// A fitted float-sequence classifier or regressor: ML.NET's OnnxTransformer over the exported model (scaling and the reshape into
/// steps inside the graph) and the ML.NET steps that put its output into ML.NET's columns (<c>Score</c>, <c>Probability</c>,
/// <c>PredictedLabel</c>). It scores through ONNX Runtime; <c>mlContext.BinaryClassification/MulticlassClassification/Regression.Evaluate</c>
/// work on its output, and <c>mlContext.Model.Save</c> saves the chain (load it with <c>mlContext.Rnn().LoadSequenceModel</c>).
/// </summary>
public sealed class SequenceModelTransformer : ITransformer, IDisposable
{
    /// <summary>Task name in the ONNX metadata.</summary>
    public const string TaskName = "float_sequence";
    internal const string MetadataKind = "sequence.kind";
    internal const string MetadataLabels = "sequence.labels";
    internal const string MetadataFeaturesPerStep = "sequence.features_per_step";
    internal const string MetadataLengthColumn = "sequence.length_column";
    private const string PredictedIndexColumn = "MlNetRnn.PredictedIndex";
    private const string PredictedNameColumn = "MlNetRnn.PredictedName";

    private readonly TransformerChain<ITransformer> _chain;
    private readonly byte[] _onnx;
    private readonly string? _ownedModelFile;
    private readonly ScorerCache<OnnxBatchScorer>? _batchScorers;
    private readonly ScorerCache<OnnxRaggedScorer>? _raggedScorers;
    private bool _disposed;

    private SequenceModelTransformer(TransformerChain<ITransformer> chain, byte[] onnx, SequenceModelKind kind, string[] labels, string featureColumn,
        int featuresPerStep, bool anyLength, string? lengthColumn, TrainingHistory? history, ParityReport? parity, string? ownedModelFile)
    {
        _chain = chain;
        _onnx = onnx;
        Kind = kind;
        LabelNames = labels;
        FeatureColumnName = featureColumn;
        FeaturesPerStep = featuresPerStep;
        History = history;
        Parity = parity;
        _ownedModelFile = ownedModelFile;
        AcceptsAnyLength = anyLength;
        LengthColumnName = lengthColumn;
        if (anyLength)
            _raggedScorers = new ScorerCache<OnnxRaggedScorer>(() => _onnx, (bytes, options) => new OnnxRaggedScorer(bytes, featuresPerStep, MainOutput(kind), options));
        else
            _batchScorers = ScorerCache.Batch(() => _onnx, SequenceOnnxNames.Input, MainOutput(kind));
    }

    /// <summary>Binary or multiclass classification, or regression (from the label column's type).</summary>
    public SequenceModelKind Kind { get; }

    /// <summary>Class names in key order (binary: false, true); empty for a regressor.</summary>
    public IReadOnlyList<string> LabelNames { get; }

    /// <summary>The feature column the model reads.</summary>
    public string FeatureColumnName { get; }

    /// <summary>Values per step of the feature vector.</summary>
    public int FeaturesPerStep { get; }

    /// <summary>
    /// Whether the model reads sequences of any length (it was trained on a variable-size vector or with a length column): its
    /// <c>.onnx</c> then takes a flattened input of any width and an int32 <c>lengths</c> input.
    /// </summary>
    public bool AcceptsAnyLength { get; }

    /// <summary>The column holding each row's count of valid steps, or null when the vector's size says it (or every step is valid).</summary>
    public string? LengthColumnName { get; }

    /// <summary>Loss per epoch and the epoch whose weights were kept (the first member's, in an ensemble); null for a loaded model.</summary>
    public TrainingHistory? History { get; }

    /// <summary>The export self-check (ONNX Runtime on raw features vs TorchSharp); null for a loaded model.</summary>
    public ParityReport? Parity { get; }

    /// <summary>True: one row in, one row out.</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>
    /// The deployable ONNX model: float <c>input</c> <c>[batch, steps · features]</c> (raw values, row-major; for a model of
    /// <see cref="AcceptsAnyLength"/>, rows zero-padded to the batch's longest, with int32 <c>lengths</c> <c>[batch]</c> giving each row's
    /// steps) in; <c>logits</c> and <c>probabilities</c> (and <c>predicted_index</c> for multiclass) or <c>output</c> (regression, in the
    /// label's units) out.
    /// </summary>
    public byte[] GetOnnxModel() => (byte[])_onnx.Clone();

    /// <summary>Writes <see cref="GetOnnxModel"/> atomically.</summary>
    public void SaveOnnx(string path) => AtomicFile.WriteAllBytes(path, _onnx);

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _chain.Transform(input);
    }

    /// <summary>
    /// The same columns as <see cref="Transform"/>, but the network runs on <see cref="OnnxScoringOptions.BatchSize"/> rows per ONNX
    /// Runtime call (ML.NET's OnnxTransformer runs one row per call), lazily and in input order. The view is not saveable (save this
    /// transformer instead). Sessions are opened once per distinct options and released when this transformer is disposed.
    /// </summary>
    /// <param name="input">Data with the feature column the model was trained on.</param>
    /// <param name="options">Batch size, device and session options; null for 256 rows on the CPU.</param>
    /// <exception cref="ArgumentException">The feature column is missing or has another size.</exception>
    public IDataView TransformBatched(IDataView input, OnnxScoringOptions? options = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(input);
        var steps = _chain.ToArray();
        int onnxAt = Array.FindIndex(steps, t => t is Microsoft.ML.Transforms.Onnx.OnnxTransformer);
        if (onnxAt < 0)
            throw new InvalidOperationException("This model's chain has no ONNX step to replace; it was not built by MlNetRnn.");
        IDataView data = input;
        for (int i = 0; i < onnxAt; i++)
            data = steps[i].Transform(data);
        // The scorer adds the column ML.NET's OnnxTransformer would (same name and shape), so the fitted steps after it apply unchanged.
        data = _raggedScorers is not null
            ? _raggedScorers.Get(options, this).TransformLikeOnnxTransformer(data, FeatureColumnName, LengthColumnName, MainOutput(Kind))
            : _batchScorers!.Get(options, this).TransformLikeOnnxTransformer(data, SequenceOnnxNames.Input, MainOutput(Kind));
        for (int i = onnxAt + 1; i < steps.Length; i++)
            data = steps[i].Transform(data);
        return data;
    }

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _chain.GetOutputSchema(inputSchema);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => ((ITransformer)_chain).GetRowToRowMapper(inputSchema);

    /// <summary>Saves the ML.NET chain (used by <c>mlContext.Model.Save</c>).</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ((ICanSaveModel)_chain).Save(ctx);
        GC.KeepAlive(this);
    }

    /// <summary>The graph output the ML.NET chain reads: the logit (binary), the probabilities (multiclass), the value (regression).</summary>
    internal static string MainOutput(SequenceModelKind kind) => kind switch
    {
        SequenceModelKind.BinaryClassification => SequenceOnnxNames.Logits,
        SequenceModelKind.MulticlassClassification => SequenceOnnxNames.Probabilities,
        _ => SequenceOnnxNames.Output,
    };

    /// <summary>
    /// One ONNX Runtime run over rows of raw values: <paramref name="output"/> in row order (the parity check's side of the comparison;
    /// probabilities for classifiers, values for a regressor). With <paramref name="lengths"/> the rows are zero-padded to the longest and
    /// their steps of <paramref name="features"/> values fed as <c>lengths</c>; without, they must be equally long.
    /// </summary>
    internal static float[] ScoreRows(byte[] onnx, float[][] rows, int features, bool lengths, string output)
    {
        if (rows.Length == 0)
            return Array.Empty<float>();
        using var session = new InferenceSession(onnx);
        int width = rows.Max(r => r.Length);
        var values = new float[rows.Length * width];
        for (int i = 0; i < rows.Length; i++)
            rows[i].CopyTo(values, i * width);
        var inputs = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor(SequenceOnnxNames.Input, new DenseTensor<float>(values, new[] { rows.Length, width })) };
        if (lengths)
            inputs.Add(NamedOnnxValue.CreateFromTensor(SequenceOnnxNames.Lengths, new DenseTensor<int>(rows.Select(r => r.Length / features).ToArray(), new[] { rows.Length })));
        using var results = session.Run(inputs, new[] { output });
        return results.First().AsEnumerable<float>().ToArray();
    }

    /// <summary>The model's own metadata keys: the kind, the class names, the columns and the step width (read back by <see cref="Load"/>).</summary>
    internal static IEnumerable<KeyValuePair<string, string>> WriteMetadata(SequenceModelKind kind, string[] labels, SequenceModelOptions o)
    {
        yield return new(MetadataKind, KindName(kind));
        yield return new(MetadataLabels, JsonSerializer.Serialize(labels));
        yield return new(MetadataFeaturesPerStep, o.FeaturesPerStep.ToString(CultureInfo.InvariantCulture));
        if (o.LengthColumnName is not null)
            yield return new(MetadataLengthColumn, o.LengthColumnName);
        yield return new(OnnxMetadataKeys.FeatureColumn, o.FeatureColumnName);
        yield return new(OnnxMetadataKeys.LabelColumn, o.LabelColumnName);
    }

    private static string KindName(SequenceModelKind kind) => kind switch
    {
        SequenceModelKind.BinaryClassification => "binary",
        SequenceModelKind.MulticlassClassification => "multiclass",
        _ => "regression",
    };

    /// <summary>
    /// The fitted transformer: <paramref name="onnx"/> is the deployable graph (with lengths for a model of any length), <paramref name="rowOnnx"/>
    /// the one ML.NET's OnnxTransformer runs a row at a time (for a variable-size vector without a length column, one without lengths).
    /// </summary>
    internal static SequenceModelTransformer Create(MLContext mlContext, byte[] onnx, byte[] rowOnnx, bool anyLength, IDataView schemaData, SequenceModelOptions options,
        SequenceModelKind kind, string[] labels, TrainingHistory history, ParityReport parity, IChannel channel)
    {
        var device = OnnxSessionFactory.Resolve(options.InferenceDevice, out string? note);
        if (note is not null)
            channel.Warning(MessageSensitivity.None, note);
        int? gpu = device.Kind == ExecutionDeviceKind.Cuda ? device.DeviceId : null;
        string modelFile = TemporaryModelFile.Write(mlContext, rowOnnx);
        try
        {
            var fitted = Chain(mlContext, options.FeatureColumnName, options.LengthColumnName, kind, labels, modelFile, gpu).Fit(schemaData);
            var chain = new TransformerChain<ITransformer>(ChainSteps.Flatten(fitted).ToArray());
            return new SequenceModelTransformer(chain, onnx, kind, labels, options.FeatureColumnName, options.FeaturesPerStep, anyLength, options.LengthColumnName,
                history, parity, modelFile);
        }
        catch
        {
            TemporaryModelFile.TryDelete(modelFile);
            throw;
        }
    }

    private static IEstimator<ITransformer> Chain(MLContext ml, string featureColumn, string? lengthColumn, SequenceModelKind kind, string[] labels, string modelFile, int? gpu)
    {
        // ML.NET's OnnxTransformer feeds columns by the graph's input names: the features travel as 'input' (a copy unless already so named),
        // a length column as 'lengths' converted to the graph's int32.
        bool copy = featureColumn != SequenceOnnxNames.Input;
        string output = MainOutput(kind);
        IEstimator<ITransformer> chain = copy
            ? ml.Transforms.CopyColumns(SequenceOnnxNames.Input, featureColumn)
            : new EstimatorChain<ITransformer>();
        var inputs = new List<string> { SequenceOnnxNames.Input };
        var dropped = new List<string> { output };
        if (copy)
            dropped.Add(SequenceOnnxNames.Input);
        if (lengthColumn is not null)
        {
            chain = chain.Append(ml.Transforms.Conversion.ConvertType(SequenceOnnxNames.Lengths, lengthColumn, DataKind.Int32));
            inputs.Add(SequenceOnnxNames.Lengths);
            if (lengthColumn != SequenceOnnxNames.Lengths)
                dropped.Add(SequenceOnnxNames.Lengths);
        }
        chain = chain.Append(ml.Transforms.ApplyOnnxModel(new[] { output }, inputs.ToArray(), modelFile, gpuDeviceId: gpu, fallbackToCpu: false));
        switch (kind)
        {
            case SequenceModelKind.BinaryClassification:
                chain = chain.Append(ml.Transforms.CustomMapping<SequenceModelMappings.LogitInput, SequenceModelMappings.BinaryOutput>(
                    SequenceModelMappings.BinaryFactory.Map, SequenceModelMappings.BinaryContract));
                break;
            case SequenceModelKind.Regression:
                chain = chain.Append(ml.Transforms.CustomMapping<SequenceModelMappings.OutputInput, SequenceModelMappings.RegressionOutput>(
                    SequenceModelMappings.RegressionFactory.Map, SequenceModelMappings.RegressionContract));
                break;
            default:
                // The predicted class becomes a key with the label's own names: index → name (MapValue), name → key (MapValueToKey over the names in key order).
                var names = ml.Data.LoadFromEnumerable(labels.Select(l => new LabelName { Name = l }));
                chain = chain
                    .Append(ml.Transforms.CopyColumns("Score", output))
                    .Append(ml.Transforms.CustomMapping<SequenceModelMappings.ProbabilitiesInput, SequenceModelMappings.ArgMaxOutput>(
                        SequenceModelMappings.ArgMaxFactory.Map, SequenceModelMappings.ArgMaxContract))
                    .Append(ml.Transforms.Conversion.MapValue(PredictedNameColumn, labels.Select((l, i) => new KeyValuePair<long, string>(i, l)), PredictedIndexColumn))
                    .Append(ml.Transforms.Conversion.MapValueToKey("PredictedLabel", PredictedNameColumn, keyData: names));
                dropped.Add(PredictedIndexColumn);
                dropped.Add(PredictedNameColumn);
                break;
        }
        return chain.Append(ml.Transforms.DropColumns(dropped.ToArray()));
    }

    /// <summary>Loads a model saved with <c>mlContext.Model.Save</c> (registering the library's CustomMapping steps first).</summary>
    internal static SequenceModelTransformer Load(MLContext mlContext, string path)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ModelFiles.RequireFile(path, "Model file");
        byte[] onnx = ModelZip.ExtractOnnx(path, TaskName);
        ModelFiles.VerifyEmbeddedWeights(onnx, path);
        var m = OnnxModelInfo.Read(onnx).Metadata;
        if (!m.TryGetValue(OnnxMetadataKeys.Task, out var task) || task != TaskName || !m.TryGetValue(MetadataKind, out var kindName)
            || !m.TryGetValue(MetadataLabels, out var labelJson) || !m.TryGetValue(OnnxMetadataKeys.FeatureColumn, out var featureColumn)
            || !m.TryGetValue(MetadataFeaturesPerStep, out var perStep) || !int.TryParse(perStep, NumberStyles.None, CultureInfo.InvariantCulture, out int featuresPerStep))
            throw new InvalidDataException($"'{path}' holds an ONNX model without a float-sequence model's kind, labels or columns; it was not saved from an MlNetRnn SequenceClassifier or SequenceRegressor.");
        var kind = kindName switch
        {
            "binary" => SequenceModelKind.BinaryClassification,
            "multiclass" => SequenceModelKind.MulticlassClassification,
            "regression" => SequenceModelKind.Regression,
            _ => throw new InvalidDataException($"'{path}': unknown model kind '{kindName}' in metadata key '{MetadataKind}'."),
        };
        string[] labels;
        try
        {
            labels = JsonSerializer.Deserialize<string[]>(labelJson) ?? Array.Empty<string>();
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}': the label names in the model's metadata are malformed ({ex.Message}).", ex);
        }
        mlContext.ComponentCatalog.RegisterAssembly(typeof(SequenceModelMappings).Assembly);
        ITransformer loaded;
        try
        {
            loaded = mlContext.Model.Load(path, out _);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw ModelFiles.Damaged(path, ex);
        }
        var chain = new TransformerChain<ITransformer>(ChainSteps.Flatten(loaded).ToArray());
        m.TryGetValue(MetadataLengthColumn, out var lengthColumn);
        var (deployable, anyLength) = Deployable(onnx, lengthColumn is not null, path);
        return new SequenceModelTransformer(chain, deployable, kind, labels, featureColumn, featuresPerStep, anyLength, lengthColumn, TrainingMetadata.ReadHistory(m), null, null);
    }

    /// <summary>
    /// The deployable graph of a saved chain's row graph: the same file for a model of one length; for a model of any length, the graph
    /// that reads a flattened input of any width with <c>lengths</c> <c>[batch]</c> (exported again from the row graph's weights and
    /// metadata when the row graph reads one variable-size row without lengths, or takes them as ML.NET hands a column).
    /// </summary>
    private static (byte[] Onnx, bool AnyLength) Deployable(byte[] rowOnnx, bool lengthColumn, string path)
    {
        ImportedRecurrentModel imported;
        try
        {
            imported = OnnxModelImporter.Import(rowOnnx);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"'{path}' holds an ONNX model that is not a readable MlNetRnn float-sequence model: {ex.Message}", ex);
        }
        if (imported.Sequence is not { } row || (!row.FlattenedAnySteps && !lengthColumn))
            return (rowOnnx, false);
        if (row.FlattenedAnySteps && row.UsesLengths && !row.LengthsColumnShape)
            return (rowOnnx, true);
        var deployable = row with { FlattenedSteps = 0, FlattenedAnySteps = true, UsesLengths = true, LengthsColumnShape = false };
        return (SequenceOnnxExporter.Export(deployable, imported.Weights, imported.ExtraMetadata), true);
    }


    /// <summary>Releases ONNX Runtime sessions and deletes the temporary model file ML.NET's OnnxTransformer reads.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var t in _chain.OfType<IDisposable>())
            t.Dispose();
        _batchScorers?.Dispose();
        _raggedScorers?.Dispose();
        TemporaryModelFile.TryDelete(_ownedModelFile);
        GC.SuppressFinalize(this);
    }

    /// <summary>Deletes the temporary model file if the transformer was never disposed (best effort).</summary>
    ~SequenceModelTransformer() => TemporaryModelFile.TryDelete(_ownedModelFile);

    private sealed class LabelName
    {
        public string Name { get; set; } = "";
    }
}
