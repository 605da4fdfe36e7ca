using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MlNetRnn.Onnx.Scoring;

/// <summary>
/// Scores many rows per ONNX Runtime call for models with one float input <c>[batch, …]</c> and one float output
/// <c>[batch, …]</c> (a dynamic batch dimension, every other dimension fixed), such as the forecasters of this library.
/// </summary>
/// <remarks>
/// <para>Rows are copied into buffers that the garbage collector never moves, which ONNX Runtime reads and writes in place
/// through an I/O binding. The buffers, their tensor views and bindings are reused: scoring full batches, or the same
/// partial size again, allocates nothing on the managed heap.</para>
/// <para>Thread-safe: one scorer may be used from many threads at once. Each call rents its own buffers from a pool and
/// ONNX Runtime sessions accept concurrent runs. Do not dispose while calls are in flight; views returned by
/// <see cref="Transform"/> stop working once the scorer is disposed.</para>
/// </remarks>
public sealed class OnnxBatchScorer : IDisposable
{
    private readonly InferenceSession _session;
    private readonly WorkspacePool<Workspace> _workspaces;
    private readonly long[] _inputRowShape;
    private readonly long[] _outputRowShape;
    private bool _disposed;

    /// <summary>Creates a scorer for an ONNX model.</summary>
    /// <param name="modelBytes">The model.</param>
    /// <param name="inputName">The float input to feed, or null for the model's only input.</param>
    /// <param name="outputName">The float output to read, or null for the model's main output (named in its metadata, e.g. a forecaster's <c>Score</c> rather than its interval bounds) or its only output.</param>
    /// <param name="options">Batch size, device and session options (copied); null for the defaults.</param>
    /// <exception cref="ArgumentException">The input or output is missing, not float, has a fixed batch dimension, or another dynamic dimension.</exception>
    /// <exception cref="InvalidOperationException">CUDA was requested and the runtime has no CUDA provider.</exception>
    public OnnxBatchScorer(byte[] modelBytes, string? inputName = null, string? outputName = null, OnnxScoringOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modelBytes);
        var settings = options ?? new OnnxScoringOptions();
        settings.Validate();
        BatchSize = settings.BatchSize;
        _session = OnnxSessionFactory.Create(modelBytes, settings.Device, out var resolved, out string? note, settings.Apply);
        _workspaces = new WorkspacePool<Workspace>(() => new Workspace(this));
        try
        {
            Device = resolved;
            DeviceNote = note;
            InputName = inputName ?? Single(_session.InputMetadata.Keys, "input");
            // A model of this library names its main output in its metadata (a forecaster's interval bounds are extra outputs).
            OutputName = outputName
                ?? (_session.ModelMetadata.CustomMetadataMap.TryGetValue(OnnxMetadataKeys.OutputName, out var main) && _session.OutputMetadata.ContainsKey(main)
                    ? main
                    : Single(_session.OutputMetadata.Keys, "output"));
            _inputRowShape = RowShape(_session.InputMetadata, InputName, "input");
            _outputRowShape = RowShape(_session.OutputMetadata, OutputName, "output");
            InputWidth = (int)_inputRowShape.Aggregate(1L, (a, b) => a * b);
            OutputWidth = (int)_outputRowShape.Aggregate(1L, (a, b) => a * b);
        }
        catch
        {
            _session.Dispose();
            throw;
        }
    }

    /// <summary>Rows per ONNX Runtime call.</summary>
    public int BatchSize { get; }

    /// <summary>Where the session runs (after resolving Auto).</summary>
    public ExecutionDevice Device { get; }

    /// <summary>Why Auto fell back to the CPU, or null.</summary>
    public string? DeviceNote { get; }

    /// <summary>The input fed with rows.</summary>
    public string InputName { get; }

    /// <summary>The output read back.</summary>
    public string OutputName { get; }

    /// <summary>Floats per input row (product of the input's non-batch dimensions).</summary>
    public int InputWidth { get; }

    /// <summary>Floats per output row.</summary>
    public int OutputWidth { get; }

    /// <summary>A further check of input rows (for example "all positive" for models that log-transform), run before scoring.</summary>
    internal InputValidator? ExtraValidation { get; init; }

    /// <summary>Checks rows before they reach the model; <paramref name="firstRow"/> numbers them in messages.</summary>
    internal delegate void InputValidator(ReadOnlySpan<float> rows, int width, long firstRow);

    /// <summary>
    /// Scores <c>inputs.Length / InputWidth</c> rows laid out one after another, writing <c>OutputWidth</c> values per row to
    /// <paramref name="outputs"/> in the same order.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths are not whole rows, the output span is too short, or a value is not finite.</exception>
    public void Score(ReadOnlySpan<float> inputs, Span<float> outputs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (inputs.Length % InputWidth != 0)
            throw new ArgumentException($"The input holds {inputs.Length} values, which is not a whole number of rows of {InputWidth}.", nameof(inputs));
        int rows = inputs.Length / InputWidth;
        if (outputs.Length < rows * OutputWidth)
            throw new ArgumentException($"{rows} rows need {rows * OutputWidth} output values; the output span holds {outputs.Length}.", nameof(outputs));
        ValidateRows(inputs, 0);
        ScoreValidated(inputs, outputs);
    }

    /// <summary>Scores rows given as arrays of <see cref="InputWidth"/> values; returns one array per row, in input order.</summary>
    /// <exception cref="ArgumentException">A row has another length or a value that is not finite.</exception>
    public float[][] Score(IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var flat = new float[rows.Count * InputWidth];
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i] is null || rows[i].Length != InputWidth)
                throw new ArgumentException($"Row {i} has {rows[i]?.Length ?? 0} values; the model's input '{InputName}' takes {InputWidth} per row.", nameof(rows));
            rows[i].CopyTo(flat, i * InputWidth);
        }
        var output = new float[rows.Count * OutputWidth];
        Score(flat, output);
        var result = new float[rows.Count][];
        for (int i = 0; i < rows.Count; i++)
            result[i] = output.AsSpan(i * OutputWidth, OutputWidth).ToArray();
        return result;
    }

    /// <summary>
    /// A lazy view of <paramref name="input"/> with <paramref name="outputColumnName"/> (Vector&lt;Single, OutputWidth&gt;) added:
    /// rows are scored in batches of <see cref="BatchSize"/> as a cursor moves, in input order, with constant memory however
    /// many rows there are.
    /// </summary>
    /// <remarks>
    /// The view reads the input column through a second cursor running one batch ahead, so the input must return the same rows
    /// in the same order on every pass (any ML.NET view without shuffling does), and the upstream work for that column runs twice.
    /// A row that differs between the two passes is detected by its row id and reported.
    /// </remarks>
    /// <param name="input">The rows to score.</param>
    /// <param name="inputColumnName">A Vector&lt;Single, InputWidth&gt; column.</param>
    /// <param name="outputColumnName">The column to add (it hides an input column of the same name).</param>
    /// <exception cref="ArgumentException">The input column is missing or has another type or size.</exception>
    public IDataView Transform(IDataView input, string inputColumnName, string outputColumnName)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentException.ThrowIfNullOrEmpty(outputColumnName);
        return new BatchScoredDataView(this, input, inputColumnName, outputColumnName);
    }

    /// <summary>
    /// <see cref="Transform"/> with the output column typed as ML.NET's OnnxTransformer types it (the graph's output shape with the batch
    /// dimension as 1, e.g. <c>Vector&lt;Single, 1, 10&gt;</c>), so fitted ML.NET steps after an OnnxTransformer see the same schema.
    /// </summary>
    internal IDataView TransformLikeOnnxTransformer(IDataView input, string inputColumnName, string outputColumnName)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(input);
        var dims = new[] { 1 }.Concat(_outputRowShape.Select(d => (int)d)).ToArray();
        return new BatchScoredDataView(this, input, inputColumnName, outputColumnName, new VectorDataViewType(NumberDataViewType.Single, dims));
    }

    /// <summary>Releases the session and every buffer.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _workspaces.Dispose();
        _session.Dispose();
    }

    /// <summary>Rejects non-finite values (and whatever <see cref="ExtraValidation"/> rejects), naming row and slot.</summary>
    internal void ValidateRows(ReadOnlySpan<float> rows, long firstRow)
    {
        for (int i = 0; i < rows.Length; i++)
        {
            if (!float.IsFinite(rows[i]))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Input row {firstRow + i / InputWidth}, slot {i % InputWidth} is {rows[i]}; scoring needs finite values."));
        }
        ExtraValidation?.Invoke(rows, InputWidth, firstRow);
    }

    /// <summary>Scores rows already checked by <see cref="ValidateRows"/>.</summary>
    internal void ScoreValidated(ReadOnlySpan<float> inputs, Span<float> outputs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int rows = inputs.Length / InputWidth;
        if (rows == 0)
            return;
        var workspace = _workspaces.Rent();
        try
        {
            for (int start = 0; start < rows; start += BatchSize)
            {
                int count = Math.Min(BatchSize, rows - start);
                var view = workspace.ViewFor(count);
                inputs.Slice(start * InputWidth, count * InputWidth).CopyTo(workspace.Input);
                _session.RunWithBinding(workspace.RunOptions, view.Binding);
                workspace.Output.AsSpan(0, count * OutputWidth).CopyTo(outputs.Slice(start * OutputWidth, count * OutputWidth));
            }
        }
        finally
        {
            _workspaces.Return(workspace);
        }
    }

    private static string Single(IEnumerable<string> names, string what)
    {
        var list = names.ToList();
        if (list.Count != 1)
            throw new ArgumentException($"The model has {list.Count} {what}s ({string.Join(", ", list)}); name the one to use.");
        return list[0];
    }

    /// <summary>The non-batch dimensions of a float tensor whose first dimension is a dynamic batch.</summary>
    private static long[] RowShape(IReadOnlyDictionary<string, NodeMetadata> metadata, string name, string what)
    {
        if (!metadata.TryGetValue(name, out var node))
            throw new ArgumentException($"The model has no {what} '{name}'. Its {what}s: {string.Join(", ", metadata.Keys)}.");
        if (node.ElementDataType != TensorElementType.Float)
            throw new ArgumentException($"The model's {what} '{name}' is {node.ElementDataType}; the batch scorer handles float tensors.");
        var dims = node.Dimensions;
        string shape = string.Join(", ", dims.Select(d => d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture)));
        if (dims.Length < 2 || dims[0] >= 0)
            throw new ArgumentException($"The model's {what} '{name}' has shape [{shape}]; the batch scorer needs a dynamic first (batch) dimension and at least one more.");
        if (dims.Skip(1).Any(d => d <= 0))
            throw new ArgumentException($"The model's {what} '{name}' has shape [{shape}]; every dimension after the batch must be fixed.");
        return dims.Skip(1).Select(d => (long)d).ToArray();
    }

    /// <summary>
    /// One caller's buffers with a tensor view and binding for full batches, plus one for the latest partial size (replaced
    /// when the size changes, so varied request sizes do not accumulate native handles).
    /// </summary>
    private sealed class Workspace : IDisposable
    {
        private readonly OnnxBatchScorer _scorer;
        private BatchView? _full;
        private BatchView? _partial;

        public Workspace(OnnxBatchScorer scorer)
        {
            _scorer = scorer;
            Input = GC.AllocateArray<float>(scorer.BatchSize * scorer.InputWidth, pinned: true);
            Output = GC.AllocateArray<float>(scorer.BatchSize * scorer.OutputWidth, pinned: true);
        }

        public float[] Input { get; }

        public float[] Output { get; }

        public RunOptions RunOptions { get; } = new();

        public BatchView ViewFor(int rows)
        {
            if (rows == _scorer.BatchSize)
                return _full ??= new BatchView(_scorer, Input, Output, rows);
            if (_partial?.Rows != rows)
            {
                _partial?.Dispose();
                _partial = new BatchView(_scorer, Input, Output, rows);
            }
            return _partial;
        }

        public void Dispose()
        {
            _full?.Dispose();
            _partial?.Dispose();
            RunOptions.Dispose();
        }
    }

    /// <summary>Tensors over the first <c>rows</c> rows of a workspace's buffers, bound to the session.</summary>
    private sealed class BatchView : IDisposable
    {
        private readonly OrtValue _input, _output;

        public BatchView(OnnxBatchScorer scorer, float[] input, float[] output, int rows)
        {
            Rows = rows;
            _input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.AsMemory(0, rows * scorer.InputWidth),
                new[] { (long)rows }.Concat(scorer._inputRowShape).ToArray());
            _output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, output.AsMemory(0, rows * scorer.OutputWidth),
                new[] { (long)rows }.Concat(scorer._outputRowShape).ToArray());
            Binding = scorer._session.CreateIoBinding();
            Binding.BindInput(scorer.InputName, _input);
            Binding.BindOutput(scorer.OutputName, _output);
        }

        public int Rows { get; }

        public OrtIoBinding Binding { get; }

        public void Dispose()
        {
            Binding.Dispose();
            _input.Dispose();
            _output.Dispose();
        }
    }
}
