namespace MlNetRnn.Transforms.Series;

/// <summary>
/// Cuts a series into overlapping (input window, target horizon) pairs: window <c>i</c> covers
/// <c>series[i .. i+window)</c> and its target is <c>series[i+window .. i+window+horizon)</c>.
/// </summary>
public static class SlidingWindows
{
    /// <summary>Validates a window/horizon pair, naming the offending value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Window or horizon is not positive.</exception>
    public static void ValidateSizes(int window, int horizon)
    {
        if (window <= 0)
            throw new ArgumentOutOfRangeException(nameof(window), window, $"Window length must be at least 1 (got {window}).");
        if (horizon <= 0)
            throw new ArgumentOutOfRangeException(nameof(horizon), horizon, $"Horizon must be at least 1 (got {horizon}).");
    }

    /// <summary>Number of complete (window, horizon) pairs in a series of <paramref name="seriesLength"/> points.</summary>
    public static int Count(int seriesLength, int window, int horizon)
    {
        ValidateSizes(window, horizon);
        return Math.Max(0, seriesLength - window - horizon + 1);
    }

    /// <summary>
    /// Builds dense input and target matrices (row-major) from a series.
    /// </summary>
    /// <param name="series">The series in time order.</param>
    /// <param name="window">Input window length (at least 1).</param>
    /// <param name="horizon">Number of future values to predict (at least 1).</param>
    /// <param name="seriesName">Name used in error messages.</param>
    /// <returns>Inputs <c>[count, window]</c> and targets <c>[count, horizon]</c>.</returns>
    /// <exception cref="ArgumentException">The series is shorter than <c>window + horizon</c>.</exception>
    public static (float[] Inputs, float[] Targets, int Count) Build(ReadOnlySpan<float> series, int window, int horizon, string seriesName = "series")
    {
        int count = Count(series.Length, window, horizon);
        if (count == 0)
            throw new ArgumentException(
                $"The {seriesName} has {series.Length} values, but one training example needs window + horizon = {window} + {horizon} = {window + horizon}. " +
                "Provide a longer series or reduce the window or horizon.", nameof(series));
        var inputs = new float[count * window];
        var targets = new float[count * horizon];
        for (int i = 0; i < count; i++)
        {
            series.Slice(i, window).CopyTo(inputs.AsSpan(i * window, window));
            series.Slice(i + window, horizon).CopyTo(targets.AsSpan(i * horizon, horizon));
        }
        return (inputs, targets, count);
    }
}
