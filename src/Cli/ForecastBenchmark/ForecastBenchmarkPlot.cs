namespace MlNetRnn.Cli.ForecastBenchmark;

/// <summary>Bars of MASE per series: ours (median over seeds) next to seasonal naive and the published classical methods.</summary>
internal static class ForecastBenchmarkPlot
{
    private static readonly string[] Methods = { "ets", "auto.arima", "comb" };

    /// <summary>Renders the chart as PNG bytes.</summary>
    public static byte[] Render(ForecastBenchmarkSummary summary)
    {
        var plot = new ScottPlot.Plot();
        var groups = new List<(string Label, Func<SeriesResult, double?> Value)>
        {
            ("ours (median of seeds)", r => r.Mase),
            ("seasonal naive", r => r.SeasonalNaiveMase),
        };
        foreach (var method in Methods.Where(m => summary.Series.Any(r => r.BaselinesMase.ContainsKey(m))))
            groups.Add((method, r => r.BaselinesMase.TryGetValue(method, out var v) ? v : null));
        double width = 0.8 / groups.Count;
        var palette = new ScottPlot.Palettes.Category10();
        for (int g = 0; g < groups.Count; g++)
        {
            var bars = new List<ScottPlot.Bar>();
            for (int i = 0; i < summary.Series.Length; i++)
            {
                if (groups[g].Value(summary.Series[i]) is not { } v)
                    continue;
                bars.Add(new ScottPlot.Bar { Position = i - 0.4 + width * (g + 0.5), Value = v, Size = width, FillColor = palette.GetColor(g) });
            }
            var added = plot.Add.Bars(bars);
            added.LegendText = groups[g].Label;
        }
        var ticks = summary.Series.Select((r, i) => new ScottPlot.Tick(i, r.Name)).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleLeft;
        // Room for the rotated series names, which ScottPlot does not measure by itself.
        plot.Axes.Bottom.MinimumSize = 110;
        var line = plot.Add.HorizontalLine(1);
        line.LinePattern = ScottPlot.LinePattern.Dashed;
        plot.Axes.Margins(bottom: 0);
        plot.Title(FormattableString.Invariant($"MASE per series (gmean: ours {summary.GmeanMase:F3}, seasonal naive {summary.GmeanMaseSeasonalNaive:F3})"));
        plot.YLabel("MASE (1 = in-sample seasonal-naive step)");
        plot.ShowLegend(ScottPlot.Edge.Right);
        return plot.GetImageBytes(1300, 600, ScottPlot.ImageFormat.Png);
    }
}
