using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MlNetRnn.Onnx;

/// <summary>
/// Scores many rows per ONNX Runtime call for models with one float input <c>[batch, …]</c> and one float output
/// <c>[batch, …]</c> (every dimension but the batch fixed), such as the forecasters of this library.
/// </summary>
/// <remarks>
/// <para>Rows are copied into pinned buffers that ONNX Runtime reads and writes in place through an I/O binding; the
/// buffers, their tensor views and the bindings are reused, so scoring the same batch sizes again allocates nothing.</para>
/// <para>Thread-safe: one scorer may be used from many threads at once. Each call rents its own buffers from a pool and
/// ONNX Runtime sessions accept concurrent runs. Do not dispose while calls are in flight.</para>
/// </remarks>
public sealed class OnnxBatchScorer : IDisposable
{
    private readonly InferenceSession _session;
    private readonly ConcurrentBag<Workspace> _workspaces = new();
    private readonly ConcurrentBag<Workspace> _all = new();
    private bool _disposed;

    /// <summary>Creates a scorer for an ONNX model.</summary>
    /// <param name="modelBytes">The model.</param>
    /// <param name="inputName">The float input to feed, or null for the model's only input.</param>
    /// <param name="outputName">The float output to read, or null for the model's only output.</param>
    /// <param name="options">Batch size, device and session options; null for the defaults.</param>
    /// <exception cref="ArgumentException">The input or output is missing, not float, or has a dynamic dimension besides the batch.</exception>
    /// <exception cref="InvalidOperationException">CUDA was requested and the runtime has no CUDA provider.</exception>
    public OnnxBatchScorer(byte[] modelBytes, string? inputName = null, string? outputName = null, OnnxScoringOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modelBytes);
        Options = options ?? new OnnxScoringOptions();
        Options.Validate();
        _session = OnnxSessionFactory.Create(modelBytes, Options.Device, out var resolved, out string? note, Options.Apply);
        try
        {
            Device = resolved;
            DeviceNote = note;
            InputName = inputName ?? Single(_session.InputMetadata.Keys, "input");
            OutputName = outputName ?? Single(_session.OutputMetadata.Keys, "output");
            InputWidth = RowWidth(_session.InputMetadata, InputName, "input");
            OutputWidth = RowWidth(_session.OutputMetadata, OutputName, "output");
        }
        catch
        {
            _session.Dispose();
            throw;
        }
    }

    /// <summary>The options the scorer was created with.</summary>
    public OnnxScoringOptions Options { get; }

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

    /// <summary>
    /// Scores <c>inputs.Length / InputWidth</c> rows laid out one after another, writing <c>OutputWidth</c> values per row to
    /// <paramref name="outputs"/> in the same order.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths are not whole rows, or the output span is too short.</exception>
    public void Score(ReadOnlySpan<float> inputs, Span<float> outputs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (inputs.Length % InputWidth != 0)
            throw new ArgumentException($"The input holds {inputs.Length} values, which is not a whole number of rows of {InputWidth}.", nameof(inputs));
        int rows = inputs.Length / InputWidth;
        if (outputs.Length < rows * OutputWidth)
            throw new ArgumentException($"{rows} rows need {rows * OutputWidth} output values; the output span holds {outputs.Length}.", nameof(outputs));
        if (rows == 0)
            return;

        var workspace = Rent();
        try
        {
            int batch = Options.BatchSize;
            for (int start = 0; start < rows; start += batch)
            {
                int count = Math.Min(batch, rows - start);
                var view = workspace.ViewFor(count);
                inputs.Slice(start * InputWidth, count * InputWidth).CopyTo(workspace.Input);
                _session.RunWithBinding(workspace.RunOptions, view.Binding);
                workspace.Output.AsSpan(0, count * OutputWidth).CopyTo(outputs.Slice(start * OutputWidth, count * OutputWidth));
            }
        }
        finally
        {
            _workspaces.Add(workspace);
        }
    }

    /// <summary>Scores rows given as arrays of <see cref="InputWidth"/> values; returns one array per row, in input order.</summary>
    /// <exception cref="ArgumentException">A row has another length.</exception>
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
    /// rows are scored in batches of <see cref="OnnxScoringOptions.BatchSize"/> as a cursor moves, in input order, with constant
    /// memory however many rows there are.
    /// </summary>
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

    /// <summary>Releases the session and every pinned buffer.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var workspace in _all)
            workspace.Dispose();
        _session.Dispose();
    }

    private Workspace Rent()
    {
        if (_workspaces.TryTake(out var workspace))
            return workspace;
        workspace = new Workspace(_session, InputName, OutputName, Options.BatchSize, InputWidth, OutputWidth);
        _all.Add(workspace);
        return workspace;
    }

    private static string Single(IEnumerable<string> names, string what)
    {
        var list = names.ToList();
        if (list.Count != 1)
            throw new ArgumentException($"The model has {list.Count} {what}s ({string.Join(", ", list)}); name the one to use.");
        return list[0];
    }

    private static int RowWidth(IReadOnlyDictionary<string, NodeMetadata> metadata, string name, string what)
    {
        if (!metadata.TryGetValue(name, out var node))
            throw new ArgumentException($"The model has no {what} '{name}'. Its {what}s: {string.Join(", ", metadata.Keys)}.");
        if (node.ElementDataType != TensorElementType.Float)
            throw new ArgumentException($"The model's {what} '{name}' is {node.ElementDataType}; the batch scorer handles float tensors.");
        var dims = node.Dimensions;
        if (dims.Length < 2 || dims.Skip(1).Any(d => d <= 0))
            throw new ArgumentException($"The model's {what} '{name}' has shape [{string.Join(", ", dims)}]; the batch scorer needs [batch, fixed dims...].");
        return dims.Skip(1).Aggregate(1, (a, b) => a * b);
    }

    /// <summary>One caller's pinned buffers, with a tensor view and binding per batch size seen (so repeats allocate nothing).</summary>
    private sealed class Workspace : IDisposable
    {
        private readonly InferenceSession _session;
        private readonly string _inputName, _outputName;
        private readonly int _inputWidth, _outputWidth;
        private readonly Dictionary<int, BatchView> _views = new();

        public Workspace(InferenceSession session, string inputName, string outputName, int batchSize, int inputWidth, int outputWidth)
        {
            _session = session;
            _inputName = inputName;
            _outputName = outputName;
            _inputWidth = inputWidth;
            _outputWidth = outputWidth;
            Input = GC.AllocateArray<float>(batchSize * inputWidth, pinned: true);
            Output = GC.AllocateArray<float>(batchSize * outputWidth, pinned: true);
        }

        public float[] Input { get; }

        public float[] Output { get; }

        public RunOptions RunOptions { get; } = new();

        public BatchView ViewFor(int rows)
        {
            if (!_views.TryGetValue(rows, out var view))
            {
                view = new BatchView(_session, _inputName, _outputName, Input, Output, rows, _inputWidth, _outputWidth);
                _views[rows] = view;
            }
            return view;
        }

        public void Dispose()
        {
            foreach (var view in _views.Values)
                view.Dispose();
            RunOptions.Dispose();
        }
    }

    /// <summary>Tensors over the first <c>rows</c> rows of a workspace's pinned buffers, bound to the session.</summary>
    private sealed class BatchView : IDisposable
    {
        private readonly OrtValue _input, _output;

        public BatchView(InferenceSession session, string inputName, string outputName, float[] input, float[] output, int rows, int inputWidth, int outputWidth)
        {
            _input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.AsMemory(0, rows * inputWidth), new long[] { rows, inputWidth });
            _output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, output.AsMemory(0, rows * outputWidth), new long[] { rows, outputWidth });
            Binding = session.CreateIoBinding();
            Binding.BindInput(inputName, _input);
            Binding.BindOutput(outputName, _output);
        }

        public OrtIoBinding Binding { get; }

        public void Dispose()
        {
            Binding.Dispose();
            _input.Dispose();
            _output.Dispose();
        }
    }
}
