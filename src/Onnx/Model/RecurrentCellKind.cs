namespace MlNetRnn.Onnx.Model;

/// <summary>The recurrent cell of a layer stack.</summary>
public enum RecurrentCellKind
{
    /// <summary>Long short-term memory (PyTorch gate order i, f, g, o).</summary>
    Lstm = 0,

    /// <summary>Gated recurrent unit, PyTorch semantics (reset applied after the hidden matmul: ONNX linear_before_reset=1).</summary>
    Gru = 1,

    /// <summary>Elman RNN with tanh.</summary>
    RnnTanh = 2,

    /// <summary>Elman RNN with ReLU.</summary>
    RnnRelu = 3,
}
