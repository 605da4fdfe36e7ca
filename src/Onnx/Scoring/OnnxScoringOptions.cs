using Microsoft.ML.OnnxRuntime;

namespace MlNetRnn.Onnx.Scoring;

/// <summary>Settings of an <see cref="OnnxBatchScorer"/> or <see cref="OnnxSequenceScorer"/>: batch size, device and ONNX Runtime session options.</summary>
public sealed class OnnxScoringOptions
{
    /// <summary>
    /// Rows per ONNX Runtime call, 1 to 65536. Default 256. Views of variable-length rows run fewer rows per call where a window's
    /// longest rows would pad a full batch far past the window's mean length.
    /// </summary>
    public int BatchSize { get; set; } = 256;

    /// <summary>
    /// For views of variable-length rows (<see cref="OnnxSequenceScorer.Transform(Microsoft.ML.IDataView, string, string)"/>): how many
    /// batches a cursor reads ahead and sorts by length together, so each batch holds rows of similar length; 1 scores rows in the
    /// order they come. Memory grows with it (it holds that many batches of inputs and results). 1 to 1024. Default 4.
    /// </summary>
    public int LengthGroupingWindow { get; set; } = 4;

    /// <summary>Where scoring runs: Cpu, Cuda(id) (error without the CUDA provider) or Auto. Default Cpu.</summary>
    public ExecutionDevice Device { get; set; } = ExecutionDevice.Cpu;

    /// <summary>
    /// Threads ONNX Runtime uses inside one operator; null keeps ONNX Runtime's default (one per physical core). Default 1.
    /// </summary>
    /// <remarks>
    /// A recurrent graph runs its cell once per step, each step a small matrix product that ONNX Runtime splits over its threads and
    /// joins again before the next step. When the cores are shared with other work, every step then waits for a thread the operating
    /// system has not scheduled: on 2 shared cores one thread scored 256-row batches of the review sentences (13 steps) 2–3x as fast
    /// as ONNX Runtime's default, and 200-word texts through a GRU-128 1.7–2.5x as fast. Set null (or more threads) for large
    /// recurrent layers on idle many-core machines, or score several views at once instead.
    /// </remarks>
    public int? IntraOpThreads { get; set; } = 1;

    /// <summary>Threads ONNX Runtime uses to run independent operators in parallel; null keeps its default.</summary>
    public int? InterOpThreads { get; set; }

    /// <summary>Graph optimisation level. Default <see cref="GraphOptimizationLevel.ORT_ENABLE_ALL"/>.</summary>
    public GraphOptimizationLevel OptimizationLevel { get; set; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    internal void Validate()
    {
        if (BatchSize < 1 || BatchSize > 65536)
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"BatchSize must be between 1 and 65536; got {BatchSize}.");
        if (LengthGroupingWindow < 1 || LengthGroupingWindow > 1024)
            throw new ArgumentOutOfRangeException(nameof(LengthGroupingWindow), LengthGroupingWindow, $"LengthGroupingWindow must be between 1 and 1024 batches; got {LengthGroupingWindow}.");
        if ((long)BatchSize * LengthGroupingWindow > 1 << 20)
            throw new ArgumentOutOfRangeException(nameof(LengthGroupingWindow), LengthGroupingWindow,
                $"BatchSize × LengthGroupingWindow is the number of rows a view holds at once; {BatchSize} × {LengthGroupingWindow} is over 1,048,576. Lower one of them.");
        if (IntraOpThreads is < 1)
            throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), IntraOpThreads, "IntraOpThreads must be at least 1 (or null for the default).");
        if (InterOpThreads is < 1)
            throw new ArgumentOutOfRangeException(nameof(InterOpThreads), InterOpThreads, "InterOpThreads must be at least 1 (or null for the default).");
        ArgumentNullException.ThrowIfNull(Device, nameof(Device));
    }

    /// <summary>Every setting as one value, so callers can reuse a scorer made with equal settings.</summary>
    internal (int, int, ExecutionDevice, int?, int?, GraphOptimizationLevel) Key() =>
        (BatchSize, LengthGroupingWindow, Device, IntraOpThreads, InterOpThreads, OptimizationLevel);

    internal void Apply(SessionOptions options)
    {
        options.GraphOptimizationLevel = OptimizationLevel;
        if (IntraOpThreads is int intra)
            options.IntraOpNumThreads = intra;
        if (InterOpThreads is int inter)
        {
            options.InterOpNumThreads = inter;
            options.ExecutionMode = ExecutionMode.ORT_PARALLEL;
        }
    }
}
