namespace MlNetRnn.Onnx.Model;

/// <summary>
/// The shape of a recurrent layer stack, independent of TorchSharp and ONNX: cell, sizes, depth, directions.
/// Weights that go with it are named and laid out as PyTorch/TorchSharp names them (see <see cref="WeightSet"/>).
/// </summary>
/// <param name="Cell">The recurrent cell.</param>
/// <param name="InputSize">Features per time step fed to the first layer.</param>
/// <param name="HiddenSize">Hidden units per layer and direction.</param>
/// <param name="NumLayers">Stacked layers (at least 1).</param>
/// <param name="Bidirectional">Whether each layer also runs backwards over the sequence.</param>
/// <param name="HasBias">Whether the cells have bias vectors.</param>
public sealed record RecurrentArchitecture(RecurrentCellKind Cell, int InputSize, int HiddenSize, int NumLayers, bool Bidirectional, bool HasBias = true)
{
    /// <summary>Gate blocks per weight matrix: 4 for LSTM, 3 for GRU, 1 for plain RNN.</summary>
    public int GateCount => Cell switch
    {
        RecurrentCellKind.Lstm => 4,
        RecurrentCellKind.Gru => 3,
        _ => 1,
    };

    /// <summary>1, or 2 when bidirectional.</summary>
    public int NumDirections => Bidirectional ? 2 : 1;

    /// <summary>Width of the features the stack produces per step (directions × hidden size).</summary>
    public int OutputSize => NumDirections * HiddenSize;

    /// <summary>Input width of layer <paramref name="layer"/>.</summary>
    public int LayerInputSize(int layer) => layer == 0 ? InputSize : OutputSize;

    /// <summary>Checks sizes and throws a message naming the bad value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public void Validate()
    {
        if (InputSize < 1) throw new ArgumentOutOfRangeException(nameof(InputSize), InputSize, "Input size must be at least 1.");
        if (HiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(HiddenSize), HiddenSize, "Hidden size must be at least 1.");
        if (NumLayers < 1) throw new ArgumentOutOfRangeException(nameof(NumLayers), NumLayers, "Number of layers must be at least 1.");
        if (!Enum.IsDefined(Cell)) throw new ArgumentOutOfRangeException(nameof(Cell), Cell, "Unknown cell kind.");
    }

    /// <summary>The PyTorch parameter name of one weight, e.g. <c>weight_ih_l0_reverse</c>.</summary>
    /// <param name="kind"><c>weight_ih</c>, <c>weight_hh</c>, <c>bias_ih</c> or <c>bias_hh</c>.</param>
    /// <param name="layer">Layer index.</param>
    /// <param name="reverse">True for the backward direction.</param>
    public static string ParameterName(string kind, int layer, bool reverse) => $"{kind}_l{layer}{(reverse ? "_reverse" : string.Empty)}";

    /// <summary>The name used for this cell in model metadata (LSTM, GRU, RNN_TANH, RNN_RELU).</summary>
    public string CellMetadataName => Cell switch
    {
        RecurrentCellKind.Lstm => "LSTM",
        RecurrentCellKind.Gru => "GRU",
        RecurrentCellKind.RnnTanh => "RNN_TANH",
        RecurrentCellKind.RnnRelu => "RNN_RELU",
        _ => throw new ArgumentOutOfRangeException(nameof(Cell)),
    };
}
