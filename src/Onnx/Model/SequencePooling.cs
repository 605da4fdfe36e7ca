namespace MlNetRnn.Onnx.Model;

/// <summary>Which recurrent outputs the head reads.</summary>
public enum SequencePooling
{
    /// <summary>
    /// The last layer's final states (forward, then backward): with lengths, the forward state at each row's own last valid
    /// step and the backward state after a reverse pass that started there (PyTorch's <c>h_n</c> of a packed sequence).
    /// The head produces <c>[batch, outputs]</c>.
    /// </summary>
    LastStep = 0,

    /// <summary>The last layer's output at every step (tagger, language model): <c>[batch, seq, outputs]</c>.</summary>
    EveryStep = 1,

    /// <summary>The mean of the last layer's outputs over each row's valid steps: <c>[batch, outputs]</c>.</summary>
    Mean = 2,

    /// <summary>
    /// The mean and the element-wise maximum of the last layer's outputs over each row's valid steps, side by side
    /// (<c>[mean, max]</c>, so the head reads 2·D·H values): <c>[batch, outputs]</c>. The maximum keeps a strong word that the
    /// mean of a long text would dilute.
    /// </summary>
    MeanMax = 3,
}
