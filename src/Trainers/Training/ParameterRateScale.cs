using static TorchSharp.torch;

namespace MlNetRnn.Trainers.Training;

/// <summary>
/// A learning-rate scale for one named parameter that may change by epoch: a tensor broadcast against the parameter, multiplying
/// its Adam update. One scale per embedding row is how pretrained word vectors are frozen (0) or fine-tuned at a lower rate while
/// the rows of words without a vector train at the full rate.
/// </summary>
/// <param name="ParameterName">The parameter's state-dict name (e.g. <c>embedding.weight</c>).</param>
/// <param name="ForEpoch">The scale for a 1-based epoch (on the parameter's device, broadcastable to its shape); null for the full rate.
/// The engine does not dispose what it returns, so the owner keeps the tensors alive for the run.</param>
internal sealed record ParameterRateScale(string ParameterName, Func<int, Tensor?> ForEpoch);
