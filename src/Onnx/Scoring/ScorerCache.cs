namespace MlNetRnn.Onnx.Scoring;

/// <summary>
/// The scorers a fitted model keeps for its batched calls: one per distinct <see cref="OnnxScoringOptions"/>, made on first use
/// (opening a session, with graph optimisation and any vocabulary table, costs about as much as scoring a few hundred rows) and
/// disposed with the cache. Thread-safe.
/// </summary>
/// <typeparam name="TScorer">An <see cref="OnnxSequenceScorer"/> (variable-length rows) or an <see cref="OnnxBatchScorer"/> (fixed-width rows).</typeparam>
internal sealed class ScorerCache<TScorer> : IDisposable where TScorer : IDisposable
{
    private readonly Func<byte[]> _model;
    private readonly Func<byte[], OnnxScoringOptions, TScorer> _create;
    private readonly Dictionary<(int, int, ExecutionDevice, int?, int?, Microsoft.ML.OnnxRuntime.GraphOptimizationLevel), TScorer> _scorers = new();
    private byte[]? _bytes;
    private bool _disposed;

    /// <param name="model">Makes the model bytes; called once, on first use.</param>
    /// <param name="create">Opens a scorer over the bytes with the given options.</param>
    public ScorerCache(Func<byte[]> model, Func<byte[], OnnxScoringOptions, TScorer> create)
    {
        _model = model;
        _create = create;
    }

    /// <summary>The scorer for <paramref name="options"/> (null: the defaults), made if this is the first call with equal options.</summary>
    /// <exception cref="ObjectDisposedException">The cache (its owner) was disposed.</exception>
    public TScorer Get(OnnxScoringOptions? options, object owner)
    {
        var settings = options ?? new OnnxScoringOptions();
        lock (_scorers)
        {
            // Under the lock, so a concurrent Dispose cannot miss a scorer added here.
            ObjectDisposedException.ThrowIf(_disposed, owner);
            var key = settings.Key();
            if (!_scorers.TryGetValue(key, out var scorer))
                _scorers[key] = scorer = _create(_bytes ??= _model(), settings);
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

/// <summary>Caches of this library's two scorer kinds.</summary>
internal static class ScorerCache
{
    /// <summary>A cache of <see cref="OnnxSequenceScorer"/>s whose array and span calls return <paramref name="outputName"/> (null: the head's).</summary>
    public static ScorerCache<OnnxSequenceScorer> Sequence(Func<byte[]> model, string? outputName = null) =>
        new(model, (bytes, options) => new OnnxSequenceScorer(bytes, options, outputName));

    /// <summary>A cache of <see cref="OnnxBatchScorer"/>s feeding <paramref name="inputName"/> and reading <paramref name="outputName"/>.</summary>
    public static ScorerCache<OnnxBatchScorer> Batch(Func<byte[]> model, string inputName, string outputName) =>
        new(model, (bytes, options) => new OnnxBatchScorer(bytes, inputName, outputName, options));
}
