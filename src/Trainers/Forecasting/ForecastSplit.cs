namespace MlNetRnn.Trainers.Forecasting;

/// <summary>
/// How windows in time order are split: the oldest <see cref="Train"/> windows for training, then <see cref="Gap"/>
/// windows left out, then the most recent <see cref="Validation"/> windows for validation.
/// </summary>
/// <remarks>
/// Consecutive windows share targets: training window <c>i</c> predicts steps <c>i+W .. i+W+H−1</c>. Leaving
/// <c>H − 1</c> windows out means no validation target is ever a training target, so early stopping watches an
/// out-of-sample error.
/// </remarks>
internal readonly record struct ForecastSplit(int Train, int Gap, int Validation)
{
    /// <summary>Index of the first validation window.</summary>
    public int ValidationStart => Train + Gap;

    /// <summary>
    /// Splits <paramref name="count"/> windows. The fraction applies to the windows left after the gap; when that would leave
    /// fewer training than validation windows, there is no validation (train on everything, see <see cref="Validation"/> = 0).
    /// </summary>
    public static ForecastSplit Compute(int count, double fraction, int horizon)
    {
        int gap = horizon - 1;
        int usable = count - gap;
        if (fraction <= 0 || usable < 2)
            return new ForecastSplit(count, 0, 0);
        int validation = Math.Max(1, (int)Math.Round(usable * fraction));
        int train = usable - validation;
        // Early stopping on more windows than were trained on would pick the epoch count from noise.
        if (train < validation)
            return new ForecastSplit(count, 0, 0);
        return new ForecastSplit(train, gap, validation);
    }
}
