namespace MlNetRnn.Onnx.Scoring;

/// <summary>
/// The <see cref="OnnxSequenceScorer"/>s a fitted model keeps for its batched calls: one per distinct <see cref="OnnxScoringOptions"/>,
/// made on first use (opening a session, with graph optimisation and any vocabulary table, costs about as much as scoring a few
/// hundred rows) and disposed with the cache. Thread-safe.
/// </summary>
internal sealed class SequenceScorerCache : IDisposable
{
    private readonly Func<byte[]> _model;
    private readonly string? _outputName;
    private readonly Dictionary<(int, int, ExecutionDevice, int?, int?, Microsoft.ML.OnnxRuntime.GraphOptimizationLevel), OnnxSequenceScorer> _scorers = new();
    private byte[]? _bytes;
    private bool _disposed;

    /// <param name="model">Makes the model bytes (with a lengths input); called once, on first use.</param>
    /// <param name="outputName">The output the scorers' array and span calls return; null for the head's.</param>
    public SequenceScorerCache(Func<byte[]> model, string? outputName = null)
    {
        _model = model;
        _outputName = outputName;
    }

    /// <summary>The scorer for <paramref name="options"/> (null: the defaults), made if this is the first call with equal options.</summary>
    /// <exception cref="ObjectDisposedException">The cache (its owner) was disposed.</exception>
    public OnnxSequenceScorer Get(OnnxScoringOptions? options, object owner)
    {
        var settings = options ?? new OnnxScoringOptions();
        lock (_scorers)
        {
            // Under the lock, so a concurrent Dispose cannot miss a scorer added here.
            ObjectDisposedException.ThrowIf(_disposed, owner);
            var key = settings.Key();
            if (!_scorers.TryGetValue(key, out var scorer))
                _scorers[key] = scorer = new OnnxSequenceScorer(_bytes ??= _model(), settings, _outputName);
            return scorer;
        }
    }

    public void Dispose()
    {
        lock (_scorers)
        {
            _disposed = true;
            foreach (var scorer in _scorers.Values)
                scorer.Dispose();
            _scorers.Clear();
        }
    }
}
