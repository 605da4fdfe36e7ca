using MlNetRnn.Transforms;

namespace MlNetRnn.Trainers.Forecasting;

/// <summary>
/// The forecaster's input/output mapping in C#, mirroring the ONNX graph node for node: scale each window, optionally shift it by
/// its own mean, and express targets relative to a reference (the seasonal-naive forecast read off the window, else the window's
/// mean, else zero); outputs are mapped back by adding the reference and undoing the scaling.
/// </summary>
/// <param name="Window">Values per window.</param>
/// <param name="Horizon">Values forecast per window.</param>
/// <param name="Scaler">The fitted scaler.</param>
/// <param name="RelativeToWindow">Whether network inputs are shifted by the window's mean.</param>
/// <param name="ReferenceSeason">Season of the seasonal-naive reference, or 0 for none.</param>
internal sealed record ForecastPreprocessing(int Window, int Horizon, SeriesScaler Scaler, bool RelativeToWindow, int ReferenceSeason)
{
    /// <summary>The preprocessing of ensemble member <paramref name="member"/> under the options, with <paramref name="scaler"/>.</summary>
    public static ForecastPreprocessing For(ForecasterOptions options, SeriesScaler scaler, int member = 0) =>
        new(options.NetworkWindowOrWindow, options.Horizon, scaler, options.RelativeToWindow, member < options.SeasonalMembers ? options.Season : 0);

    /// <summary>Scales windows <c>[rows, window]</c>; returns the network input and each row's reference <c>[rows, horizon]</c> in scaled space.</summary>
    public (float[] Inputs, float[] References) ScaleInputs(ReadOnlySpan<float> rawWindows)
    {
        int rows = rawWindows.Length / Window;
        var scaled = new float[rawWindows.Length];
        Scaler.Transform(rawWindows, scaled);
        var inputs = (float[])scaled.Clone();
        var references = new float[rows * Horizon];
        for (int r = 0; r < rows; r++)
        {
            var row = scaled.AsSpan(r * Window, Window);
            var reference = references.AsSpan(r * Horizon, Horizon);
            if (RelativeToWindow)
            {
                float sum = 0f;
                foreach (float v in row)
                    sum += v;
                float level = sum / Window;
                var input = inputs.AsSpan(r * Window, Window);
                for (int i = 0; i < input.Length; i++)
                    input[i] -= level;
                reference.Fill(level);
            }
            if (ReferenceSeason > 0)
            {
                // Step h repeats the value one season before it (the ONNX graph gathers the same positions).
                for (int h = 0; h < Horizon; h++)
                    reference[h] = row[Window - ReferenceSeason + h % ReferenceSeason];
            }
        }
        return (inputs, references);
    }

    /// <summary>Scales targets <c>[rows, horizon]</c> into the network's output space (scaled, minus the reference).</summary>
    public float[] ScaleTargets(ReadOnlySpan<float> rawTargets, ReadOnlySpan<float> references)
    {
        var targets = new float[rawTargets.Length];
        Scaler.Transform(rawTargets, targets);
        for (int i = 0; i < targets.Length; i++)
            targets[i] -= references[i];
        return targets;
    }

    /// <summary>Maps network outputs <c>[rows, horizon]</c> (plus optional per-step <paramref name="offsets"/>) back to original units, in place.</summary>
    public void UnscaleOutputs(Span<float> outputs, ReadOnlySpan<float> references, ReadOnlySpan<float> offsets = default)
    {
        for (int i = 0; i < outputs.Length; i++)
            outputs[i] = Scaler.Inverse(outputs[i] + references[i] + (offsets.IsEmpty ? 0f : offsets[i % Horizon]));
    }
}
