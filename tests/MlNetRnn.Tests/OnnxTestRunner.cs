using Microsoft.ML.OnnxRuntime;

namespace MlNetRnn.Tests;

/// <summary>Runs a model through a plain ONNX Runtime session into NaN-poisoned output buffers, so an output the graph never wrote cannot pass a comparison.</summary>
internal static class OnnxTestRunner
{
    public static float[] Run(byte[] model, string inputName, float[] input, long[] inputShape, string outputName, long[] outputShape,
        GraphOptimizationLevel level = GraphOptimizationLevel.ORT_ENABLE_ALL)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = level };
        using var session = new InferenceSession(model, options);
        long count = outputShape.Aggregate(1L, (a, b) => a * b);
        var output = Enumerable.Repeat(float.NaN, (int)count).ToArray();
        using var inputValue = OrtValue.CreateTensorValueFromMemory(input, inputShape);
        using var outputValue = OrtValue.CreateTensorValueFromMemory(output, outputShape);
        using var runOptions = new RunOptions();
        session.Run(runOptions, new[] { inputName }, new[] { inputValue }, new[] { outputName }, new[] { outputValue });
        return output;
    }
}
