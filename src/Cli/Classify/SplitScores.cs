namespace MlNetRnn.Cli.Classify;

/// <summary>One classifier's scores on one test split (AUC and F1 for binary labels only; macro accuracy for multiclass only).</summary>
internal sealed record SplitScores(double Accuracy, double? Auc, double? F1, double? MacroAccuracy);

/// <summary>Means and sample standard deviations over splits.</summary>
internal static class SplitStatistics
{
    /// <summary>The mean, or null when any value is missing or there are none.</summary>
    public static double? Mean(IEnumerable<double?> values)
    {
        var list = values.ToList();
        return list.Count == 0 || list.Any(v => v is null) ? null : list.Average(v => v!.Value);
    }

    /// <summary>The sample standard deviation (n − 1), 0 for one value, null when any value is missing or there are none.</summary>
    public static double? StandardDeviation(IEnumerable<double?> values)
    {
        var list = values.ToList();
        if (list.Count == 0 || list.Any(v => v is null))
            return null;
        if (list.Count == 1)
            return 0;
        double mean = list.Average(v => v!.Value);
        return Math.Sqrt(list.Sum(v => (v!.Value - mean) * (v.Value - mean)) / (list.Count - 1));
    }
}
