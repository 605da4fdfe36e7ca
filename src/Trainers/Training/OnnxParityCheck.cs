using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MlNetRnn.Trainers.Training;

/// <summary>Result of comparing ONNX Runtime's outputs with TorchSharp's on the same inputs.</summary>
/// <param name="MaxAbsDiff">Largest absolute difference over all compared values.</param>
/// <param name="WorstIndex">Flat index of the value with the largest tolerance excess.</param>
/// <param name="Passed">Whether every value satisfied <c>|onnx − torch| ≤ abs + rel·|torch|</c>.</param>
/// <param name="Count">Number of values compared.</param>
public sealed record ParityReport(double MaxAbsDiff, int WorstIndex, bool Passed, int Count);

/// <summary>
/// The export self-check: the exported graph must reproduce TorchSharp's outputs within
/// <c>1e-5 + 1e-4·|reference|</c> per value.
/// </summary>
internal static class OnnxParityCheck
{
    public const double AbsoluteTolerance = 1e-5;
    public const double RelativeTolerance = 1e-4;

    public static ParityReport Compare(ReadOnlySpan<float> reference, ReadOnlySpan<float> actual)
    {
        if (reference.Length != actual.Length)
            throw new InvalidOperationException($"Parity check: ONNX Runtime returned {actual.Length} values, TorchSharp {reference.Length}.");
        double maxAbs = 0, worstExcess = double.NegativeInfinity;
        int worst = 0;
        bool passed = true;
        for (int i = 0; i < reference.Length; i++)
        {
            double diff = Math.Abs((double)actual[i] - reference[i]);
            if (double.IsNaN(diff))
                diff = double.PositiveInfinity;
            double excess = diff - (AbsoluteTolerance + RelativeTolerance * Math.Abs(reference[i]));
            if (excess > 0)
                passed = false;
            if (excess > worstExcess)
            {
                worstExcess = excess;
                worst = i;
            }
            maxAbs = Math.Max(maxAbs, diff);
        }
        return new ParityReport(maxAbs, worst, passed, reference.Length);
    }

    /// <summary>Compares, and throws a message naming the worst value when any value is out of tolerance.</summary>
    /// <exception cref="InvalidOperationException">The outputs disagree beyond the tolerance, or their lengths differ.</exception>
    public static ParityReport Verify(ReadOnlySpan<float> reference, ReadOnlySpan<float> actual)
    {
        var report = Compare(reference, actual);
        if (!report.Passed)
            throw new InvalidOperationException(Describe(report, reference, actual));
        return report;
    }

    /// <summary>Runs one float input through a CPU session and returns the named output.</summary>
    public static float[] RunOnnx(byte[] model, string inputName, float[] input, long[] shape, string outputName)
    {
        using var options = new SessionOptions();
        using var session = new InferenceSession(model, options);
        var tensor = new DenseTensor<float>(input, shape.Select(d => (int)d).ToArray());
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(inputName, tensor) }, new[] { outputName });
        return results.First().AsEnumerable<float>().ToArray();
    }

    public static string Describe(ParityReport report, ReadOnlySpan<float> reference, ReadOnlySpan<float> actual)
    {
        float onnxValue = actual[report.WorstIndex], torchValue = reference[report.WorstIndex];
        return FormattableString.Invariant(
            $"ONNX export parity check failed: value {report.WorstIndex} is {onnxValue} in ONNX Runtime but {torchValue} in TorchSharp ") +
            FormattableString.Invariant(
            $"(max abs diff {report.MaxAbsDiff:G4} over {report.Count} values; allowed {AbsoluteTolerance} + {RelativeTolerance}·|ref|). ") +
            "The exported model does not reproduce the trained network; please report this with the options used.";
    }
}
