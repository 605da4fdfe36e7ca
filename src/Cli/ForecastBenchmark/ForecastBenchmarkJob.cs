using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Spectre.Console;

namespace MlNetRnn.Cli.ForecastBenchmark;

/// <summary>What <c>forecast-benchmark</c> runs: the benchmark, the seeds, and the forecaster settings shared by every series.</summary>
/// <param name="Suite">The series (and published baselines).</param>
/// <param name="Seeds">Seeds 1..K.</param>
/// <param name="Forecaster">The forecaster settings; the horizon and seed are set per series and run.</param>
/// <param name="OutputDirectory">Where summary.json and mase.png go.</param>
internal sealed record ForecastBenchmarkSettings(BenchmarkSuite Suite, int[] Seeds, ForecastSettings Forecaster, string OutputDirectory);

/// <summary>
/// The yardstick of forecasting work: for every series of a benchmark and every seed, train the forecaster on everything but the
/// last <c>horizon</c> points, forecast them at once, and score MASE, sMAPE and MAPE next to seasonal naive (computed here) and the
/// published classical methods; summarise by the geometric mean of the per-series median MASE, the series lost to seasonal naive
/// and the worst spread over seeds.
/// </summary>
internal static class ForecastBenchmarkJob
{
    internal static readonly string[] OwnedFiles = { "summary.json", "mase.png" };

    private sealed class SeriesRow
    {
        public float Value { get; set; }
    }

    public static ForecastBenchmarkSummary Run(ForecastBenchmarkSettings s, IAnsiConsole console, CancellationToken cancellationToken)
    {
        string dir = Path.GetFullPath(s.OutputDirectory);
        using var output = OutputSet.Open(dir, OwnedFiles, ModelSizeEstimate.ReportBytes);
        var f = s.Forecaster;
        console.MarkupLine($"[bold]mlnet-rnn forecast-benchmark[/]: {Markup.Escape(s.Suite.Source)}, {s.Suite.Series.Count} series, seeds {string.Join(", ", s.Seeds)}; " +
                           $"{f.Cell}, hidden {f.Hidden}, {f.Layers} layer(s), window {(f.RequestedWindow is { } w ? w.ToString(CultureInfo.InvariantCulture) : "two seasons, at least 12")}, " +
                           $"{f.Members} member(s), reference {ForecasterModelOptions.ReferenceName(f.Reference)}, up to {f.Epochs} epochs; {LinearPartSetting(f)}.");
        var clock = Stopwatch.StartNew();
        var rows = new List<SeriesResult>();
        double trainSeconds = 0;
        foreach (var series in s.Suite.Series)
        {
            cancellationToken.ThrowIfCancellationRequested();
            float[] train = series.Training, actual = series.Actual;
            var fs = (f with { Horizon = series.Horizon, Checkpoint = CheckpointSettings.None }).Resolve(series.Season, train.Length);
            if (train.Length < fs.LinearWindow + series.Horizon)
                throw new ArgumentException($"Series '{series.Name}' has {train.Length} training values, fewer than window + horizon = {fs.LinearWindow + series.Horizon}. Use a smaller --window or --linear-window.");
            if (fs.UsesSeasonalReference && fs.Window < series.Season)
                throw new ArgumentException($"Series '{series.Name}' has season {series.Season}, longer than --window {fs.Window}; the seasonal-naive reference needs a window of at least one season.");
            bool log = f.LogTransform && train.All(v => v > 0);
            bool anyZero = actual.Any(v => v == 0);
            var mases = new List<double>();
            var smapes = new List<double>();
            var mapes = new List<double>();
            var forecasts = new List<float[]>();
            var coverages = new List<double>();
            var pinballs = new List<double>();
            var widened = new Dictionary<double, List<double>>();
            var seriesClock = Stopwatch.StartNew();
            foreach (int seed in s.Seeds)
            {
                var (forecast, interval, scaler) = Forecast(train, fs with { Seed = seed }, log, cancellationToken);
                if (interval is not null)
                {
                    // How coverage would move if the band were widened further (in the model's scaled space): the figure a widening is chosen by.
                    foreach (double factor in WideningFactors)
                    {
                        var lower = interval.Lower.Zip(interval.Forecast, (l, p) => scaler.Inverse(scaler.Transform(p) + (float)factor * (scaler.Transform(l) - scaler.Transform(p)))).ToArray();
                        var upper = interval.Upper.Zip(interval.Forecast, (u, p) => scaler.Inverse(scaler.Transform(p) + (float)factor * (scaler.Transform(u) - scaler.Transform(p)))).ToArray();
                        (widened.TryGetValue(factor, out var list) ? list : widened[factor] = new List<double>()).Add(ForecastMetrics.IntervalCoverage(lower, upper, actual));
                    }
                    coverages.Add(ForecastMetrics.IntervalCoverage(interval.Lower, interval.Upper, actual));
                    pinballs.Add(ForecastMetrics.ScaledPinballLoss(interval.Lower, interval.Forecast, interval.Upper, actual, interval.Coverage, train, series.Season));
                }
                forecasts.Add(forecast);
                var metrics = ForecastMetrics.Compute(forecast, actual, series.Horizon);
                mases.Add(ForecastMetrics.MeanAbsoluteScaledError(forecast, actual, train, series.Season));
                smapes.Add(metrics.Smape);
                mapes.Add(metrics.Mape);
            }
            double seconds = seriesClock.Elapsed.TotalSeconds;
            trainSeconds += seconds;
            float[] naive = ForecastMetrics.SeasonalNaive(train, series.Horizon, series.Season);
            var naiveMetrics = ForecastMetrics.Compute(naive, actual, series.Horizon);
            double naiveMase = ForecastMetrics.MeanAbsoluteScaledError(naive, actual, train, series.Season);
            double median = Median(mases);
            var row = new SeriesResult
            {
                Name = series.Name,
                Length = series.Values.Length,
                Season = series.Season,
                Horizon = series.Horizon,
                MasePerSeed = mases.ToArray(),
                Mase = median,
                ForecastPerSeed = forecasts.ToArray(),
                Actual = actual,
                Smape = Median(smapes),
                Mape = anyZero ? null : Median(mapes),
                SeasonalNaiveMase = naiveMase,
                SeasonalNaiveSmape = naiveMetrics.Smape,
                SeasonalNaiveMape = anyZero ? null : naiveMetrics.Mape,
                LostToNaive = median > naiveMase,
                SeedSpread = mases.Max() / Math.Max(mases.Min(), double.Epsilon),
                TrainSeconds = Math.Round(seconds, 2),
                IntervalCoverage = coverages.Count > 0 ? coverages.Average() : null,
                CoverageIfWidened = widened.ToDictionary(kv => kv.Key.ToString(CultureInfo.InvariantCulture), kv => kv.Value.Average()),
                ScaledPinballLoss = pinballs.Count > 0 ? Median(pinballs) : null,
                BaselinesMase = s.Suite.Baselines.Where(b => b.Series == series.Name && b.Mase is not null).ToDictionary(b => b.Method, b => b.Mase!.Value),
            };
            rows.Add(row);
            string coverageText = row.IntervalCoverage is { } c ? string.Create(CultureInfo.InvariantCulture, $"; interval coverage {c:P0}") : "";
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"  {Markup.Escape(series.Name),-16} MASE {row.Mase:F3} (seeds {string.Join(" ", mases.Select(m => m.ToString("F3", CultureInfo.InvariantCulture)))}) " +
                $"vs seasonal naive {naiveMase:F3}{(row.LostToNaive ? " [red]lost[/]" : "")}{coverageText}; {seconds:F0} s"));
        }

        var worst = rows.MaxBy(r => r.SeedSpread)!;
        var methods = s.Suite.Baselines.Select(b => b.Method).Distinct().ToArray();
        var baselineGmeans = methods
            .Where(m => rows.All(r => r.BaselinesMase.ContainsKey(m)))
            .ToDictionary(m => m, m => GeometricMean(rows.Select(r => r.BaselinesMase[m])));
        var summary = new ForecastBenchmarkSummary
        {
            Benchmark = s.Suite.Source,
            Seeds = s.Seeds,
            Settings = new Dictionary<string, string>
            {
                ["cell"] = f.Cell.ToString(), ["hidden"] = Invariant(f.Hidden), ["layers"] = Invariant(f.Layers), ["window"] = f.RequestedWindow is { } rw ? Invariant(rw) : "auto", ["linear_window"] = f.RequestedLinearWindow is { } rl ? Invariant(rl) : "auto", ["members"] = Invariant(f.Members),
                ["reference"] = ForecasterModelOptions.ReferenceName(f.Reference), ["loss"] = f.Loss == ForecastLoss.AbsoluteError ? "mae" : "mse", ["interval"] = f.Interval.ToString(CultureInfo.InvariantCulture),
                ["epochs"] = Invariant(f.Epochs), ["log_transform_when_positive"] = f.LogTransform ? "true" : "false", ["refit"] = f.Refit ? "true" : "false", ["shrink"] = f.Shrink ? "true" : "false",
                ["linear_share"] = f.LinearShare.ToString(CultureInfo.InvariantCulture),
            },
            GmeanMase = GeometricMean(rows.Select(r => r.Mase)),
            GmeanMaseSeasonalNaive = GeometricMean(rows.Select(r => r.SeasonalNaiveMase)),
            SeriesLostToNaive = rows.Count(r => r.LostToNaive),
            WorstSeedSpread = worst.SeedSpread,
            WorstSeedSpreadSeries = worst.Name,
            BaselinesGmeanMase = baselineGmeans,
            TrainSeconds = Math.Round(trainSeconds, 1),
            IntervalNominalCoverage = f.Interval > 0 ? f.Interval : null,
            // Every series has the same horizon weight per seed here: the plain mean of per-series means is the share of all values.
            IntervalCoverage = rows.All(r => r.IntervalCoverage is not null) && rows.Count > 0
                ? rows.Sum(r => r.IntervalCoverage!.Value * r.Horizon) / rows.Sum(r => r.Horizon)
                : null,
            CoverageIfWidened = rows.Count > 0 && rows.All(r => r.CoverageIfWidened.Count > 0)
                ? rows[0].CoverageIfWidened.Keys.ToDictionary(k => k, k => rows.Sum(r => r.CoverageIfWidened[k] * r.Horizon) / rows.Sum(r => r.Horizon))
                : new Dictionary<string, double>(),
            GmeanScaledPinballLoss = rows.All(r => r.ScaledPinballLoss is not null) && rows.Count > 0 ? GeometricMean(rows.Select(r => r.ScaledPinballLoss!.Value)) : null,
            WallSeconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
            Series = rows.ToArray(),
        };

        output.Add("mase.png", ForecastBenchmarkPlot.Render(summary));
        output.AddText("summary.json", JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
        output.Commit();

        var table = new Table().AddColumn("method").AddColumn(new TableColumn("gmean MASE").RightAligned());
        table.AddRow("ours (median of seeds)", summary.GmeanMase.ToString("F3", CultureInfo.InvariantCulture));
        table.AddRow("seasonal naive (here)", summary.GmeanMaseSeasonalNaive.ToString("F3", CultureInfo.InvariantCulture));
        foreach (var (method, value) in baselineGmeans.OrderBy(kv => kv.Value))
            table.AddRow($"{Markup.Escape(method)} (published)", value.ToString("F3", CultureInfo.InvariantCulture));
        console.Write(table);
        if (summary.IntervalCoverage is { } coverage)
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"{f.Interval:P0} interval: {coverage:P1} of the hold-out values inside; gmean scaled pinball loss {summary.GmeanScaledPinballLoss:F3}."));
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"Lost to seasonal naive on {summary.SeriesLostToNaive} of {rows.Count} series; worst seed spread {summary.WorstSeedSpread:F2} ({Markup.Escape(summary.WorstSeedSpreadSeries)}); {summary.WallSeconds:F0} s."));
        console.MarkupLine($"Wrote [green]{Markup.Escape(dir)}[/]: summary.json, mase.png");
        return summary;
    }

    // Factors for the coverage_if_widened diagnostic.
    private static readonly double[] WideningFactors = { 1.25, 1.5, 2, 2.5, 3 };

    /// <summary>Trains on <paramref name="train"/> with the forecast command's settings and forecasts the next horizon values.</summary>
    private static (float[] Forecast, IntervalForecast? Interval, SeriesScaler Scaler) Forecast(float[] train, ForecastSettings f, bool log, CancellationToken cancellationToken)
    {
        var mlContext = new MLContext(seed: f.Seed);
        var data = mlContext.Data.LoadFromEnumerable(train.Select(v => new SeriesRow { Value = v }));
        using var model = mlContext.Rnn().Forecaster(f.CreateOptions(nameof(SeriesRow.Value), log, cancellationToken)).Fit(data);
        if (model.IntervalCoverage is null)
            return (model.Forecast(train), null, model.Scaler);
        var interval = model.ForecastWithInterval(train);
        return (interval.Forecast, interval, model.Scaler);
    }

    internal static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    internal static double GeometricMean(IEnumerable<double> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? double.NaN : Math.Exp(list.Average(v => Math.Log(v)));
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The linear part's share and window as the header states them.</summary>
    private static string LinearPartSetting(ForecastSettings f)
    {
        if (f.LinearShare == 0)
            return "no linear part";
        string window = f.RequestedLinearWindow is { } requested ? requested.ToString(CultureInfo.InvariantCulture) : "twice the window";
        return string.Create(CultureInfo.InvariantCulture, $"linear part share {f.LinearShare:0.###} over {window}");
    }
}
