using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;

namespace MlNetRnn.Benchmarks;

/// <summary>
/// Scoring 256 rows of 100 characters with a 2-layer LSTM-256 language model: the library's variable-length
/// <see cref="OnnxSequenceScorer"/> (grouping by length, lengths input) against one raw session Run over the same rows.
/// </summary>
[MemoryDiagnoser]
public class LanguageModelScoringBenchmarks
{
    private const int Rows = 256, Sequence = 100, Vocabulary = 65;
    private long[][] _rows = Array.Empty<long[]>();
    private OnnxSequenceScorer? _scorer;
    private InferenceSession? _session;
    private OrtValue? _input;
    private OrtValue? _output;
    private RunOptions? _runOptions;
    private long[] _flat = Array.Empty<long>();
    private int[] _lengths = Array.Empty<int>();
    private float[] _results = Array.Empty<float>();

    /// <summary>Builds both models, the scorer and the raw session's tensors.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _rows = Enumerable.Range(0, Rows).Select(_ => Enumerable.Range(0, Sequence).Select(_ => (long)random.Next(Vocabulary)).ToArray()).ToArray();
        _scorer = new OnnxSequenceScorer(BenchmarkModels.LanguageModel(Vocabulary, 64, 256, 2, lengths: true), new OnnxScoringOptions { BatchSize = Rows });
        _session = new InferenceSession(BenchmarkModels.LanguageModel(Vocabulary, 64, 256, 2, lengths: false));
        _input = OrtValue.CreateTensorValueFromMemory(_rows.SelectMany(r => r).ToArray(), new long[] { Rows, Sequence });
        _output = OrtValue.CreateTensorValueFromMemory(new float[Rows * Sequence * Vocabulary], new long[] { Rows, Sequence, Vocabulary });
        _runOptions = new RunOptions();
        _flat = _rows.SelectMany(r => r).ToArray();
        _lengths = Enumerable.Repeat(Sequence, Rows).ToArray();
        _results = new float[Rows * Sequence * Vocabulary];
    }

    /// <summary>The library's scorer: 256 rows, results per row in input order.</summary>
    [Benchmark]
    public float[][] SequenceScorer() => _scorer!.Score(_rows);

    /// <summary>The library's span call: rows back to back in, results back to back out (no per-row arrays).</summary>
    [Benchmark]
    public int SequenceScorerSpans() => _scorer!.Score(_flat, _lengths, _results);

    /// <summary>One raw Run over prebuilt tensors.</summary>
    [Benchmark(Baseline = true)]
    public void RawSession() => _session!.Run(_runOptions, new[] { SequenceOnnxNames.Tokens }, new[] { _input! }, new[] { SequenceOnnxNames.Probabilities }, new[] { _output! });

    /// <summary>Releases the sessions.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _scorer?.Dispose();
        _session?.Dispose();
        _input?.Dispose();
        _output?.Dispose();
        _runOptions?.Dispose();
    }
}
