using Microsoft.ML.OnnxRuntime;

namespace MlNetRnn.Onnx.Scoring;

/// <summary>
/// One caller's buffers for <see cref="OnnxSequenceScorer"/>: the input (token ids or features in pinned managed arrays, or a native
/// string tensor), the lengths and every requested output, with tensor views and an I/O binding over them. Buffers only grow; the
/// views and binding of each batch shape (rows × padded steps) are kept (up to <see cref="MaxShapes"/> shapes), so scoring batches
/// of shapes seen before (full batches of equal-length rows, or the same data again) allocates nothing.
/// </summary>
internal sealed class SequenceBatchWorkspace : IDisposable
{
    /// <summary>Shapes whose views are kept; past that the cache starts over (bounding native handles under endlessly varied shapes).</summary>
    internal const int MaxShapes = 64;

    private readonly InferenceSession _session;
    private readonly SequenceScoringPlan _plan;
    private readonly SequenceOutput[] _outputs;
    private readonly int[] _lengths;
    private readonly Array[] _outputBuffers;
    private readonly Dictionary<(int Rows, int Width), BatchView> _views = new();
    private long[] _ids = Array.Empty<long>();
    private float[] _features = Array.Empty<float>();
    private BatchView? _current;
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
    public void SetToken(ReadOnlySpan<char> token, int index) => _current!.Input.StringTensorSetElementAt(token, index);

    /// <summary>Sizes the buffers and views for a batch of <paramref name="rows"/> rows padded to <paramref name="width"/> steps.</summary>
    public void Prepare(int rows, int width)
    {
        if (rows == _rows && width == _width)
            return;
        int steps = _plan.GraphSteps(width);
        if (!_views.TryGetValue((rows, width), out var view))
        {
            // Views point into the buffers: a buffer that must grow invalidates every view made so far.
            if (_views.Count >= MaxShapes || !Fits(rows, width, steps))
                ReleaseViews();
            GrowBuffers(rows, width, steps);
            view = new BatchView(this, rows, width, steps);
            _views[(rows, width)] = view;
        }
        _current = view;
        _rows = rows;
        _width = width;
        GraphSteps = steps;
    }

    /// <summary>Runs the prepared batch; the outputs land in the workspace's buffers.</summary>
    public void Run() => _session.RunWithBinding(RunOptions, _current!.Binding);

    /// <summary>Output <paramref name="k"/> (float) of the last run, <c>rows · Stride</c> values.</summary>
    public ReadOnlySpan<float> FloatOutput(int k) => ((float[])_outputBuffers[k]).AsSpan(0, _rows * _outputs[k].Stride(GraphSteps));

    /// <summary>Output <paramref name="k"/> (int64) of the last run.</summary>
    public ReadOnlySpan<long> Int64Output(int k) => ((long[])_outputBuffers[k]).AsSpan(0, _rows * _outputs[k].Stride(GraphSteps));

    public void Dispose()
    {
        ReleaseViews();
        RunOptions.Dispose();
    }

    private bool Fits(int rows, int width, int steps)
    {
        if (_plan.InputKind == SequenceInputKind.TokenIds && _ids.Length < rows * width)
            return false;
        if (_plan.InputKind == SequenceInputKind.Features && _features.Length < rows * width * _plan.InputSize)
            return false;
        for (int k = 0; k < _outputs.Length; k++)
        {
            if (_outputBuffers[k].Length < rows * _outputs[k].Stride(steps))
                return false;
        }
        return true;
    }

    // New buffers are pinned (ONNX Runtime keeps raw pointers into them while the views live) and sized with headroom, so a
    // slowly growing padded width does not reallocate every batch.
    private void GrowBuffers(int rows, int width, int steps)
    {
        if (_plan.InputKind == SequenceInputKind.TokenIds)
            _ids = Grow(_ids, rows * width);
        else if (_plan.InputKind == SequenceInputKind.Features)
            _features = Grow(_features, rows * width * _plan.InputSize);
        for (int k = 0; k < _outputs.Length; k++)
        {
            int size = rows * _outputs[k].Stride(steps);
            _outputBuffers[k] = _outputs[k].IsFloat ? Grow((float[])_outputBuffers[k], size) : Grow((long[])_outputBuffers[k], size);
        }
    }

    private void ReleaseViews()
    {
        foreach (var view in _views.Values)
            view.Dispose();
        _views.Clear();
        _current = null;
        _rows = -1;
        _width = -1;
    }

    private static T[] Grow<T>(T[] buffer, int size) where T : unmanaged =>
        buffer.Length >= size ? buffer : GC.AllocateArray<T>(Math.Max(size, buffer.Length * 2), pinned: true);

    /// <summary>Tensors over the first rows of the workspace's buffers for one batch shape, bound to the session.</summary>
    private sealed class BatchView : IDisposable
    {
        private OrtValue? _lengthValue;
        private OrtValue?[] _outputValues = Array.Empty<OrtValue?>();

        public BatchView(SequenceBatchWorkspace owner, int rows, int width, int steps)
        {
            try
            {
                Build(owner, rows, width, steps);
            }
            catch
            {
                // A failure halfway (for example an output ONNX Runtime refuses to bind) must not leave native values behind.
                Dispose();
                throw;
            }
        }

        public OrtValue Input { get; private set; } = null!;

        public OrtIoBinding Binding { get; private set; } = null!;

        private void Build(SequenceBatchWorkspace owner, int rows, int width, int steps)
        {
            var plan = owner._plan;
            Input = plan.InputKind switch
            {
                SequenceInputKind.TokenIds => OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, owner._ids.AsMemory(0, rows * width), new long[] { rows, width }),
                SequenceInputKind.Features => OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, owner._features.AsMemory(0, rows * width * plan.InputSize),
                    new long[] { rows, width, plan.InputSize }),
                _ => OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, new long[] { rows, width }),
            };
            _lengthValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, owner._lengths.AsMemory(0, rows), new long[] { rows });
            Binding = owner._session.CreateIoBinding();
            Binding.BindInput(plan.InputName, Input);
            Binding.BindInput(SequenceOnnxNames.Lengths, _lengthValue);
            _outputValues = new OrtValue?[owner._outputs.Length];
            for (int k = 0; k < owner._outputs.Length; k++)
            {
                var output = owner._outputs[k];
                int size = rows * output.Stride(steps);
                var shape = output.Shape(rows, steps);
                _outputValues[k] = output.IsFloat
                    ? OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, ((float[])owner._outputBuffers[k]).AsMemory(0, size), shape)
                    : OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, ((long[])owner._outputBuffers[k]).AsMemory(0, size), shape);
                Binding.BindOutput(output.Name, _outputValues[k]);
            }
        }

        public void Dispose()
        {
            Binding?.Dispose();
            Input?.Dispose();
            _lengthValue?.Dispose();
            foreach (var value in _outputValues)
                value?.Dispose();
        }
    }
}
