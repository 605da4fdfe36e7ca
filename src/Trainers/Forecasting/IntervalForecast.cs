namespace MlNetRnn.Trainers.Forecasting;

/// <summary>A forecast with its prediction interval, one value per horizon step, in original units.</summary>
/// <param name="Forecast">The point forecast (the ensemble's mean in scaled space, mapped back).</param>
/// <param name="Lower">Lower bound of the interval; ≤ <paramref name="Forecast"/>.</param>
/// <param name="Upper">Upper bound of the interval; ≥ <paramref name="Forecast"/>.</param>
/// <param name="Coverage">Nominal coverage, e.g. 0.8 for the band from the 10% to the 90% quantile of the validation residuals.</param>
public sealed record IntervalForecast(float[] Forecast, float[] Lower, float[] Upper, double Coverage);
