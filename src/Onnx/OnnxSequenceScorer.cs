using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MlNetRnn.Onnx;

/// <summary>
/// Scores variable-length rows with a sequence model exported with a <c>lengths</c> input: rows are grouped by length (sorted, then cut
/// into batches of <see cref="OnnxScoringOptions.BatchSize"/>), each batch is padded only to its own longest row and run once, and the
/// results come back in input order. Thread-safe: one instance may be used from many threads at once (ONNX Runtime sessions are, and
/// every call uses its own buffers).
/// </summary>
public sealed class OnnxSequenceScorer : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string _inputName;
    private readonly string _outputName;
    private readonly string _inputKind;
    private readonly int _maxSteps;
    private readonly bool _beginToken;
    private bool _disposed;

    /// <summary>Creates a scorer for model bytes with a <c>lengths</c> input (<see cref="SequenceModelDescription.UsesLengths"/>).</summary>
    /// <exception cref="InvalidDataException">The model has no lengths input, or has state inputs (use <see cref="OnnxStatefulSession"/>).</exception>
    public OnnxSequenceScorer(byte[] modelBytes, OnnxScoringOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modelBytes);
        var m = OnnxModelInfo.Read(modelBytes).Metadata;
        if (!m.TryGetValue(OnnxMetadataKeys.UsesLengths, out var lengths) || lengths != "true")
            throw new InvalidDataException("The model has no 'lengths' input (metadata 'io.uses_lengths' is not true); export it with UsesLengths to score variable-length rows.");
        if (m.TryGetValue(OnnxMetadataKeys.ExposesState, out var state) && state == "true")
            throw new InvalidDataException("The model takes state inputs; score it step by step with OnnxStatefulSession.");
        _inputKind = RecurrentMetadata.Require(m, OnnxMetadataKeys.InputKind);
        _inputName = _inputKind == "features" ? SequenceOnnxNames.Input : SequenceOnnxNames.Tokens;
        _outputName = RecurrentMetadata.Require(m, OnnxMetadataKeys.HeadActivation) == "linear" ? SequenceOnnxNames.Output : SequenceOnnxNames.Probabilities;
        EveryStep = RecurrentMetadata.Require(m, OnnxMetadataKeys.Pooling) == "every_step";
        OutputSize = RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.HeadOutputs);
        InputSize = _inputKind == "features" ? RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.InputSize) : 1;
        VocabularySize = _inputKind == "tokens" ? RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.VocabularySize) : 0;
        _maxSteps = m.ContainsKey(OnnxMetadataKeys.MaxSteps) ? RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.MaxSteps) : 0;
        _beginToken = m.ContainsKey(OnnxMetadataKeys.BeginTokenId);
        options ??= new OnnxScoringOptions();
        options.Validate();
        BatchSize = options.BatchSize;
        _session = OnnxSessionFactory.Create(modelBytes, options.Device, out var resolved, out string? note, options.Apply);
        Device = resolved;
        DeviceNote = note;
    }

    /// <summary>Rows per ONNX Runtime run.</summary>
    public int BatchSize { get; }

    /// <summary>Where the session runs.</summary>
    public ExecutionDevice Device { get; }

    /// <summary>Why <see cref="ExecutionDevice.Auto"/> fell back to the CPU, if it did.</summary>
    public string? DeviceNote { get; }

    /// <summary>Values per row (or per step for every-step heads).</summary>
    public int OutputSize { get; }

    /// <summary>Features per step (1 for token input).</summary>
    public int InputSize { get; }

    /// <summary>Embedding rows for id input (ids must be below it); 0 otherwise.</summary>
    public int VocabularySize { get; }

    /// <summary>Whether the head scores every step: then each row's result holds <c>steps · OutputSize</c> values (its valid steps only).</summary>
    public bool EveryStep { get; }

    /// <summary>Scores rows of token ids; one result per row, in input order.</summary>
    /// <exception cref="ArgumentException">A row is empty (and the model has no begin token) or holds an id outside the vocabulary; the row is named.</exception>
    public float[][] Score(IReadOnlyList<long[]> rows)
    {
        Require("tokens");
        ArgumentNullException.ThrowIfNull(rows);
        for (int r = 0; r < rows.Count; r++)
        {
            foreach (long id in rows[r] ?? throw new ArgumentException($"Row {r} is null."))
            {
                if (id < 0 || id >= VocabularySize)
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Row {r} holds token id {id}, outside the vocabulary (0..{VocabularySize - 1})."));
            }
        }
        return ScoreCore(rows.Count, r => rows[r].Length, (batch, width) =>
        {
            var ids = new long[batch.Length * width];
            for (int i = 0; i < batch.Length; i++)
                rows[batch[i]].CopyTo(ids, i * width);
            return OrtValue.CreateTensorValueFromMemory(ids, new long[] { batch.Length, width });
        });
    }

    /// <summary>Scores rows of string tokens (models with an in-graph vocabulary); unknown strings map to the model's unknown id.</summary>
    public float[][] Score(IReadOnlyList<string[]> rows)
    {
        Require("token_strings");
        ArgumentNullException.ThrowIfNull(rows);
        return ScoreCore(rows.Count, r => (rows[r] ?? throw new ArgumentException($"Row {r} is null.")).Length, (batch, width) =>
        {
            var tensor = new DenseTensor<string>(new[] { batch.Length, width });
            for (int i = 0; i < batch.Length; i++)
            for (int c = 0; c < width; c++)
                tensor[i, c] = c < rows[batch[i]].Length ? rows[batch[i]][c] : string.Empty;
            return OrtValue.CreateFromStringTensor(tensor);
        });
    }

    /// <summary>Scores rows of float features, each <c>steps · InputSize</c> values, step-major.</summary>
    /// <exception cref="ArgumentException">A row's length is not a positive multiple of <see cref="InputSize"/>, or a value is not finite.</exception>
    public float[][] Score(IReadOnlyList<float[]> rows)
    {
        Require("features");
        ArgumentNullException.ThrowIfNull(rows);
        for (int r = 0; r < rows.Count; r++)
        {
            var row = rows[r] ?? throw new ArgumentException($"Row {r} is null.");
            if (row.Length % InputSize != 0)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Row {r} has {row.Length} values, not a multiple of {InputSize} features per step."));
            for (int i = 0; i < row.Length; i++)
            {
                if (!float.IsFinite(row[i]))
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Row {r}, value {i} is {row[i]}; only finite values can be scored."));
            }
        }
        return ScoreCore(rows.Count, r => rows[r].Length / InputSize, (batch, width) =>
        {
            var values = new float[batch.Length * width * InputSize];
            for (int i = 0; i < batch.Length; i++)
                rows[batch[i]].CopyTo(values, i * width * InputSize);
            return OrtValue.CreateTensorValueFromMemory(values, new long[] { batch.Length, width, InputSize });
        });
    }

    private float[][] ScoreCore(int count, Func<int, int> lengthOf, Func<int[], int, OrtValue> makeInput)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var results = new float[count][];
        if (count == 0)
            return results;
        var lengths = new int[count];
        for (int r = 0; r < count; r++)
        {
            lengths[r] = lengthOf(r);
            if (lengths[r] == 0 && !_beginToken)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Row {r} has no steps; this model has no begin token, so every row needs at least one."));
        }
        // Rows of similar length share a batch, so padding (and the work spent on it) stays small; a stable sort keeps ties in input order.
        var order = Enumerable.Range(0, count).OrderBy(r => lengths[r]).ToArray();
        using var runOptions = new RunOptions();
        string[] inputNames = { _inputName, SequenceOnnxNames.Lengths };
        string[] outputNames = { _outputName };
        foreach (var batch in order.Chunk(BatchSize))
        {
            int width = Math.Max(1, batch.Max(r => lengths[r]));
            var batchLengths = batch.Select(r => lengths[r]).ToArray();
            using var input = makeInput(batch, width);
            using var lengthValue = OrtValue.CreateTensorValueFromMemory(batchLengths, new long[] { batch.Length });
            using var outputs = _session.Run(runOptions, inputNames, new[] { input, lengthValue }, outputNames);
            var output = outputs[0];
            var values = output.GetTensorDataAsSpan<float>();
            long[] shape = output.GetTensorTypeAndShape().Shape;
            int perRow = (int)(values.Length / batch.Length);
            int stepsOut = EveryStep ? (int)shape[1] : 1;
            for (int i = 0; i < batch.Length; i++)
            {
                int valid = EveryStep ? ValidSteps(batchLengths[i]) : 1;
                results[batch[i]] = values.Slice(i * perRow, Math.Min(valid, stepsOut) * OutputSize).ToArray();
            }
        }
        return results;
    }

    // The steps the graph runs for a row of n steps: truncated to MaxSteps, plus the begin token.
    private int ValidSteps(int n) => (_maxSteps > 0 ? Math.Min(n, _maxSteps) : n) + (_beginToken ? 1 : 0);

    private void Require(string kind)
    {
        if (_inputKind != kind)
            throw new InvalidOperationException($"This model reads {_inputKind switch { "features" => "float features", "tokens" => "token ids", _ => "string tokens" }}; call the matching Score overload.");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _session.Dispose();
    }
}
