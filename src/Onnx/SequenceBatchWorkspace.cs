using Microsoft.ML.OnnxRuntime;

namespace MlNetRnn.Onnx;

/// <summary>
/// One caller's buffers for <see cref="OnnxSequenceScorer"/>: the input (token ids or features in pinned managed arrays, or a native
/// string tensor), the lengths and every requested output, with tensor views and an I/O binding over them. Buffers only grow; the
/// views and binding are rebuilt only when the batch shape (rows × padded steps) changes, so a run of batches of the same shape (full
/// batches of equal-length rows, the common case) allocates nothing.
/// </summary>
internal sealed class SequenceBatchWorkspace : IDisposable
{
    private readonly InferenceSession _session;
    private readonly SequenceScoringPlan _plan;
    private readonly SequenceOutput[] _outputs;
    private readonly int[] _lengths;
    private readonly Array[] _outputBuffers;
    private long[] _ids = Array.Empty<long>();
    private float[] _features = Array.Empty<float>();
    private OrtValue? _input;
    private OrtValue? _lengthValue;
    private OrtValue[] _outputValues = Array.Empty<OrtValue>();
    private OrtIoBinding? _binding;
    private int _rows = -1;
    private int _width = -1;

    public SequenceBatchWorkspace(InferenceSession session, SequenceScoringPlan plan, IReadOnlyList<SequenceOutput> outputs, int batchSize)
    {
        _session = session;
        _plan = plan;
        _outputs = outputs.ToArray();
        _lengths = GC.AllocateArray<int>(batchSize, pinned: true);
        _outputBuffers = _outputs.Select(o => o.IsFloat ? (Array)Array.Empty<float>() : Array.Empty<long>()).ToArray();
    }

    /// <summary>The outputs this workspace reads, in the order <see cref="FloatOutput"/> and <see cref="Int64Output"/> index them.</summary>
    public IReadOnlyList<SequenceOutput> Outputs => _outputs;

    public RunOptions RunOptions { get; } = new();

    /// <summary>Rows of the prepared batch.</summary>
    public int Rows => _rows;

    /// <summary>Padded steps of the prepared batch's input.</summary>
    public int Width => _width;

    /// <summary>Steps the graph runs for the prepared batch (per-step outputs have this many).</summary>
    public int GraphSteps { get; private set; }

    /// <summary>Valid steps per row of the prepared batch; write them before <see cref="Run"/>.</summary>
    public Span<int> Lengths => _lengths.AsSpan(0, _rows);

    /// <summary>Token ids <c>[rows, width]</c> of the prepared batch.</summary>
    public Span<long> Ids => _ids.AsSpan(0, _rows * _width);

    /// <summary>Features <c>[rows, width, InputSize]</c> of the prepared batch.</summary>
    public Span<float> Features => _features.AsSpan(0, _rows * _width * _plan.InputSize);

    /// <summary>Sets string token <paramref name="index"/> (row-major in <c>[rows, width]</c>) of the prepared batch.</summary>
    public void SetToken(ReadOnlySpan<char> token, int index) => _input!.StringTensorSetElementAt(token, index);

    /// <summary>Sizes the buffers and views for a batch of <paramref name="rows"/> rows padded to <paramref name="width"/> steps.</summary>
    public void Prepare(int rows, int width)
    {
        if (rows == _rows && width == _width)
            return;
        ReleaseViews();
        int steps = _plan.GraphSteps(width);
        switch (_plan.InputKind)
        {
            case SequenceInputKind.TokenIds:
                _ids = Grow(_ids, rows * width);
                _input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _ids.AsMemory(0, rows * width), new long[] { rows, width });
                break;
            case SequenceInputKind.Features:
                _features = Grow(_features, rows * width * _plan.InputSize);
                _input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _features.AsMemory(0, rows * width * _plan.InputSize),
                    new long[] { rows, width, _plan.InputSize });
                break;
            default:
                _input = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, new long[] { rows, width });
                break;
        }
        _lengthValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _lengths.AsMemory(0, rows), new long[] { rows });
        _binding = _session.CreateIoBinding();
        _binding.BindInput(_plan.InputName, _input);
        _binding.BindInput(SequenceOnnxNames.Lengths, _lengthValue);
        _outputValues = new OrtValue[_outputs.Length];
        for (int k = 0; k < _outputs.Length; k++)
        {
            var output = _outputs[k];
            int size = rows * output.Stride(steps);
            var shape = output.Shape(rows, steps);
            if (output.IsFloat)
            {
                var buffer = Grow((float[])_outputBuffers[k], size);
                _outputBuffers[k] = buffer;
                _outputValues[k] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer.AsMemory(0, size), shape);
            }
            else
            {
                var buffer = Grow((long[])_outputBuffers[k], size);
                _outputBuffers[k] = buffer;
                _outputValues[k] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer.AsMemory(0, size), shape);
            }
            _binding.BindOutput(output.Name, _outputValues[k]);
        }
        _rows = rows;
        _width = width;
        GraphSteps = steps;
    }

    /// <summary>Runs the prepared batch; the outputs land in the workspace's buffers.</summary>
    public void Run() => _session.RunWithBinding(RunOptions, _binding!);

    /// <summary>Output <paramref name="k"/> (float) of the last run, <c>rows · Stride</c> values.</summary>
    public ReadOnlySpan<float> FloatOutput(int k) => ((float[])_outputBuffers[k]).AsSpan(0, _rows * _outputs[k].Stride(GraphSteps));

    /// <summary>Output <paramref name="k"/> (int64) of the last run.</summary>
    public ReadOnlySpan<long> Int64Output(int k) => ((long[])_outputBuffers[k]).AsSpan(0, _rows * _outputs[k].Stride(GraphSteps));

    public void Dispose()
    {
        ReleaseViews();
        RunOptions.Dispose();
    }

    private void ReleaseViews()
    {
        _binding?.Dispose();
        _input?.Dispose();
        _lengthValue?.Dispose();
        foreach (var value in _outputValues)
            value.Dispose();
        _binding = null;
        _input = null;
        _lengthValue = null;
        _outputValues = Array.Empty<OrtValue>();
        _rows = -1;
        _width = -1;
    }

    // New buffers are pinned (ONNX Runtime keeps raw pointers into them while the views live) and sized with headroom, so a
    // slowly growing padded width does not reallocate every batch.
    private static T[] Grow<T>(T[] buffer, int size) where T : unmanaged =>
        buffer.Length >= size ? buffer : GC.AllocateArray<T>(Math.Max(size, buffer.Length * 2), pinned: true);
}
