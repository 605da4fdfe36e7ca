namespace MlNetRnn.Onnx.Model;

/// <summary>
/// A forecaster's prediction interval as offsets added, in scaled space, to the point forecast of each horizon step before the
/// scaling is undone (so the band follows the log transform). <c>Lower[h] ≤ 0 ≤ Upper[h]</c>, so lower ≤ point ≤ upper.
/// </summary>
/// <param name="Coverage">Nominal coverage of the interval, in (0, 1), e.g. 0.8 for the 10%–90% band.</param>
/// <param name="Lower">Offset of the lower bound per horizon step (≤ 0).</param>
/// <param name="Upper">Offset of the upper bound per horizon step (≥ 0).</param>
public sealed record ForecastIntervalOffsets(double Coverage, float[] Lower, float[] Upper)
{
    /// <summary>Checks the shape and signs.</summary>
    /// <exception cref="ArgumentException">Lengths differ from <paramref name="horizon"/>, the coverage is outside (0, 1), or an offset has the wrong sign or is not finite.</exception>
    public void Validate(int horizon)
    {
        if (!(Coverage > 0 && Coverage < 1))
            throw new ArgumentException($"Interval coverage must be in (0, 1); got {Coverage}.");
        if (Lower.Length != horizon || Upper.Length != horizon)
            throw new ArgumentException($"Interval offsets need one value per horizon step ({horizon}); got {Lower.Length} lower and {Upper.Length} upper.");
        for (int h = 0; h < horizon; h++)
        {
            if (!(Lower[h] <= 0 && float.IsFinite(Lower[h])) || !(Upper[h] >= 0 && float.IsFinite(Upper[h])))
                throw new ArgumentException($"Interval offsets at step {h} are {Lower[h]} and {Upper[h]}; the lower must be finite and ≤ 0, the upper finite and ≥ 0.");
        }
    }
}
