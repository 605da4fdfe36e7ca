using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MlNetRnn.Onnx.Scoring;

/// <summary>
/// Scores float sequences of different lengths many rows per ONNX Runtime call, with a graph that reads a flattened float input
/// <c>input</c> <c>[batch, values]</c> as steps of a fixed number of features and takes int32 <c>lengths</c> <c>[batch]</c>
/// (<see cref="Model.SequenceModelDescription.FlattenedAnySteps"/> with lengths): each batch is zero-padded to its longest row, whose
/// padding the graph never reads, and the results come back in input order.
/// </summary>
/// <remarks>Thread-safe: ONNX Runtime sessions accept concurrent runs and each call allocates its own buffers.</remarks>
public sealed class OnnxRaggedScorer : IDisposable
{
    private readonly InferenceSession _session;
    private readonly long[] _outputRowShape;
    private bool _disposed;

    /// <param name="model">The graph.</param>
    /// <param name="featuresPerStep">Values per step.</param>
    /// <param name="outputName">The float output to read (one row of fixed shape per input row).</param>
    /// <param name="options">Batch size, threads and device; null for the defaults.</param>
    /// <exception cref="ArgumentException">The graph lacks <c>input</c>, <c>lengths</c> or the output, or the output's row shape is not fixed.</exception>
    public OnnxRaggedScorer(byte[] model, int featuresPerStep, string outputName, OnnxScoringOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(featuresPerStep, 1);
        var settings = options ?? new OnnxScoringOptions();
        settings.Validate();
        BatchSize = settings.BatchSize;
        FeaturesPerStep = featuresPerStep;
        OutputName = outputName;
        _session = OnnxSessionFactory.Create(model, settings.Device, out _, out _, settings.Apply);
        if (!_session.InputMetadata.ContainsKey(SequenceOnnxNames.Input) || !_session.InputMetadata.ContainsKey(SequenceOnnxNames.Lengths)
            || !_session.OutputMetadata.TryGetValue(outputName, out var output) || output.Dimensions.Skip(1).Any(d => d < 1))
        {
            _session.Dispose();
            throw new ArgumentException($"The model is not a variable-length float-sequence graph: it needs inputs '{SequenceOnnxNames.Input}' and " +
                                        $"'{SequenceOnnxNames.Lengths}' and an output '{outputName}' of fixed size per row.", nameof(model));
        }
        _outputRowShape = output.Dimensions.Skip(1).Select(d => (long)d).ToArray();
        OutputWidth = (int)_outputRowShape.Aggregate(1L, (a, b) => a * b);
    }

    /// <summary>Rows per ONNX Runtime call.</summary>
    public int BatchSize { get; }

    /// <summary>Values per step.</summary>
    public int FeaturesPerStep { get; }

    /// <summary>The output read.</summary>
    public string OutputName { get; }

    /// <summary>Floats per output row.</summary>
    public int OutputWidth { get; }

    /// <summary>Scores rows (each its steps one after another, at least one step); returns <see cref="OutputWidth"/> values per row, in row order.</summary>
    /// <exception cref="ArgumentException">A row is empty, not whole steps, or holds a value that is not finite (the message names the row).</exception>
    public float[] Score(IReadOnlyList<ReadOnlyMemory<float>> rows)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(rows);
        var result = new float[rows.Count * OutputWidth];
        Score(rows, result, 0);
        return result;
    }

    /// <summary>Scores rows into <paramref name="outputs"/>; <paramref name="firstRow"/> numbers rows in messages.</summary>
    internal void Score(IReadOnlyList<ReadOnlyMemory<float>> rows, float[] outputs, long firstRow)
    {
        for (int i = 0; i < rows.Count; i++)
            Validate(rows[i].Span, firstRow + i);
        for (int start = 0; start < rows.Count; start += BatchSize)
        {
            int count = Math.Min(BatchSize, rows.Count - start);
            int longest = 0;
            for (int i = 0; i < count; i++)
                longest = Math.Max(longest, rows[start + i].Length);
            var values = new float[count * longest];
            var lengths = new int[count];
            for (int i = 0; i < count; i++)
            {
                rows[start + i].Span.CopyTo(values.AsSpan(i * longest));
                lengths[i] = rows[start + i].Length / FeaturesPerStep;
            }
            var inputs = new[]
            {
                NamedOnnxValue.CreateFromTensor(SequenceOnnxNames.Input, new DenseTensor<float>(values, new[] { count, longest })),
                NamedOnnxValue.CreateFromTensor(SequenceOnnxNames.Lengths, new DenseTensor<int>(lengths, new[] { count })),
            };
            using var results = _session.Run(inputs, new[] { OutputName });
            var output = results[0].AsTensor<float>();
            int at = start * OutputWidth;
            foreach (var v in output)
                outputs[at++] = v;
        }
    }

    private void Validate(ReadOnlySpan<float> row, long index)
    {
        if (row.Length == 0 || row.Length % FeaturesPerStep != 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Row {index} holds {row.Length} values, which is not a whole, non-zero number of steps of {FeaturesPerStep} features."));
        for (int i = 0; i < row.Length; i++)
        {
            if (!float.IsFinite(row[i]))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Row {index}, step {i / FeaturesPerStep}, feature {i % FeaturesPerStep} is {row[i]}; scoring needs finite values."));
        }
    }

    /// <summary>
    /// A lazy view of <paramref name="input"/> with <paramref name="outputColumnName"/> added, typed as ML.NET's OnnxTransformer types the
    /// same output (<c>Vector&lt;Single, 1, …&gt;</c>): rows are read from <paramref name="featureColumnName"/> (cut to the steps in
    /// <paramref name="lengthColumnName"/> when given) and scored in batches as a cursor moves, in input order.
    /// </summary>
    internal IDataView TransformLikeOnnxTransformer(IDataView input, string featureColumnName, string? lengthColumnName, string outputColumnName)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var dims = new[] { 1 }.Concat(_outputRowShape.Select(d => (int)d)).ToArray();
        return new RaggedScoredDataView(this, input, featureColumnName, lengthColumnName, outputColumnName, new VectorDataViewType(NumberDataViewType.Single, dims));
    }

    /// <summary>Releases the session.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _session.Dispose();
    }
}
