namespace MlNetRnn.Trainers.Forecasting;

/// <summary>What each network's forecast is expressed relative to (the graph adds the reference back).</summary>
public enum ForecastReference
{
    /// <summary>
    /// The window's mean in scaled space (or nothing when <see cref="ForecasterOptions.RelativeToWindow"/> is off): the network forecasts the
    /// level's shape. Good for mean-reverting and noisy series.
    /// </summary>
    WindowLevel,

    /// <summary>
    /// The seasonal-naive forecast read off the window (each step repeats the value one <see cref="ForecasterOptions.Season"/> earlier; with
    /// season 1, the last value): the network learns a correction, and an untrained correction is the seasonal-naive forecast. Good for
    /// trending and seasonal series.
    /// </summary>
    SeasonalNaive,

    /// <summary>
    /// An ensemble of both kinds: the first half of the members (rounded up) correct the seasonal-naive forecast, the others forecast the
    /// level. Averaging the two views is more robust than either on series of unknown kind.
    /// </summary>
    Mixed,
}
