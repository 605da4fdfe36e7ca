using System.Globalization;
using Microsoft.ML.OnnxRuntime;

namespace MlNetRnn.Onnx.Generation;

/// <summary>
/// Runs a model exported with state inputs and outputs (<c>io.state</c> = true) one chunk at a time for a single
/// sequence, carrying <c>h_n</c>/<c>c_n</c> into the next call's <c>h0</c>/<c>c0</c>: a prime is consumed once and each
/// further step costs one run. Used for text generation and for feeding a stream step by step.
/// </summary>
/// <remarks>
/// One-step calls reuse pinned buffers and ONNX Runtime values, so steady-state stepping allocates nothing managed.
/// An instance holds one sequence's state and is not thread-safe; use one per concurrent sequence.
/// </remarks>
public sealed class OnnxStatefulSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly bool _tokens;
    private readonly bool _everyStep;
    private readonly bool _lstm;
    private readonly int _stateSize;
    private readonly long[] _stateShape;
    private readonly string _outputName;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    // Double-buffered state: a run reads buffer `_current` and writes the other one, then they swap.
    private readonly float[][] _hidden;
    private readonly float[][] _cell;
    private readonly OrtValue[] _hiddenValues;
    private readonly OrtValue[] _cellValues;
    private readonly long[] _stepToken = new long[1];
    private readonly float[] _stepFeatures;
    private readonly float[] _stepOutput;
    private readonly OrtValue _stepInputValue;
    private readonly OrtValue _stepOutputValue;
    private int _current;
    private bool _disposed;

    /// <summary>Creates a session for a model with state inputs and outputs.</summary>
    /// <param name="modelBytes">An ONNX model exported by <see cref="SequenceOnnxExporter"/> with <see cref="SequenceModelDescription.ExposesState"/>.</param>
    /// <param name="options">Device and ONNX Runtime settings (its batch size is ignored: a stateful session runs one sequence).</param>
    /// <exception cref="InvalidDataException">The model has no state inputs/outputs or lacks the metadata that describe them.</exception>
    /// <exception cref="InvalidOperationException">CUDA was requested and is absent.</exception>
    public OnnxStatefulSession(byte[] modelBytes, OnnxScoringOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modelBytes);
        var info = OnnxModelInfo.Read(modelBytes);
        var m = info.Metadata;
        if (!m.TryGetValue(OnnxMetadataKeys.ExposesState, out var state) || state != "true")
            throw new InvalidDataException("The model has no state inputs and outputs (metadata 'io.state' is not true); export it with ExposesState to run it step by step.");
        var arch = RecurrentMetadata.ReadArchitecture(m);
        // Carrying state from one call to the next only means "the same sequence continues" for a forward-only stack fed plain steps.
        string kind = RecurrentMetadata.Require(m, OnnxMetadataKeys.InputKind);
        if (kind == "token_strings")
            throw new InvalidDataException("The model takes string tokens; a stateful session feeds token ids or float features. Export it with integer token input.");
        if (m.TryGetValue(OnnxMetadataKeys.UsesLengths, out var lengths) && lengths == "true")
            throw new InvalidDataException("The model takes a 'lengths' input; a stateful session runs one full-length sequence. Export it without UsesLengths.");
        if (m.ContainsKey(OnnxMetadataKeys.BeginTokenId) || m.ContainsKey(OnnxMetadataKeys.MaxSteps))
            throw new InvalidDataException("The model prepends a begin token or truncates rows inside the graph, which would repeat on every call; export it without them for step-by-step use.");
        if (arch.Bidirectional)
            throw new InvalidDataException("The model is bidirectional: its backward direction needs the whole sequence, so it cannot be fed step by step.");
        _tokens = kind == "tokens";
        _everyStep = RecurrentMetadata.Require(m, OnnxMetadataKeys.Pooling) == "every_step";
        _lstm = arch.Cell == RecurrentCellKind.Lstm;
        OutputSize = RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.HeadOutputs);
        InputSize = _tokens ? 1 : arch.InputSize;
        VocabularySize = _tokens ? RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.VocabularySize) : 0;
        _outputName = RecurrentMetadata.Require(m, OnnxMetadataKeys.HeadActivation) == "linear" ? SequenceOnnxNames.Output : SequenceOnnxNames.Logits;
        StateRows = arch.NumLayers * arch.NumDirections;
        HiddenSize = arch.HiddenSize;
        _stateSize = StateRows * HiddenSize;
        _stateShape = new long[] { StateRows, 1, HiddenSize };

        options ??= new OnnxScoringOptions();
        options.Validate();
        _session = OnnxSessionFactory.Create(modelBytes, options.Device, out var resolved, out string? note, options.Apply);
        Device = resolved;
        DeviceNote = note;

        string input = _tokens ? SequenceOnnxNames.Tokens : SequenceOnnxNames.Input;
        _inputNames = _lstm ? new[] { input, SequenceOnnxNames.InitialHidden, SequenceOnnxNames.InitialCell } : new[] { input, SequenceOnnxNames.InitialHidden };
        _outputNames = _lstm ? new[] { _outputName, SequenceOnnxNames.FinalHidden, SequenceOnnxNames.FinalCell } : new[] { _outputName, SequenceOnnxNames.FinalHidden };
        _hidden = new[] { new float[_stateSize], new float[_stateSize] };
        _cell = new[] { new float[_lstm ? _stateSize : 1], new float[_lstm ? _stateSize : 1] };
        _hiddenValues = _hidden.Select(b => OrtValue.CreateTensorValueFromMemory(b, _stateShape)).ToArray();
        _cellValues = _lstm ? _cell.Select(b => OrtValue.CreateTensorValueFromMemory(b, _stateShape)).ToArray() : Array.Empty<OrtValue>();
        _stepFeatures = new float[_tokens ? 1 : InputSize];
        _stepOutput = new float[OutputSize];
        _stepInputValue = _tokens
            ? OrtValue.CreateTensorValueFromMemory(_stepToken, new long[] { 1, 1 })
            : OrtValue.CreateTensorValueFromMemory(_stepFeatures, new long[] { 1, 1, InputSize });
        _stepOutputValue = OrtValue.CreateTensorValueFromMemory(_stepOutput, _everyStep ? new long[] { 1, 1, OutputSize } : new long[] { 1, OutputSize });
    }

    /// <summary>Where the session runs.</summary>
    public ExecutionDevice Device { get; }

    /// <summary>Set when <see cref="ExecutionDevice.Auto"/> fell back to the CPU: why.</summary>
    public string? DeviceNote { get; }

    /// <summary>Values the head returns per step (vocabulary size for a language model).</summary>
    public int OutputSize { get; }

    /// <summary>Features per step (1 for token input).</summary>
    public int InputSize { get; }

    /// <summary>Embedding rows for token input; 0 for float input.</summary>
    public int VocabularySize { get; }

    /// <summary>Rows of the state tensors (layers × directions).</summary>
    public int StateRows { get; }

    /// <summary>Hidden units per layer and direction.</summary>
    public int HiddenSize { get; }

    /// <summary>The current hidden state <c>[StateRows, 1, HiddenSize]</c>, row-major.</summary>
    public ReadOnlySpan<float> Hidden => _hidden[_current];

    /// <summary>The current LSTM cell state (empty for GRU/RNN).</summary>
    public ReadOnlySpan<float> Cell => _lstm ? _cell[_current] : ReadOnlySpan<float>.Empty;

    /// <summary>Forgets the state: the next call starts from zeros.</summary>
    public void Reset()
    {
        ThrowIfDisposed();
        foreach (var b in _hidden)
            Array.Clear(b);
        foreach (var b in _cell)
            Array.Clear(b);
    }

    /// <summary>
    /// Feeds token ids and returns the head's values (logits, before any softmax/sigmoid) at every step fed
    /// <c>[tokens.Length · OutputSize]</c> for an every-step head, or <c>[OutputSize]</c> for a last-step head.
    /// </summary>
    /// <exception cref="ArgumentException">No tokens, or an id outside the vocabulary.</exception>
    public float[] Run(ReadOnlySpan<long> tokens)
    {
        ThrowIfDisposed();
        RequireInput(tokens: true);
        if (tokens.Length == 0)
            throw new ArgumentException("Feed at least one token.", nameof(tokens));
        CheckIds(tokens);
        var ids = tokens.ToArray();
        using var input = OrtValue.CreateTensorValueFromMemory(ids, new long[] { 1, ids.Length });
        return RunChunk(input, ids.Length);
    }

    /// <summary>Feeds float features <c>[steps · InputSize]</c> and returns the head's values as <see cref="Run(ReadOnlySpan{long})"/> does.</summary>
    /// <exception cref="ArgumentException">The length is not a positive multiple of <see cref="InputSize"/>, or a value is not finite.</exception>
    public float[] Run(ReadOnlySpan<float> features)
    {
        ThrowIfDisposed();
        RequireInput(tokens: false);
        if (features.Length == 0 || features.Length % InputSize != 0)
            throw new ArgumentException($"Features must hold a positive multiple of {InputSize} values (steps × features); got {features.Length}.", nameof(features));
        for (int i = 0; i < features.Length; i++)
        {
            if (!float.IsFinite(features[i]))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Feature value {i} is {features[i]}; only finite values can be scored."), nameof(features));
        }
        var values = features.ToArray();
        int steps = values.Length / InputSize;
        using var input = OrtValue.CreateTensorValueFromMemory(values, new long[] { 1, steps, InputSize });
        return RunChunk(input, steps);
    }

    /// <summary>Feeds one token and returns the head's values for it; the span is valid until the next call.</summary>
    /// <exception cref="ArgumentException">The id is outside the vocabulary.</exception>
    public ReadOnlySpan<float> Step(long token)
    {
        ThrowIfDisposed();
        RequireInput(tokens: true);
        CheckIds(new ReadOnlySpan<long>(in token));
        _stepToken[0] = token;
        RunInto(_stepInputValue, _stepOutputValue);
        return _stepOutput;
    }

    /// <summary>Feeds one step of float features and returns the head's values for it; the span is valid until the next call.</summary>
    public ReadOnlySpan<float> Step(ReadOnlySpan<float> features)
    {
        ThrowIfDisposed();
        RequireInput(tokens: false);
        if (features.Length != InputSize)
            throw new ArgumentException($"One step has {InputSize} features; got {features.Length}.", nameof(features));
        features.CopyTo(_stepFeatures);
        RunInto(_stepInputValue, _stepOutputValue);
        return _stepOutput;
    }

    private float[] RunChunk(OrtValue input, int steps)
    {
        var output = new float[(_everyStep ? steps : 1) * OutputSize];
        using var outputValue = OrtValue.CreateTensorValueFromMemory(output, _everyStep ? new long[] { 1, steps, OutputSize } : new long[] { 1, OutputSize });
        RunInto(input, outputValue);
        return output;
    }

    private void RunInto(OrtValue input, OrtValue output)
    {
        int next = 1 - _current;
        var inputs = _lstm
            ? new[] { input, _hiddenValues[_current], _cellValues[_current] }
            : new[] { input, _hiddenValues[_current] };
        var outputs = _lstm
            ? new[] { output, _hiddenValues[next], _cellValues[next] }
            : new[] { output, _hiddenValues[next] };
        _session.Run(_runOptions, _inputNames, inputs, _outputNames, outputs);
        _current = next;
    }

    private void CheckIds(ReadOnlySpan<long> ids)
    {
        foreach (long id in ids)
        {
            if (id < 0 || id >= VocabularySize)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Token id {id} is outside the vocabulary (0..{VocabularySize - 1})."));
        }
    }

    private void RequireInput(bool tokens)
    {
        if (tokens != _tokens)
            throw new InvalidOperationException(_tokens ? "This model reads token ids, not float features." : "This model reads float features, not token ids.");
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var v in _hiddenValues.Concat(_cellValues))
            v.Dispose();
        _stepInputValue.Dispose();
        _stepOutputValue.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
