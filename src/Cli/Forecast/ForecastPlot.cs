namespace MlNetRnn.Cli.Forecast;

/// <summary>Draws history, hold-out actuals, the forecast with its prediction interval and the seasonal-naive baseline to a PNG.</summary>
internal static class ForecastPlot
{
    /// <summary>Renders the plot as PNG bytes.</summary>
    public static byte[] Render(SeriesCsv series, int holdoutStart, float[] forecast, float[] seasonalNaive, IntervalForecast? interval, string title)
    {
        var plot = new ScottPlot.Plot();
        double[] xs = Enumerable.Range(0, series.Values.Length).Select(i => (double)i).ToArray();
        var history = plot.Add.Scatter(xs[..(holdoutStart + 1)], series.Values[..(holdoutStart + 1)].Select(v => (double)v).ToArray());
        history.LegendText = "history (training)";
        history.MarkerSize = 0;
        double[] holdXs = xs[holdoutStart..];
        if (interval is not null)
        {
            // Drawn first so the lines stay on top of the band.
            var band = plot.Add.FillY(holdXs, interval.Upper.Select(v => (double)v).ToArray(), interval.Lower.Select(v => (double)v).ToArray());
            band.LegendText = $"{interval.Coverage:P0} prediction interval";
            band.FillColor = ScottPlot.Colors.SteelBlue.WithAlpha(0.25);
            band.LineWidth = 0;
        }
        var actual = plot.Add.Scatter(holdXs, series.Values[holdoutStart..].Select(v => (double)v).ToArray());
        actual.LegendText = "actual (hold-out)";
        var naive = plot.Add.Scatter(holdXs, seasonalNaive.Select(v => (double)v).ToArray());
        naive.LegendText = "seasonal naive";
        naive.LinePattern = ScottPlot.LinePattern.Dashed;
        naive.MarkerSize = 0;
        var predicted = plot.Add.Scatter(holdXs, forecast.Select(v => (double)v).ToArray());
        predicted.LegendText = "forecast";
        predicted.LineWidth = 2;

        // Label roughly ten ticks with the series' own labels (e.g. 1960-01).
        int step = Math.Max(1, series.Values.Length / 10);
        var ticks = Enumerable.Range(0, series.Values.Length).Where(i => i % step == 0)
            .Select(i => new ScottPlot.Tick(i, series.Labels[i])).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Title(title);
        plot.YLabel(series.Column);
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        return plot.GetImageBytes(1000, 500, ScottPlot.ImageFormat.Png);
    }
}
