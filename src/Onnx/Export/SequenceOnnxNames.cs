namespace MlNetRnn.Onnx.Export;

/// <summary>Graph input and output names of models written by <see cref="SequenceOnnxExporter"/> (docs/ONNX.md).</summary>
public static class SequenceOnnxNames
{
    /// <summary>Float features <c>[batch, seq, features]</c>.</summary>
    public const string Input = "input";
    /// <summary>Token ids <c>[batch, seq]</c>, int64, when the model starts with an embedding.</summary>
    public const string Tokens = "tokens";
    /// <summary>
    /// Unicode code points of each token, int64 <c>[batch, seq, chars]</c> (0 past a token's end), or <c>[batch, seq · 20]</c> in the
    /// flattened form, for models with character features.
    /// </summary>
    public const string TokenCharacters = "token_chars";
    /// <summary>Name of the arg-max class per row or step, string, for models with output labels.</summary>
    public const string PredictedLabel = "predicted_label";
    /// <summary>Probability of <see cref="PredictedLabel"/>, float, per row or step.</summary>
    public const string PredictedProbability = "predicted_probability";
    /// <summary>Valid steps per row <c>[batch]</c>, int32, each in 1..seq.</summary>
    public const string Lengths = "lengths";
    /// <summary>Initial hidden state <c>[layers·directions, batch, hidden]</c>.</summary>
    public const string InitialHidden = "h0";
    /// <summary>Initial LSTM cell state <c>[layers·directions, batch, hidden]</c>.</summary>
    public const string InitialCell = "c0";
    /// <summary>The head's value for a <see cref="HeadActivation.Linear"/> head.</summary>
    public const string Output = "output";
    /// <summary>The head's value before the sigmoid or softmax.</summary>
    public const string Logits = "logits";
    /// <summary>Sigmoid or softmax of <see cref="Logits"/>.</summary>
    public const string Probabilities = "probabilities";
    /// <summary>Final hidden state of every layer and direction <c>[layers·directions, batch, hidden]</c> (PyTorch's <c>h_n</c> order).</summary>
    public const string FinalHidden = "h_n";
    /// <summary>Arg-max class of a softmax head, int64 <c>[batch]</c>.</summary>
    public const string PredictedIndex = "predicted_index";
    /// <summary>Final LSTM cell state, same layout as <see cref="FinalHidden"/>.</summary>
    public const string FinalCell = "c_n";
}
