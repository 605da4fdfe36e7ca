using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Runtime;
using MlNetRnn.Transforms;

namespace MlNetRnn.Trainers.Forecasting;

/// <summary>
/// A fitted forecaster: ML.NET's <c>OnnxTransformer</c> around the exported ONNX model, plus conveniences
/// (<see cref="Forecast"/>, <see cref="SaveOnnx"/>, <see cref="History"/>).
/// </summary>
/// <remarks>
/// <para><see cref="Transform"/> accepts either the series (when the trainer was given a series column: it is windowed first)
/// or ready-made windows in the feature column.</para>
/// <para>Saving with <c>mlContext.Model.Save</c> writes the ML.NET chain (windows in, <c>Score</c> out) with the ONNX model
/// embedded. <c>mlContext.Model.Load</c> returns that chain; <see cref="Load(MLContext, string)"/> returns this type again,
/// with the options and training history read back from the ONNX metadata.</para>
/// </remarks>
public sealed class ForecasterTransformer : ITransformer, ICanSaveModel, IDisposable
{

    private readonly MLContext _mlContext;
    private readonly byte[] _onnx;
    private readonly TransformerChain<ITransformer> _chain;
    private readonly object _sessionLock = new();
    private readonly string? _ownedModelFile;
    private InferenceSession? _session;
    private bool _disposed;

    private ForecasterTransformer(MLContext mlContext, byte[] onnx, TransformerChain<ITransformer> chain, ForecasterOptions options,
        TrainingHistory? history, ParityReport? parity, ExecutionDevice inferenceDevice, string? ownedModelFile = null)
    {
        _mlContext = mlContext;
        _ownedModelFile = ownedModelFile;
        _onnx = onnx;
        _chain = chain;
        Options = options;
        History = history;
        Parity = parity;
        InferenceDevice = inferenceDevice;
        var info = OnnxModelInfo.Read(onnx);
        Metadata = info.Metadata;
        Scaler = ReadScaler(info.Metadata);
        var description = OnnxModelImporter.ReadForecastingDescription(info.Metadata);
        IntervalCoverage = description.Interval?.Coverage;
        DefaultScoringBatchSize = description.UnrolledSteps ? UnrolledScoringBatchSize : new OnnxScoringOptions().BatchSize;
    }

    // Measured with the bench's GRU-16 forecaster (docs/PERFORMANCE.md): its unrolled graph is hundreds of small ops whose fixed cost
    // per call 1,024 windows share better than 256 (1.15-1.18x the windows per second), while ONNX Runtime's LSTM node, which the
    // default LSTM forecaster keeps, ran 1,024-window batches at 0.59x the speed of 256-window ones.
    private const int UnrolledScoringBatchSize = 1024;

    /// <summary>
    /// Windows per ONNX Runtime call of a <see cref="CreateBatchScorer"/> made without options: 1,024 when the graph has its
    /// recurrent stack unrolled into plain ops (small GRU forecasters), otherwise <see cref="OnnxScoringOptions.BatchSize"/>'s default.
    /// </summary>
    public int DefaultScoringBatchSize { get; }

    /// <summary>
    /// Nominal coverage of the prediction interval the graph returns next to the forecast (e.g. 0.8), or null for a model without one
    /// (trained with <see cref="ForecasterOptions.IntervalCoverage"/> = 0, or by an older version).
    /// </summary>
    public double? IntervalCoverage { get; }

    /// <summary>Input window length.</summary>
    public int Window => Options.Window;

    /// <summary>Values forecast per window.</summary>
    public int Horizon => Options.Horizon;

    /// <summary>Losses per epoch and the epoch kept; null for a model loaded from a file without training metadata.</summary>
    public TrainingHistory? History { get; }

    /// <summary>The export self-check (ONNX Runtime vs TorchSharp); null for a loaded model.</summary>
    public ParityReport? Parity { get; }

    /// <summary>Where ONNX Runtime scoring runs (after resolving Auto).</summary>
    public ExecutionDevice InferenceDevice { get; }

    /// <summary>Where training ran (<c>cpu</c> or <c>cuda:N</c>), after resolving Auto; null when the model's metadata does not say.</summary>
    public string? TrainingDevice => TrainingMetadata.ReadDevice(Metadata);

    /// <summary>The scaler embedded in the graph.</summary>
    public SeriesScaler Scaler { get; }

    /// <summary>The ONNX model's <c>metadata_props</c> (architecture, window, horizon, scaler, training summary).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// The schema of the windows view the saved ML.NET chain takes (<c>Features</c>, <c>Label</c>, <c>WindowStart</c>):
    /// pass it to <c>mlContext.Model.Save</c> so that <c>mlContext.Model.Load</c> returns an input schema the chain can score.
    /// </summary>
    public DataViewSchema WindowsSchema =>
        SeriesWindowing.CreateWindows(_mlContext, new float[Window + Horizon], Window, Horizon, Options.FeatureColumnName, Options.LabelColumnName).Schema;

    /// <summary>
    /// Saves the ML.NET model (the scoring chain with the ONNX model embedded, and <see cref="WindowsSchema"/> as its input schema)
    /// to <paramref name="path"/> atomically. Equivalent to <c>mlContext.Model.Save(model, model.WindowsSchema, path)</c>.
    /// </summary>
    public void Save(string path)
    {
        ThrowIfDisposed();
        AtomicFile.Write(path, stream => _mlContext.Model.Save(this, WindowsSchema, stream));
        GC.KeepAlive(this);
    }

    internal ForecasterOptions Options { get; }

    /// <summary>True: on a windows schema this is a row-to-row mapper (one window in, one forecast out).</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>A copy of the ONNX model bytes.</summary>
    public byte[] GetOnnxModel() => (byte[])_onnx.Clone();

    /// <summary>Writes the ONNX model to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public void SaveOnnx(string path) => AtomicFile.WriteAllBytes(path, _onnx);

    /// <summary>
    /// Scores <paramref name="input"/>: a series view (one row per time step; only complete windows, whose targets are
    /// known, are produced, each with its <c>Label</c>) or a windows view. Scoring runs through ONNX Runtime.
    /// </summary>
    /// <exception cref="ArgumentException">Neither the series nor the window column is present with the right type.</exception>
    public IDataView Transform(IDataView input)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(input);
        return _chain.Transform(AsWindows(input));
    }

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (HasWindowColumn(inputSchema))
            return _chain.GetOutputSchema(inputSchema);
        RequireSeriesOrWindows(inputSchema);
        var empty = SeriesWindowing.CreateWindows(_mlContext, new float[Window + Horizon], Window, Horizon, Options.FeatureColumnName, Options.LabelColumnName);
        return _chain.GetOutputSchema(empty.Schema);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The schema has no window column (a series must be windowed first, with <c>mlContext.Rnn().CreateWindows</c>).</exception>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        if (!HasWindowColumn(inputSchema))
            throw new ArgumentException(
                $"Row-by-row prediction needs the window column '{Options.FeatureColumnName}' (Vector<Single, {Window}>). " +
                "Window the series first with mlContext.Rnn().CreateWindows(...), or call Forecast(history).");
        return ((ITransformer)_chain).GetRowToRowMapper(inputSchema);
    }

    /// <summary>Saves the ML.NET scoring chain (used by <c>mlContext.Model.Save</c>).</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ThrowIfDisposed();
        ((ICanSaveModel)_chain).Save(ctx);
        // The chain re-reads the model file this object owns; keep the owner (and so the file) alive until the read is done.
        GC.KeepAlive(this);
    }

    /// <summary>
    /// Forecasts the <see cref="Horizon"/> values that follow <paramref name="history"/>, using its last <see cref="Window"/> values.
    /// Runs the ONNX model directly (one batch-1 ONNX Runtime call). Thread-safe.
    /// </summary>
    /// <exception cref="ArgumentException">The history is shorter than the window or holds a non-finite value.</exception>
    public float[] Forecast(ReadOnlySpan<float> history)
    {
        ThrowIfDisposed();
        var window = CheckedWindow(history);
        return Run(window, Options.ScoreColumnName)[0];
    }

    /// <summary>
    /// Forecasts the <see cref="Horizon"/> values that follow <paramref name="history"/> with their prediction interval (the graph's
    /// <c>{Score}Lower</c> and <c>{Score}Upper</c> outputs, <see cref="IntervalCoverage"/> nominal coverage), in one ONNX Runtime call.
    /// Lower ≤ forecast ≤ upper at every step. Thread-safe.
    /// </summary>
    /// <exception cref="ArgumentException">The history is shorter than the window or holds a non-finite value.</exception>
    /// <exception cref="InvalidOperationException">The model has no interval outputs.</exception>
    public IntervalForecast ForecastWithInterval(ReadOnlySpan<float> history)
    {
        ThrowIfDisposed();
        if (IntervalCoverage is not { } coverage)
            throw new InvalidOperationException(
                "This forecaster has no prediction interval (it was trained with IntervalCoverage = 0 or by an older MlNetRnn). Train it again with IntervalCoverage > 0.");
        var window = CheckedWindow(history);
        var values = Run(window, Options.ScoreColumnName, Options.ScoreColumnName + "Lower", Options.ScoreColumnName + "Upper");
        return new IntervalForecast(values[0], values[1], values[2], coverage);
    }

    private float[] CheckedWindow(ReadOnlySpan<float> history)
    {
        if (history.Length < Window)
            throw new ArgumentException($"Forecast needs at least the last {Window} values (the window length); got {history.Length}.", nameof(history));
        var window = history[^Window..].ToArray();
        for (int i = 0; i < window.Length; i++)
        {
            if (!float.IsFinite(window[i]))
                throw new ArgumentException($"History value {history.Length - Window + i} is {window[i]}; forecasting needs finite values.", nameof(history));
        }
        if (Scaler.Log)
            PositiveValues.Require(window, "history window");
        return window;
    }

    private float[][] Run(float[] window, params string[] outputs)
    {
        var session = GetSession();
        var tensor = new DenseTensor<float>(window, new[] { 1, Window });
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(Options.FeatureColumnName, tensor) }, outputs);
        return outputs.Select(name => results.First(r => r.Name == name).AsEnumerable<float>().ToArray()).ToArray();
    }

    /// <summary>
    /// A batched scorer over this model's ONNX graph: windows (<c>float[Window]</c>) in, forecasts (<c>float[Horizon]</c>) out, many
    /// per ONNX Runtime call, as arrays or as a lazy IDataView. Dispose it when done; it is independent of this transformer.
    /// </summary>
    /// <param name="options">Batch size, device and session options; null for the defaults.</param>
    /// <remarks>
    /// Without options the scorer runs where this model runs (<see cref="InferenceDevice"/>), <see cref="DefaultScoringBatchSize"/>
    /// windows per call. For a model that log-transforms its
    /// input, the scorer rejects values ≤ 0 like <see cref="Forecast"/> does (ONNX Runtime would return NaN).
    /// </remarks>
    public OnnxBatchScorer CreateBatchScorer(OnnxScoringOptions? options = null)
    {
        ThrowIfDisposed();
        options ??= new OnnxScoringOptions { Device = InferenceDevice, BatchSize = DefaultScoringBatchSize };
        OnnxBatchScorer.InputValidator? positive = Scaler.Log
            ? (rows, width, firstRow) => RequirePositiveRows(rows, width, firstRow)
            : null;
        return new OnnxBatchScorer(_onnx, Options.FeatureColumnName, Options.ScoreColumnName, options) { ExtraValidation = positive };
    }

    private static void RequirePositiveRows(ReadOnlySpan<float> rows, int width, long firstRow)
    {
        for (int i = 0; i < rows.Length; i++)
        {
            if (!(rows[i] > 0f))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Input row {firstRow + i / width}, slot {i % width} is {rows[i]}, but this model log-transforms its input and needs every value > 0."));
        }
    }

    /// <summary>
    /// Loads a model saved with <c>mlContext.Model.Save</c> from this library's forecaster, reading the options and training
    /// history back from the embedded ONNX model's metadata.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The path is a folder.</exception>
    /// <exception cref="InvalidDataException">The file is not an ML.NET model holding an MlNetRnn forecaster, is damaged, or its weights do not match their digest.</exception>
    public static ForecasterTransformer Load(MLContext mlContext, string path)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ModelFiles.RequireFile(path, "Model file");
        // Reading our own entry first turns "not a zip" or "not ours" into a clear message before ML.NET's loader runs.
        byte[] onnx = ModelZip.ExtractOnnx(path, ForecastingOnnxExporter.TaskName);
        ModelFiles.VerifyEmbeddedWeights(onnx, path);
        ITransformer loaded;
        try
        {
            loaded = mlContext.Model.Load(path, out _);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw ModelFiles.Damaged(path, ex);
        }
        var chain = loaded as TransformerChain<ITransformer> ?? new TransformerChain<ITransformer>(loaded);
        return FromOnnx(mlContext, onnx, chain);
    }

    /// <summary>Releases the ONNX Runtime sessions and deletes the temporary model file ML.NET's OnnxTransformer reads from.</summary>
    /// <remarks>Do not call it while another thread is inside <see cref="Forecast"/> or <see cref="Transform"/>.</remarks>
    public void Dispose()
    {
        lock (_sessionLock)
        {
            if (_disposed)
                return;
            _disposed = true;
            _session?.Dispose();
            _session = null;
        }
        foreach (var t in _chain.OfType<IDisposable>())
            t.Dispose();
        TemporaryModelFile.TryDelete(_ownedModelFile);
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Deletes the temporary model file if the transformer was never disposed. Best effort: where the OS refuses to delete a file
    /// that is still open (Windows, while ML.NET's session holds it), the file stays in the temp folder.
    /// </summary>
    ~ForecasterTransformer() => TemporaryModelFile.TryDelete(_ownedModelFile);

    /// <summary>The temporary ONNX file behind the ML.NET chain (deleted on <see cref="Dispose"/>); null for loaded models.</summary>
    internal string? ModelFilePath => _ownedModelFile;

    internal static ForecasterTransformer Create(MLContext mlContext, byte[] onnx, IDataView windowsData, ForecasterOptions options,
        TrainingHistory history, ParityReport parity, IChannel channel)
    {
        var device = OnnxSessionFactory.Resolve(options.InferenceDevice, out string? note);
        if (note is not null)
            channel.Warning(MessageSensitivity.None, note);
        int? gpu = device.Kind == ExecutionDeviceKind.Cuda ? device.DeviceId : null;
        // ML.NET's Stream overload copies the model to a temp file it never deletes; with a file of our own the
        // transformer owns the file's lifetime (OnnxTransformer re-reads it when the model is saved) and deletes it on Dispose.
        string modelFile = TemporaryModelFile.Write(mlContext, onnx);
        ITransformer? onnxTransformer = null;
        try
        {
            string[] outputs = options.IntervalCoverage > 0
                ? new[] { options.ScoreColumnName, options.ScoreColumnName + "Lower", options.ScoreColumnName + "Upper" }
                : new[] { options.ScoreColumnName };
            var estimator = mlContext.Transforms.ApplyOnnxModel(outputs, new[] { options.FeatureColumnName },
                modelFile, gpuDeviceId: gpu, fallbackToCpu: false);
            onnxTransformer = estimator.Fit(windowsData);
            var chain = new TransformerChain<ITransformer>(onnxTransformer);
            return new ForecasterTransformer(mlContext, onnx, chain, options, history, parity, device, modelFile);
        }
        catch
        {
            (onnxTransformer as IDisposable)?.Dispose();
            TemporaryModelFile.TryDelete(modelFile);
            throw;
        }
    }

    private static ForecasterTransformer FromOnnx(MLContext mlContext, byte[] onnx, TransformerChain<ITransformer> chain)
    {
        var info = OnnxModelInfo.Read(onnx);
        var m = info.Metadata;
        if (!m.TryGetValue(OnnxMetadataKeys.Task, out var task) || task != ForecastingOnnxExporter.TaskName)
            throw new InvalidDataException($"The ONNX model in this file is not an MlNetRnn forecaster (task '{task ?? "missing"}').");
        var description = OnnxModelImporter.ReadForecastingDescription(m);
        int I(string key) => int.Parse(Require(m, key), CultureInfo.InvariantCulture);
        var options = new ForecasterOptions
        {
            SeriesColumnName = m.TryGetValue(OnnxMetadataKeys.SeriesColumn, out var s) && s.Length > 0 ? s : null,
            FeatureColumnName = Require(m, OnnxMetadataKeys.InputName),
            ScoreColumnName = Require(m, OnnxMetadataKeys.OutputName),
            LabelColumnName = m.TryGetValue(OnnxMetadataKeys.LabelColumn, out var l) ? l : "Label",
            Window = I(OnnxMetadataKeys.Window),
            NetworkWindow = description.NetworkWindow,
            Horizon = I(OnnxMetadataKeys.Horizon),
            HiddenSize = I(OnnxMetadataKeys.HiddenSize),
            NumberOfLayers = I(OnnxMetadataKeys.NumLayers),
            Bidirectional = Require(m, OnnxMetadataKeys.Bidirectional) == "true",
            RelativeToWindow = Require(m, OnnxMetadataKeys.RelativeToWindow) == "true",
            // Older models lack the ensemble, reference and interval keys: one network, no reference, no interval.
            EnsembleSize = description.Members,
            Reference = description.SeasonalMemberCount == 0 ? ForecastReference.WindowLevel
                : description.SeasonalMemberCount == description.Members ? ForecastReference.SeasonalNaive
                : ForecastReference.Mixed,
            Season = Math.Max(1, Math.Max(description.ReferenceSeason, description.LinearSeason)),
            IntervalCoverage = description.Interval?.Coverage ?? 0,
            LinearShare = description.LinearShare,
            Cell = Require(m, OnnxMetadataKeys.Cell) switch
            {
                "LSTM" => RecurrentCellKind.Lstm,
                "GRU" => RecurrentCellKind.Gru,
                "RNN_TANH" => RecurrentCellKind.RnnTanh,
                "RNN_RELU" => RecurrentCellKind.RnnRelu,
                var other => throw new InvalidDataException($"Unknown cell '{other}' in the model metadata."),
            },
        };
        var history = TrainingMetadata.ReadHistory(m);
        // A loaded chain runs where ML.NET's loader put it: on CUDA when the loading context asks for a GPU and the runtime has one.
        var device = mlContext.GpuDeviceId is int gpu && OnnxSessionFactory.IsCudaAvailable ? ExecutionDevice.Cuda(gpu) : ExecutionDevice.Cpu;
        return new ForecasterTransformer(mlContext, onnx, chain, options, history, null, device);
    }

    private static string Require(IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"The ONNX model lacks the metadata key '{key}'.");

    private static SeriesScaler ReadScaler(IReadOnlyDictionary<string, string> m)
    {
        if (!m.TryGetValue(OnnxMetadataKeys.ScalerKind, out var kind))
            return SeriesScaler.Identity;
        return new SeriesScaler(Enum.Parse<SeriesScalingKind>(kind), m[OnnxMetadataKeys.ScalerLog] == "true",
            float.Parse(m[OnnxMetadataKeys.ScalerCenter], CultureInfo.InvariantCulture), float.Parse(m[OnnxMetadataKeys.ScalerScale], CultureInfo.InvariantCulture));
    }

    private bool HasWindowColumn(DataViewSchema schema) =>
        schema.GetColumnOrNull(Options.FeatureColumnName) is { } c && c.Type is VectorDataViewType { ItemType: NumberDataViewType } v && v.ItemType == NumberDataViewType.Single;

    private void RequireSeriesOrWindows(DataViewSchema schema)
    {
        if (Options.SeriesColumnName is null)
        {
            SchemaValidation.RequireSingleVector(schema, Options.FeatureColumnName, "feature", Window);
            return;
        }
        if (schema.GetColumnOrNull(Options.SeriesColumnName) is null)
            throw new ArgumentException(
                $"The data has neither the series column '{Options.SeriesColumnName}' nor the window column '{Options.FeatureColumnName}'. " +
                $"Available columns: {string.Join(", ", schema.Select(c => $"'{c.Name}'"))}.");
        SchemaValidation.RequireScalarSingle(schema, Options.SeriesColumnName, "series");
    }

    private IDataView AsWindows(IDataView input)
    {
        if (HasWindowColumn(input.Schema))
        {
            SchemaValidation.RequireSingleVector(input.Schema, Options.FeatureColumnName, "feature", Window);
            // ONNX Runtime would return NaN for ln(x <= 0) without complaint; one cheap pass turns that into a clear error.
            if (Scaler.Log)
                PositiveValues.RequireInColumn(input, Options.FeatureColumnName, Window);
            return input;
        }
        RequireSeriesOrWindows(input.Schema);
        string column = Options.SeriesColumnName!;
        float[] series = SeriesColumnReader.Read(input, column);
        if (Scaler.Log)
            PositiveValues.Require(series, $"series column '{column}'");
        return SeriesWindowing.CreateWindows(_mlContext, series, Window, Horizon, Options.FeatureColumnName, Options.LabelColumnName, $"series column '{column}'");
    }

    private InferenceSession GetSession()
    {
        lock (_sessionLock)
        {
            ThrowIfDisposed();
            return _session ??= OnnxSessionFactory.Create(_onnx, InferenceDevice, out _, out _);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
