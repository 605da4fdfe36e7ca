using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;

namespace MlNetRnn.Benchmarks;

/// <summary>
/// Scoring 10,000 forecast windows (GRU-16, window 12): the library's <see cref="OnnxBatchScorer"/> against a raw ONNX Runtime session
/// fed zero-copy slices of the same arrays, in batches of 1 and 256. Ratios are read from the Ratio column (baseline: raw).
/// </summary>
[MemoryDiagnoser]
public class ForecastScoringBenchmarks
{
    private const int Windows = 10_000, Window = 12;
    private float[] _inputs = Array.Empty<float>();
    private float[] _outputs = Array.Empty<float>();
    private OnnxBatchScorer? _scorer;
    private InferenceSession? _session;
    private RunOptions? _runOptions;

    /// <summary>Rows per ONNX Runtime run.</summary>
    [Params(1, 256)]
    public int BatchSize { get; set; }

    /// <summary>Builds the model, the scorer, the raw session and the windows.</summary>
    [GlobalSetup]
    public void Setup()
    {
        byte[] model = BenchmarkModels.Forecaster(Window, 16);
        var random = new Random(1);
        _inputs = Enumerable.Range(0, Windows * Window).Select(_ => (float)random.NextDouble()).ToArray();
        _outputs = new float[Windows];
        _scorer = new OnnxBatchScorer(model, options: new OnnxScoringOptions { BatchSize = BatchSize });
        _session = new InferenceSession(model);
        _runOptions = new RunOptions();
    }

    /// <summary>The library's batched scorer (reused pinned buffers and I/O binding).</summary>
    [Benchmark]
    public void BatchedScorer() => _scorer!.Score(_inputs, _outputs);

    /// <summary>A raw session, one Run per batch over zero-copy slices of the same arrays.</summary>
    [Benchmark(Baseline = true)]
    public void RawSession()
    {
        for (int start = 0; start < Windows; start += BatchSize)
        {
            int count = Math.Min(BatchSize, Windows - start);
            using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _inputs.AsMemory(start * Window, count * Window), new long[] { count, Window });
            using var output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _outputs.AsMemory(start, count), new long[] { count, 1 });
            _session!.Run(_runOptions, new[] { "Features" }, new[] { input }, new[] { "Score" }, new[] { output });
        }
    }

    /// <summary>Releases the sessions.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _scorer?.Dispose();
        _session?.Dispose();
        _runOptions?.Dispose();
    }
}
