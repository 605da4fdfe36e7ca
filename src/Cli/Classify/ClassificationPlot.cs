namespace MlNetRnn.Cli.Classify;

/// <summary>ROC curves (binary) or a confusion matrix (multiclass) as PNG.</summary>
internal static class ClassificationPlot
{
    /// <summary>ROC curves of the recurrent model and the baseline on the same test rows.</summary>
    public static byte[] Roc(bool[] labels, float[] model, float[] baseline, string modelName, string baselineName, double modelAuc, double baselineAuc)
    {
        var plot = new ScottPlot.Plot();
        foreach (var (scores, name, auc) in new[] { (model, modelName, modelAuc), (baseline, baselineName, baselineAuc) })
        {
            var (fpr, tpr) = Curve(labels, scores);
            var line = plot.Add.Scatter(fpr, tpr);
            line.LegendText = $"{name} (AUC {auc:F3})";
            line.MarkerSize = 0;
            line.LineWidth = 2;
        }
        var chance = plot.Add.Line(0, 0, 1, 1);
        chance.LinePattern = ScottPlot.LinePattern.Dashed;
        chance.LegendText = "chance";
        plot.XLabel("false positive rate");
        plot.YLabel("true positive rate");
        plot.Title("ROC on the test split");
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        return plot.GetImageBytes(700, 600, ScottPlot.ImageFormat.Png);
    }

    /// <summary>A confusion matrix: rows are true classes, columns predicted ones, cell shade the row share.</summary>
    public static byte[] Confusion(int[,] counts, string[] classes, string title)
    {
        var plot = new ScottPlot.Plot();
        int n = classes.Length;
        var shares = new double[n, n];
        for (int r = 0; r < n; r++)
        {
            double total = Enumerable.Range(0, n).Sum(c => counts[r, c]);
            for (int c = 0; c < n; c++)
                shares[n - 1 - r, c] = total == 0 ? 0 : counts[r, c] / total;
        }
        var map = plot.Add.Heatmap(shares);
        map.Colormap = new ScottPlot.Colormaps.Blues();
        for (int r = 0; r < n; r++)
        for (int c = 0; c < n; c++)
            plot.Add.Text(counts[r, c].ToString(System.Globalization.CultureInfo.InvariantCulture), c, n - 1 - r);
        var ticks = classes.Select((name, i) => new ScottPlot.Tick(i, name)).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(classes.Select((name, i) => new ScottPlot.Tick(n - 1 - i, name)).ToArray());
        plot.XLabel("predicted");
        plot.YLabel("true");
        plot.Title(title);
        return plot.GetImageBytes(700, 600, ScottPlot.ImageFormat.Png);
    }

    private static (double[] Fpr, double[] Tpr) Curve(bool[] labels, float[] scores)
    {
        int positives = labels.Count(l => l), negatives = labels.Length - positives;
        var order = Enumerable.Range(0, labels.Length).OrderByDescending(i => scores[i]).ToArray();
        var fpr = new List<double> { 0 };
        var tpr = new List<double> { 0 };
        int tp = 0, fp = 0;
        foreach (int i in order)
        {
            if (labels[i]) tp++; else fp++;
            fpr.Add(negatives == 0 ? 0 : fp / (double)negatives);
            tpr.Add(positives == 0 ? 0 : tp / (double)positives);
        }
        return (fpr.ToArray(), tpr.ToArray());
    }
}
