namespace MlNetRnn.Trainers;

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

    public static ForecastSplit Compute(int count, double fraction, int horizon)
    {
        int gap = horizon - 1;
        if (fraction <= 0 || count < 2)
            return new ForecastSplit(count, 0, 0);
        int validation = Math.Max(1, (int)Math.Round(count * fraction));
        // Keep at least one training window; a series too short for a clean split trains on everything.
        validation = Math.Min(validation, count - gap - 1);
        if (validation < 1)
            return new ForecastSplit(count, 0, 0);
        return new ForecastSplit(count - gap - validation, gap, validation);
    }
}
