using BenchmarkDotNet.Attributes;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetRnn.Benchmarks;

/// <summary>
/// Scoring 1,024 variable-length rows (20 to 100 ids) with the 2-layer LSTM-256 language model through the lazy IDataView path of
/// <see cref="OnnxSequenceScorer"/> (read-ahead windows sorted by length) against the span call on the same rows, which sorts all rows
/// at once: what the streaming view costs over the array path.
/// </summary>
[MemoryDiagnoser]
public class SequenceViewScoringBenchmarks
{
    private const int Rows = 1024, Vocabulary = 65;
    private OnnxSequenceScorer? _scorer;
    private IDataView? _view;
    private long[] _flat = Array.Empty<long>();
    private int[] _lengths = Array.Empty<int>();
    private float[] _results = Array.Empty<float>();

    private sealed class IdRow
    {
        [VectorType]
        public long[] Ids { get; set; } = Array.Empty<long>();
    }

    /// <summary>Builds the model, the rows (as arrays and as a cached IDataView) and the scorer.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        var rows = Enumerable.Range(0, Rows).Select(_ => Enumerable.Range(0, random.Next(20, 101)).Select(_ => (long)random.Next(Vocabulary)).ToArray()).ToArray();
        _flat = rows.SelectMany(r => r).ToArray();
        _lengths = rows.Select(r => r.Length).ToArray();
        _scorer = new OnnxSequenceScorer(BenchmarkModels.LanguageModel(Vocabulary, 64, 256, 2, lengths: true), new OnnxScoringOptions { BatchSize = 256 });
        _results = new float[_lengths.Sum(_scorer.ResultSize)];
        var ml = new MLContext(1);
        _view = ml.Data.Cache(ml.Data.LoadFromEnumerable(rows.Select(r => new IdRow { Ids = r })));
    }

    /// <summary>The span call over all rows.</summary>
    [Benchmark(Baseline = true)]
    public int SpanCall() => _scorer!.Score(_flat, _lengths, _results);

    /// <summary>The lazy view, drained to the end.</summary>
    [Benchmark]
    public float LazyView()
    {
        var scored = _scorer!.Transform(_view!, "Ids", "Probabilities");
        var column = scored.Schema["Probabilities"];
        using var cursor = scored.GetRowCursor(new[] { column });
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        var value = default(VBuffer<float>);
        float sum = 0;
        while (cursor.MoveNext())
        {
            getter(ref value);
            sum += value.GetValues()[0];
        }
        return sum;
    }

    /// <summary>Releases the session.</summary>
    [GlobalCleanup]
    public void Cleanup() => _scorer?.Dispose();
}
