
namespace MlNetRnn.Cli.Shared;

/// <summary>
/// Bytes a model's weights take in an ONNX file, computed from the settings before training, so the free-space check of
/// <see cref="OutputSet.Open"/> can refuse a disk that cannot hold the result before minutes of training are spent.
/// </summary>
internal static class ModelSizeEstimate
{
    /// <summary>Room for a PNG plot and summary.json (plots are 100-300 KB; a summary with a long sample can be larger).</summary>
    public const long ReportBytes = 4L << 20;

    /// <summary>
    /// float32 bytes of a recurrent stack (ONNX layout: input and recurrent weights, two bias vectors per gate block) with an optional
    /// embedding in front and a linear head of <paramref name="outputs"/> values after it.
    /// </summary>
    public static long WeightBytes(RecurrentCellKind cell, long inputSize, long hidden, long layers, bool bidirectional, long outputs, long vocabulary = 0)
    {
        long gates = cell switch
        {
            RecurrentCellKind.Lstm => 4,
            RecurrentCellKind.Gru => 3,
            _ => 1,
        };
        long directions = bidirectional ? 2 : 1;
        long parameters = vocabulary * inputSize;
        for (long layer = 0; layer < layers; layer++)
        {
            long input = layer == 0 ? inputSize : hidden * directions;
            parameters += directions * gates * hidden * (input + hidden + 2);
        }
        parameters += (hidden * directions + 1) * outputs;
        return parameters * sizeof(float);
    }
}
