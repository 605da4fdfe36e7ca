namespace MlNetRnn.Onnx.Model;

/// <summary>What the exported head applies after its linear layer.</summary>
public enum HeadActivation
{
    /// <summary>Nothing: the graph output <c>output</c> is the linear layer's value (regression, forecasting).</summary>
    Linear = 0,

    /// <summary>Logistic sigmoid per output (binary or multi-label): outputs <c>logits</c> and <c>probabilities</c>.</summary>
    Sigmoid = 1,

    /// <summary>Softmax over the last axis (multiclass, language model): outputs <c>logits</c> and <c>probabilities</c>.</summary>
    Softmax = 2,
}
