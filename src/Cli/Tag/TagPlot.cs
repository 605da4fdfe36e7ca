namespace MlNetRnn.Cli.Tag;

/// <summary>Per-tag F1 of the commonest tags as a PNG bar chart.</summary>
internal static class TagPlot
{
    public static byte[] PerTagF1(IReadOnlyList<TagRow> rows, string title, int count = 30)
    {
        var shown = rows.Where(r => r.Support > 0).Take(count).ToArray();
        var plot = new ScottPlot.Plot();
        var bars = plot.Add.Bars(shown.Select(r => r.F1).ToArray());
        bars.Horizontal = false;
        var ticks = shown.Select((r, i) => new ScottPlot.Tick(i, r.Tag)).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 90;
        plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleLeft;
        plot.Axes.SetLimitsY(0, 1.05);
        plot.YLabel("F1 on the test tokens");
        plot.Title(title);
        return plot.GetImageBytes(1000, 600, ScottPlot.ImageFormat.Png);
    }
}
