namespace MlNetRnn.Cli.Generate;

/// <summary>Draws the training loss per batch and the validation loss per epoch to a PNG.</summary>
internal static class LossPlot
{
    /// <param name="batchLoss">(tokens seen, smoothed training loss) per batch.</param>
    /// <param name="validation">(tokens seen at the end of the epoch, validation loss) per epoch.</param>
    /// <param name="title">Plot title.</param>
    public static byte[] Render(IReadOnlyList<(double Tokens, double Loss)> batchLoss, IReadOnlyList<(double Tokens, double Loss)> validation, string title)
    {
        var plot = new ScottPlot.Plot();
        if (batchLoss.Count > 0)
        {
            var train = plot.Add.Scatter(batchLoss.Select(p => p.Tokens / 1e6).ToArray(), batchLoss.Select(p => p.Loss).ToArray());
            train.LegendText = "training (moving average of batches)";
            train.MarkerSize = 0;
        }
        if (validation.Count > 0)
        {
            var val = plot.Add.Scatter(validation.Select(p => p.Tokens / 1e6).ToArray(), validation.Select(p => p.Loss).ToArray());
            val.LegendText = "validation";
            val.MarkerSize = 7;
            val.LineWidth = 2;
        }
        plot.Title(title);
        plot.XLabel("training tokens (millions)");
        plot.YLabel("loss (nats per token)");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        return plot.GetImageBytes(900, 500, ScottPlot.ImageFormat.Png);
    }
}
