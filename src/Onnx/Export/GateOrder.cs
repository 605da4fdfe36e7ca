namespace MlNetRnn.Onnx.Export;

/// <summary>
/// Gate-block permutations between PyTorch/TorchSharp and ONNX weight layouts.
/// PyTorch stacks LSTM gates as [i, f, g, o] and GRU gates as [r, z, n]; ONNX expects LSTM [i, o, f, c] and GRU [z, r, h].
/// </summary>
internal static class GateOrder
{
    private static readonly int[] s_lstmTorchToOnnx = { 0, 3, 1, 2 };
    private static readonly int[] s_gruTorchToOnnx = { 1, 0, 2 };
    private static readonly int[] s_single = { 0 };

    /// <summary>For each ONNX gate slot j, the PyTorch gate block that fills it.</summary>
    public static IReadOnlyList<int> TorchBlockForOnnxSlot(RecurrentCellKind cell) => cell switch
    {
        RecurrentCellKind.Lstm => s_lstmTorchToOnnx,
        RecurrentCellKind.Gru => s_gruTorchToOnnx,
        _ => s_single,
    };

    /// <summary>
    /// Reorders the row blocks of a PyTorch gate-stacked matrix <c>[G·H, cols]</c> (or vector, cols = 1) into ONNX order.
    /// </summary>
    public static void TorchToOnnx(RecurrentCellKind cell, ReadOnlySpan<float> source, Span<float> destination, int hiddenSize, int columns) =>
        Permute(cell, source, destination, hiddenSize, columns, toOnnx: true);

    /// <summary>The inverse of <see cref="TorchToOnnx"/>: ONNX-ordered blocks back to PyTorch order.</summary>
    public static void OnnxToTorch(RecurrentCellKind cell, ReadOnlySpan<float> source, Span<float> destination, int hiddenSize, int columns) =>
        Permute(cell, source, destination, hiddenSize, columns, toOnnx: false);

    private static void Permute(RecurrentCellKind cell, ReadOnlySpan<float> source, Span<float> destination, int hiddenSize, int columns, bool toOnnx)
    {
        var perm = TorchBlockForOnnxSlot(cell);
        int block = hiddenSize * columns;
        if (source.Length != perm.Count * block || destination.Length < source.Length)
            throw new ArgumentException($"Expected {perm.Count * block} values for {cell} with hidden size {hiddenSize} and {columns} columns, got {source.Length}.");
        for (int j = 0; j < perm.Count; j++)
        {
            int onnxSlot = j * block, torchBlock = perm[j] * block;
            if (toOnnx)
                source.Slice(torchBlock, block).CopyTo(destination.Slice(onnxSlot, block));
            else
                source.Slice(onnxSlot, block).CopyTo(destination.Slice(torchBlock, block));
        }
    }
}
