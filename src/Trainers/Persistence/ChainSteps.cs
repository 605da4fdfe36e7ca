using Microsoft.ML;

namespace MlNetRnn.Trainers.Persistence;

/// <summary>The steps of a fitted ML.NET chain with nested chains opened, so a model's ONNX step can be found and swapped.</summary>
internal static class ChainSteps
{
    /// <summary>Every leaf transformer of <paramref name="transformer"/>, in order.</summary>
    public static IEnumerable<ITransformer> Flatten(ITransformer transformer) =>
        transformer is IEnumerable<ITransformer> steps ? steps.SelectMany(Flatten) : new[] { transformer };
}
