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
        return Run(session, new[] { TestInput.Of(inputName, input, inputShape) }, new[] { (outputName, outputShape) })[outputName];
    }

    /// <summary>Runs one session with several typed inputs; every requested output starts as NaN.</summary>
    public static Dictionary<string, float[]> Run(InferenceSession session, IReadOnlyList<TestInput> inputs, IReadOnlyList<(string Name, long[] Shape)> outputs)
    {
        var inputValues = inputs.Select(i => i.Create()).ToArray();
        var buffers = outputs.Select(o => Enumerable.Repeat(float.NaN, (int)o.Shape.Aggregate(1L, (a, b) => a * b)).ToArray()).ToArray();
        var outputValues = outputs.Select((o, k) => OrtValue.CreateTensorValueFromMemory(buffers[k], o.Shape)).ToArray();
        try
        {
            using var runOptions = new RunOptions();
            session.Run(runOptions, inputs.Select(i => i.Name).ToArray(), inputValues, outputs.Select(o => o.Name).ToArray(), outputValues);
        }
        finally
        {
            foreach (var v in inputValues.Concat(outputValues))
                v.Dispose();
        }
        return outputs.Select((o, k) => (o.Name, buffers[k])).ToDictionary(p => p.Name, p => p.Item2);
    }
}

/// <summary>A named graph input of float, int64 or int32 values.</summary>
internal sealed record TestInput(string Name, Array Values, long[] Shape)
{
    public static TestInput Of(string name, float[] values, long[] shape) => new(name, values, shape);
    public static TestInput Of(string name, long[] values, long[] shape) => new(name, values, shape);
    public static TestInput Of(string name, int[] values, long[] shape) => new(name, values, shape);

    public OrtValue Create() => Values switch
    {
        float[] f => OrtValue.CreateTensorValueFromMemory(f, Shape),
        long[] l => OrtValue.CreateTensorValueFromMemory(l, Shape),
        int[] i => OrtValue.CreateTensorValueFromMemory(i, Shape),
        _ => throw new ArgumentException($"Unsupported input type {Values.GetType()}."),
    };
}
