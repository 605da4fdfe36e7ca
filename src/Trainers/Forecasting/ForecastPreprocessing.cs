using MlNetRnn.Transforms;

namespace MlNetRnn.Trainers.Forecasting;

/// <summary>
/// The forecaster's input/output mapping in C#, mirroring the ONNX graph node for node: scale each window,
/// optionally shift it by its own mean, and undo both on the network's outputs.
/// </summary>
internal static class ForecastPreprocessing
{
    /// <summary>Scales windows <c>[rows, window]</c>; returns the network input and each row's level (0 when not relative).</summary>
    public static (float[] Inputs, float[] Levels) ScaleInputs(ReadOnlySpan<float> rawWindows, int window, SeriesScaler scaler, bool relativeToWindow)
    {
        int rows = rawWindows.Length / window;
        var inputs = new float[rawWindows.Length];
        var levels = new float[rows];
        scaler.Transform(rawWindows, inputs);
        if (!relativeToWindow)
            return (inputs, levels);
        for (int r = 0; r < rows; r++)
        {
            var row = inputs.AsSpan(r * window, window);
            float sum = 0f;
            foreach (float v in row)
                sum += v;
            float level = sum / window;
            levels[r] = level;
            for (int i = 0; i < row.Length; i++)
                row[i] -= level;
        }
        return (inputs, levels);
    }

    /// <summary>Scales targets <c>[rows, horizon]</c> into the network's output space.</summary>
    public static float[] ScaleTargets(ReadOnlySpan<float> rawTargets, int horizon, SeriesScaler scaler, ReadOnlySpan<float> levels)
    {
        var targets = new float[rawTargets.Length];
        scaler.Transform(rawTargets, targets);
        for (int r = 0; r < levels.Length; r++)
        {
            for (int j = 0; j < horizon; j++)
                targets[r * horizon + j] -= levels[r];
        }
        return targets;
    }

    /// <summary>Maps network outputs <c>[rows, horizon]</c> back to original units, in place.</summary>
    public static void UnscaleOutputs(Span<float> outputs, int horizon, SeriesScaler scaler, ReadOnlySpan<float> levels)
    {
        for (int r = 0; r < levels.Length; r++)
        {
            var row = outputs.Slice(r * horizon, horizon);
            for (int j = 0; j < horizon; j++)
                row[j] = scaler.Inverse(row[j] + levels[r]);
        }
    }
}
