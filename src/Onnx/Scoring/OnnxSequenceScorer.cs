using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;

namespace MlNetRnn.Onnx.Scoring;

/// <summary>
/// Scores variable-length rows with a sequence model exported with a <c>lengths</c> input: rows are grouped by length (sorted, then cut
/// into batches of <see cref="OnnxScoringOptions.BatchSize"/>), each batch is padded only to its own longest row and run once, and the
/// results come back in input order. Arrays in and out (<see cref="Score(IReadOnlyList{long[]})"/> and its overloads), or an
/// <see cref="IDataView"/> in and a lazily scored one out (<see cref="Transform(IDataView, string, string)"/>).
/// </summary>
/// <remarks>
/// <para>Inputs and outputs live in pinned buffers that ONNX Runtime reads and writes in place through an I/O binding; they are reused
/// from batch to batch, and each batch shape's tensor views are kept, so steady-state scoring allocates nothing per batch beyond the
/// results handed back and a little bookkeeping per call (nothing at all through the span overloads once warm).</para>
/// <para>Thread-safe: one instance may be used from many threads at once. Each call rents its own buffers, each cursor of a view owns
/// its own, and ONNX Runtime sessions accept concurrent runs. Do not dispose while calls are in flight.</para>
/// </remarks>
public sealed class OnnxSequenceScorer : IDisposable
{
    private readonly InferenceSession _session;
    private readonly SequenceScoringPlan _plan;
    private readonly SequenceOutput _returned;
    private readonly WorkspacePool<SequenceBatchWorkspace> _workspaces;
    private bool _disposed;

    /// <summary>Creates a scorer for model bytes with a <c>lengths</c> input (<see cref="SequenceModelDescription.UsesLengths"/>).</summary>
    /// <param name="modelBytes">The model.</param>
    /// <param name="options">Batch size, grouping window, device and session options; null for the defaults.</param>
    /// <param name="outputName">The float output the array and span calls return (for example <c>logits</c>); null for the head's
    /// <c>output</c> or <c>probabilities</c>.</param>
    /// <exception cref="InvalidDataException">The model has no lengths input, or has state inputs (use <see cref="OnnxStatefulSession"/>).</exception>
    /// <exception cref="ArgumentException"><paramref name="outputName"/> is not a float output of the model.</exception>
    public OnnxSequenceScorer(byte[] modelBytes, OnnxScoringOptions? options = null, string? outputName = null)
    {
        ArgumentNullException.ThrowIfNull(modelBytes);
        var m = OnnxModelInfo.Read(modelBytes).Metadata;
        if (!m.TryGetValue(OnnxMetadataKeys.UsesLengths, out var lengths) || lengths != "true")
            throw new InvalidDataException("The model has no 'lengths' input (metadata 'io.uses_lengths' is not true); export it with UsesLengths to score variable-length rows.");
        if (m.TryGetValue(OnnxMetadataKeys.ExposesState, out var state) && state == "true")
            throw new InvalidDataException("The model takes state inputs; score it step by step with OnnxStatefulSession.");
        EveryStep = RecurrentMetadata.Require(m, OnnxMetadataKeys.Pooling) == "every_step";
        OutputSize = RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.HeadOutputs);
        options ??= new OnnxScoringOptions();
        options.Validate();
        BatchSize = options.BatchSize;
        GroupingWindow = options.LengthGroupingWindow;
        _session = OnnxSessionFactory.Create(modelBytes, options.Device, out var resolved, out string? note, options.Apply);
        try
        {
            _plan = new SequenceScoringPlan(m, _session);
            _returned = _plan.Output(outputName ?? _plan.PrimaryOutput);
            if (!_returned.IsFloat)
                throw new ArgumentException($"The model's output '{_returned.Name}' is int64; the array and span calls return a float output (read int64 outputs through Transform).", nameof(outputName));
        }
        catch
        {
            _session.Dispose();
            throw;
        }
        _workspaces = new WorkspacePool<SequenceBatchWorkspace>(() => new SequenceBatchWorkspace(_session, _plan, new[] { _returned }, BatchSize));
        Device = resolved;
        DeviceNote = note;
    }

    /// <summary>Rows per ONNX Runtime run.</summary>
    public int BatchSize { get; }

    /// <summary>Where the session runs.</summary>
    public ExecutionDevice Device { get; }

    /// <summary>Why <see cref="ExecutionDevice.Auto"/> fell back to the CPU, if it did.</summary>
    public string? DeviceNote { get; }

    /// <summary>Batches a view's cursor reads ahead and sorts by length together (<see cref="OnnxScoringOptions.LengthGroupingWindow"/>).</summary>
    public int GroupingWindow { get; }

    /// <summary>The graph's outputs (besides the head's <c>output</c> or <c>probabilities</c>, for example <c>logits</c> or <c>predicted_index</c>).</summary>
    public IReadOnlyList<string> OutputNames => _plan.Outputs.Select(o => o.Name).ToArray();

    /// <summary>Values per row (or per step for every-step heads).</summary>
    public int OutputSize { get; }

    /// <summary>Features per step (1 for token input).</summary>
    public int InputSize => _plan.InputSize;

    /// <summary>Embedding rows for id input (ids must be below it); 0 otherwise.</summary>
    public int VocabularySize => _plan.VocabularySize;

    /// <summary>Whether the head scores every step: then each row's result holds <c>steps · OutputSize</c> values (its valid steps only).</summary>
    public bool EveryStep { get; }

    /// <summary>Scores rows of token ids; one result per row, in input order.</summary>
    /// <exception cref="ArgumentException">A row is empty (and the model has no begin token) or holds an id outside the vocabulary; the row is named.</exception>
    public float[][] Score(IReadOnlyList<long[]> rows)
    {
        Require(SequenceInputKind.TokenIds);
        ArgumentNullException.ThrowIfNull(rows);
        for (int r = 0; r < rows.Count; r++)
            CheckIds(rows[r] ?? throw new ArgumentException($"Row {r} is null."), r, null);
        return ScoreCore(rows.Count, r => rows[r].Length, (workspace, batch) =>
        {
            var ids = workspace.Ids;
            ids.Clear();
            for (int i = 0; i < batch.Length; i++)
                rows[batch[i]].AsSpan(0, workspace.Lengths[i]).CopyTo(ids.Slice(i * workspace.Width));
        });
    }

    /// <summary>Scores rows of string tokens (models with an in-graph vocabulary); unknown strings map to the model's unknown id.</summary>
    public float[][] Score(IReadOnlyList<string[]> rows)
    {
        Require(SequenceInputKind.TokenStrings);
        ArgumentNullException.ThrowIfNull(rows);
        for (int r = 0; r < rows.Count; r++)
        {
            if (rows[r] is null || rows[r].Any(t => t is null))
                throw new ArgumentException($"Row {r} is null or holds a null token.");
        }
        return ScoreCore(rows.Count, r => rows[r].Length, (workspace, batch) =>
        {
            int width = workspace.Width;
            for (int i = 0; i < batch.Length; i++)
            {
                var row = rows[batch[i]];
                int fed = workspace.Lengths[i];
                for (int c = 0; c < width; c++)
                    workspace.SetToken(c < fed ? row[c] : ReadOnlySpan<char>.Empty, i * width + c);
            }
        });
    }

    /// <summary>Scores rows of float features, each <c>steps · InputSize</c> values, step-major.</summary>
    /// <exception cref="ArgumentException">A row's length is not a positive multiple of <see cref="InputSize"/>, or a value is not finite.</exception>
    public float[][] Score(IReadOnlyList<float[]> rows)
    {
        Require(SequenceInputKind.Features);
        ArgumentNullException.ThrowIfNull(rows);
        for (int r = 0; r < rows.Count; r++)
            CheckFeatures(rows[r] ?? throw new ArgumentException($"Row {r} is null."), r, null);
        return ScoreCore(rows.Count, r => rows[r].Length / InputSize, (workspace, batch) =>
        {
            var features = workspace.Features;
            features.Clear();
            for (int i = 0; i < batch.Length; i++)
                rows[batch[i]].AsSpan(0, workspace.Lengths[i] * InputSize).CopyTo(features.Slice(i * workspace.Width * InputSize));
        });
    }

    /// <summary>Values of one row's result from the array and span calls: <see cref="OutputSize"/>, or the graph's steps for a row of <paramref name="steps"/> steps × <see cref="OutputSize"/> for every-step heads.</summary>
    public int ResultSize(int steps) => _returned.PerStep ? _plan.GraphSteps(steps) * _returned.Inner : _returned.Inner;

    /// <summary>
    /// Scores rows of token ids laid out back to back (row <c>r</c> is the next <c>lengths[r]</c> ids) and writes the results back to
    /// back, in input order, each <see cref="ResultSize"/>(<c>lengths[r]</c>) values. Nothing is allocated once the scorer is warm.
    /// </summary>
    /// <returns>The number of values written.</returns>
    /// <exception cref="ArgumentException">The lengths do not add up to the ids, the output span is too short, or a row is empty or holds an id outside the vocabulary.</exception>
    public int Score(ReadOnlySpan<long> ids, ReadOnlySpan<int> lengths, Span<float> outputs)
    {
        Require(SequenceInputKind.TokenIds);
        int offset = 0;
        for (int r = 0; r < lengths.Length; r++)
        {
            CheckSpanRow(lengths[r], offset, ids.Length, r);
            CheckIds(ids.Slice(offset, lengths[r]), r, null);
            offset += lengths[r];
        }
        return ScoreFlat(ids, 1, lengths, outputs);
    }

    /// <summary>
    /// Scores rows of float features laid out back to back (row <c>r</c> is the next <c>lengths[r] · InputSize</c> values, step-major)
    /// and writes the results back to back, in input order. Nothing is allocated once the scorer is warm.
    /// </summary>
    /// <returns>The number of values written.</returns>
    /// <exception cref="ArgumentException">The lengths do not add up to the values, the output span is too short, or a row is empty or holds a value that is not finite.</exception>
    public int Score(ReadOnlySpan<float> features, ReadOnlySpan<int> lengths, Span<float> outputs)
    {
        Require(SequenceInputKind.Features);
        int offset = 0;
        for (int r = 0; r < lengths.Length; r++)
        {
            CheckSpanRow((long)lengths[r] * InputSize, offset, features.Length, r);
            CheckFeatures(features.Slice(offset, lengths[r] * InputSize), r, null);
            offset += lengths[r] * InputSize;
        }
        return ScoreFlat(features, InputSize, lengths, outputs);
    }

    /// <summary>
    /// A lazy view of <paramref name="input"/> with the model's head output (or the output chosen when the scorer was made) added as <paramref name="outputColumnName"/>:
    /// Vector&lt;Single, OutputSize&gt;, or a variable-length Vector&lt;Single&gt; of <c>steps · OutputSize</c> values for every-step heads.
    /// </summary>
    /// <param name="input">The rows to score.</param>
    /// <param name="inputColumnName">A vector of Int64 or Int32 token ids, a vector of String tokens, or a vector of Single features
    /// (<c>steps · InputSize</c> values, step-major), matching the model's input; variable-length vectors are the usual case.</param>
    /// <param name="outputColumnName">The column to add (it hides an input column of the same name).</param>
    /// <remarks>
    /// Rows are read in windows of <see cref="BatchSize"/> × <see cref="GroupingWindow"/>, sorted by length inside the window, scored in
    /// batches padded to their own longest row, and handed back in input order: memory stays constant however many rows there are. The
    /// view reads the input column through a second cursor running one window ahead, so the input must return the same rows in the same
    /// order on every pass (any ML.NET view without shuffling does; a mismatch is detected by row id and reported), and the upstream work
    /// for that column runs twice. The view stops working once the scorer is disposed.
    /// </remarks>
    /// <exception cref="ArgumentException">The input column is missing or of a type the model cannot read.</exception>
    public IDataView Transform(IDataView input, string inputColumnName, string outputColumnName) =>
        Transform(input, inputColumnName, new[] { new KeyValuePair<string, string>(_returned.Name, outputColumnName) });

    /// <summary>
    /// As <see cref="Transform(IDataView, string, string)"/>, adding several of the model's outputs (see <see cref="OutputNames"/>), each
    /// under the column name it is paired with. Float outputs become Vector&lt;Single&gt; columns and int64 outputs Vector&lt;Int64&gt;
    /// columns of the output's per-row size (as ML.NET's OnnxTransformer shapes them: a <c>[batch]</c> output is a one-element vector).
    /// </summary>
    /// <exception cref="ArgumentException">An output is not in the model, a column name repeats, or the input column does not fit.</exception>
    public IDataView Transform(IDataView input, string inputColumnName, IReadOnlyList<KeyValuePair<string, string>> outputsToColumns)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(outputsToColumns);
        if (outputsToColumns.Count == 0)
            throw new ArgumentException("Name at least one output to add.", nameof(outputsToColumns));
        foreach (var pair in outputsToColumns)
            ArgumentException.ThrowIfNullOrEmpty(pair.Value, nameof(outputsToColumns));
        if (outputsToColumns.Select(p => p.Value).Distinct().Count() != outputsToColumns.Count)
            throw new ArgumentException($"Output column names repeat: {string.Join(", ", outputsToColumns.Select(p => p.Value))}.", nameof(outputsToColumns));
        if (outputsToColumns.Select(p => p.Key).Distinct().Count() != outputsToColumns.Count)
            throw new ArgumentException($"An output is named twice: {string.Join(", ", outputsToColumns.Select(p => p.Key))}; copy the column afterwards instead.", nameof(outputsToColumns));
        var outputs = outputsToColumns.Select(p => _plan.Output(p.Key)).ToArray();
        return new SequenceScoredDataView(this, input, inputColumnName, outputs, outputsToColumns.Select(p => p.Value).ToArray());
    }

    internal SequenceScoringPlan Plan => _plan;

    internal bool IsDisposed => _disposed;

    /// <summary>A workspace for the given outputs, owned by the caller (a view's cursor).</summary>
    internal SequenceBatchWorkspace CreateWorkspace(IReadOnlyList<SequenceOutput> outputs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new SequenceBatchWorkspace(_session, _plan, outputs, BatchSize);
    }

    /// <summary>Rejects ids outside the vocabulary and empty rows (without a begin token), naming the row (and column, for views).</summary>
    internal void CheckIds(ReadOnlySpan<long> ids, long row, string? column)
    {
        CheckLength(ids.Length, row, column);
        foreach (long id in ids)
        {
            if (id < 0 || id >= VocabularySize)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{Where(row, column)} holds token id {id}, outside the vocabulary (0..{VocabularySize - 1})."));
        }
    }

    /// <summary>Rejects rows that are not whole steps or hold non-finite values, naming the row.</summary>
    internal void CheckFeatures(ReadOnlySpan<float> values, long row, string? column)
    {
        if (values.Length % InputSize != 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{Where(row, column)} has {values.Length} values, not a multiple of {InputSize} features per step."));
        CheckLength(values.Length / InputSize, row, column);
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{Where(row, column)}, value {i} is {values[i]}; only finite values can be scored."));
        }
    }

    /// <summary>Rejects an empty row unless the graph prepends a begin token.</summary>
    internal void CheckLength(int steps, long row, string? column)
    {
        if (steps == 0 && !_plan.BeginToken)
            throw new ArgumentException($"{Where(row, column)} has no steps; this model has no begin token, so every row needs at least one.");
    }

    private static string Where(long row, string? column) =>
        column is null ? string.Create(CultureInfo.InvariantCulture, $"Row {row}") : string.Create(CultureInfo.InvariantCulture, $"Row {row} of column '{column}'");

    private float[][] ScoreCore(int count, Func<int, int> lengthOf, Action<SequenceBatchWorkspace, int[]> fill)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var results = new float[count][];
        if (count == 0)
            return results;
        var lengths = new int[count];
        for (int r = 0; r < count; r++)
        {
            lengths[r] = lengthOf(r);
            CheckLength(lengths[r], r, null);
        }
        // Rows of similar length share a batch, so padding (and the work spent on it) stays small; a stable sort keeps ties in input order.
        var order = Enumerable.Range(0, count).OrderBy(r => _plan.FedSteps(lengths[r])).ToArray();
        var workspace = _workspaces.Rent();
        try
        {
            foreach (var batch in order.Chunk(BatchSize))
            {
                workspace.Prepare(batch.Length, Math.Max(1, _plan.FedSteps(lengths[batch[^1]])));
                for (int i = 0; i < batch.Length; i++)
                    workspace.Lengths[i] = _plan.FedSteps(lengths[batch[i]]);
                fill(workspace, batch);
                workspace.Run();
                var values = workspace.FloatOutput(0);
                int stride = workspace.Outputs[0].Stride(workspace.GraphSteps);
                for (int i = 0; i < batch.Length; i++)
                {
                    int valid = ResultSize(lengths[batch[i]]);
                    results[batch[i]] = values.Slice(i * stride, valid).ToArray();
                }
            }
        }
        finally
        {
            _workspaces.Return(workspace);
        }
        return results;
    }

    private static void CheckSpanRow(long size, long offset, int available, int row)
    {
        if (size < 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Row {row} has a negative length."));
        if (offset + size > available)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Row {row} needs values {offset}..{offset + size - 1}, but the input holds {available}; the lengths add up to more than the input."));
    }

    private int ScoreFlat<T>(ReadOnlySpan<T> values, int perStep, ReadOnlySpan<int> lengths, Span<float> outputs) where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int count = lengths.Length;
        if (count == 0)
        {
            if (values.Length != 0)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"No lengths were given, but the input holds {values.Length} values."));
            return 0;
        }
        // Pooled scratch (row starts, sort keys, order, result starts), so warm calls allocate nothing.
        var pool = System.Buffers.ArrayPool<int>.Shared;
        int[] inputStart = pool.Rent(count), order = pool.Rent(count), outputStart = pool.Rent(count);
        long[] keys = System.Buffers.ArrayPool<long>.Shared.Rent(count);
        var workspace = _workspaces.Rent();
        try
        {
            long input = 0, output = 0;
            for (int r = 0; r < count; r++)
            {
                inputStart[r] = checked((int)input);
                outputStart[r] = checked((int)output);
                input += (long)lengths[r] * perStep;
                output += ResultSize(lengths[r]);
                // Rows of similar length share a batch; the row number breaks ties, so the grouping is deterministic.
                keys[r] = ((long)_plan.FedSteps(lengths[r]) << 32) | (uint)r;
                order[r] = r;
            }
            if (input != values.Length)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The lengths add up to {input / perStep} steps ({input} values), but the input holds {values.Length} values."));
            if (outputs.Length < output)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The results take {output} values; the output span holds {outputs.Length}."), nameof(outputs));
            Array.Sort(keys, order, 0, count);
            for (int start = 0; start < count; start += BatchSize)
            {
                int rows = Math.Min(BatchSize, count - start);
                var batch = order.AsSpan(start, rows);
                workspace.Prepare(rows, Math.Max(1, _plan.FedSteps(lengths[batch[^1]])));
                int width = workspace.Width;
                Span<T> padded = typeof(T) == typeof(long)
                    ? System.Runtime.InteropServices.MemoryMarshal.Cast<long, T>(workspace.Ids)
                    : System.Runtime.InteropServices.MemoryMarshal.Cast<float, T>(workspace.Features);
                padded.Clear();
                for (int i = 0; i < rows; i++)
                {
                    int row = batch[i];
                    int fed = _plan.FedSteps(lengths[row]);
                    workspace.Lengths[i] = fed;
                    values.Slice(inputStart[row], fed * perStep).CopyTo(padded.Slice(i * width * perStep));
                }
                workspace.Run();
                var scored = workspace.FloatOutput(0);
                int stride = workspace.Outputs[0].Stride(workspace.GraphSteps);
                for (int i = 0; i < rows; i++)
                {
                    int row = batch[i];
                    int size = ResultSize(lengths[row]);
                    scored.Slice(i * stride, size).CopyTo(outputs.Slice(outputStart[row], size));
                }
            }
            return (int)output;
        }
        finally
        {
            _workspaces.Return(workspace);
            pool.Return(inputStart);
            pool.Return(order);
            pool.Return(outputStart);
            System.Buffers.ArrayPool<long>.Shared.Return(keys);
        }
    }

    private void Require(SequenceInputKind kind)
    {
        if (_plan.InputKind != kind)
            throw new InvalidOperationException($"This model reads {Describe(_plan.InputKind)}; call the matching Score overload.");
    }

    internal static string Describe(SequenceInputKind kind) => kind switch
    {
        SequenceInputKind.Features => "float features",
        SequenceInputKind.TokenIds => "token ids",
        _ => "string tokens",
    };

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _workspaces.Dispose();
        _session.Dispose();
    }
}
