using System.Text.Json;
using MlNetRnn.Cli;
using Xunit;

namespace MlNetRnn.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class CliForecastBenchmarkTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("mlnetrnn-fbench-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>
    /// The seasonal-naive forecast computed here scores exactly what R's forecast package reports for <c>snaive</c> on every
    /// embedded series (MASE, sMAPE, MAPE as r-baselines.csv rounds them): an independent check of the metrics and the protocol.
    /// </summary>
    [Fact]
    public void InProcessSeasonalNaiveMatchesRsScoresOnAllFourteenSeries()
    {
        var suite = BenchmarkSuite.Embedded();
        Assert.Equal(14, suite.Series.Count);
        foreach (var series in suite.Series)
        {
            var r = suite.Baselines.Single(b => b.Series == series.Name && b.Method == "snaive");
            float[] naive = ForecastMetrics.SeasonalNaive(series.Training, series.Horizon, series.Season);
            var metrics = ForecastMetrics.Compute(naive, series.Actual, series.Horizon);
            double mase = ForecastMetrics.MeanAbsoluteScaledError(naive, series.Actual, series.Training, series.Season);
            // R's figures are rounded to 4 decimals (±5e-5); the series are read as float32 (about 6e-8 relative per value), which moves
            // a MASE built from small differences of large levels (LakeHuron: ~580 ± 1) by up to ~1e-4 relative.
            static bool Close(double r, double ours) => Math.Abs(r - ours) <= 5e-5 + 1e-4 * Math.Abs(r);
            Assert.True(Close(r.Mase!.Value, mase), $"{series.Name}: MASE {mase} vs R {r.Mase}");
            Assert.True(Close(r.Smape!.Value, metrics.Smape), $"{series.Name}: sMAPE {metrics.Smape} vs R {r.Smape}");
            if (r.Mape is { } mape)
                Assert.True(Close(mape, metrics.Mape), $"{series.Name}: MAPE {metrics.Mape} vs R {mape}");
        }
    }

    [Fact]
    public async Task RunsEverySeriesAndSeedAndWritesTheSummaryAndPlot()
    {
        string data = WriteSuite();
        string output = Path.Combine(_root, "out");
        int exit = await Program.Main(new[] { "forecast-benchmark", "--data", data, "--seeds", "2", "--epochs", "3", "--hidden", "4", "--window", "8", "--members", "2", "--output", output });
        Assert.Equal(0, exit);
        Assert.True(new FileInfo(Path.Combine(output, "mase.png")).Length > 1000);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        var root = json.RootElement;
        var rows = root.GetProperty("series").EnumerateArray().ToArray();
        Assert.Equal(new[] { "seasonal", "trend" }, rows.Select(r => r.GetProperty("name").GetString()));
        var medians = new List<double>();
        foreach (var row in rows)
        {
            var perSeed = row.GetProperty("mase_per_seed").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal(2, perSeed.Length);
            Assert.Equal((perSeed[0] + perSeed[1]) / 2, row.GetProperty("mase").GetDouble(), 12);
            Assert.Equal(perSeed.Max() / perSeed.Min(), row.GetProperty("seed_spread").GetDouble(), 12);
            // The forecasts written per seed are the ones scored: both seeds share the MASE scale, so their MASE ratio is their MAE ratio.
            float[] actual = row.GetProperty("actual").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            var forecasts = row.GetProperty("forecast_per_seed").EnumerateArray().Select(f => f.EnumerateArray().Select(e => e.GetSingle()).ToArray()).ToArray();
            Assert.Equal(row.GetProperty("horizon").GetInt32(), actual.Length);
            Assert.Equal(2, forecasts.Length);
            Assert.All(forecasts, f => Assert.Equal(actual.Length, f.Length));
            double Mae(float[] f) => f.Zip(actual, (p, a) => Math.Abs((double)p - a)).Average();
            Assert.Equal(perSeed[0] / perSeed[1], Mae(forecasts[0]) / Mae(forecasts[1]), 5);
            Assert.Equal(row.GetProperty("mase").GetDouble() > row.GetProperty("seasonal_naive_mase").GetDouble(), row.GetProperty("lost_to_naive").GetBoolean());
            medians.Add(row.GetProperty("mase").GetDouble());
        }
        Assert.Equal(Math.Sqrt(medians[0] * medians[1]), root.GetProperty("gmean_mase").GetDouble(), 10);
        Assert.Equal(rows.Count(r => r.GetProperty("lost_to_naive").GetBoolean()), root.GetProperty("series_lost_to_naive").GetInt32());
        Assert.Equal(rows.Max(r => r.GetProperty("seed_spread").GetDouble()), root.GetProperty("worst_seed_spread").GetDouble());
        // The trend series is a straight line: seasonal naive (lag 1) is off by one step per horizon step, MASE = mean(1..h) = 2.
        var trend = rows.Single(r => r.GetProperty("name").GetString() == "trend");
        Assert.Equal(2.0, trend.GetProperty("seasonal_naive_mase").GetDouble(), 5);
        Assert.Equal(2.5, root.GetProperty("baselines_gmean_mase").GetProperty("ets").GetDouble(), 10);
        // The default 80% interval: coverage per series is a share of hold-out values, and the total weighs series by their horizon.
        Assert.Equal(0.8, root.GetProperty("interval_nominal_coverage").GetDouble());
        var coverages = rows.Select(r => r.GetProperty("interval_coverage").GetDouble()).ToArray();
        Assert.All(coverages, c => Assert.InRange(c, 0, 1));
        Assert.Equal((coverages[0] * 4 + coverages[1] * 3) / 7, root.GetProperty("interval_coverage").GetDouble(), 10);
        Assert.True(root.GetProperty("gmean_scaled_pinball_loss").GetDouble() > 0);
    }

    [Fact]
    public async Task TheValidationOriginScoresTheHorizonBeforeTheHoldOutWithoutBaselines()
    {
        string data = WriteSuite();
        string output = Path.Combine(_root, "validation");
        int exit = await Program.Main(new[] { "forecast-benchmark", "--data", data, "--seeds", "1", "--epochs", "2", "--hidden", "4", "--members", "1", "--validation-origin", "--output", output });
        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        var root = json.RootElement;
        var full = BenchmarkSuite.Load(data);
        // Each series loses its hold-out: the scored part is the horizon before it, and the published (hold-out) scores do not apply.
        Assert.Equal(full.Series.Select(x => x.Values.Length - x.Horizon), root.GetProperty("series").EnumerateArray().Select(r => r.GetProperty("length").GetInt32()));
        Assert.Empty(root.GetProperty("baselines_gmean_mase").EnumerateObject());
        Assert.Contains("validation origin", root.GetProperty("benchmark").GetString());
    }

    [Fact]
    public async Task TheLinearShareIsPassedOnAndOneOutsideZeroToBelowOneIsRefused()
    {
        string data = WriteSuite();
        int refused = await Program.Main(new[] { "forecast-benchmark", "--data", data, "--linear-share", "1", "--output", Path.Combine(_root, "refused") });
        Assert.NotEqual(0, refused);
        Assert.False(Directory.Exists(Path.Combine(_root, "refused")));

        // Share 0 and 0.9 train the same networks (same seed); only the blend with the linear part differs.
        async Task<double[]> Mases(string share, string header)
        {
            string output = Path.Combine(_root, "share" + share);
            var previous = Spectre.Console.AnsiConsole.Console;
            var captured = new StringWriter();
            Spectre.Console.AnsiConsole.Console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(captured) });
            try
            {
                int exit = await Program.Main(new[] { "forecast-benchmark", "--data", data, "--seeds", "1", "--epochs", "2", "--hidden", "4", "--members", "1", "--linear-share", share, "--output", output });
                Assert.Equal(0, exit);
            }
            finally
            {
                Spectre.Console.AnsiConsole.Console = previous;
            }
            Assert.Contains(header, captured.ToString().Replace("\n", " ", StringComparison.Ordinal), StringComparison.Ordinal);
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
            Assert.Equal(share, json.RootElement.GetProperty("settings").GetProperty("linear_share").GetString());
            Assert.Equal("auto", json.RootElement.GetProperty("settings").GetProperty("linear_window").GetString());
            return json.RootElement.GetProperty("series").EnumerateArray().Select(r => r.GetProperty("mase").GetDouble()).ToArray();
        }
        Assert.NotEqual(await Mases("0", "no linear part"), await Mases("0.9", "linear part share 0.9 over twice the window"));
    }

    [Fact]
    public async Task ASpecNamingAMissingFileAndAnUnknownSeriesAreClearErrors()
    {
        string data = WriteSuite();
        File.AppendAllText(Path.Combine(data, "spec.csv"), "missing,1,4\n");
        var ex = Assert.Throws<FileNotFoundException>(() => BenchmarkSuite.Load(data));
        Assert.Contains("names the series 'missing', but there is no missing.csv beside it", ex.Message);
        Assert.Equal(1, await Program.Main(new[] { "forecast-benchmark", "--data", data, "--output", Path.Combine(_root, "o") }));

        string good = WriteSuite("good");
        var unknown = Assert.Throws<ArgumentException>(() => BenchmarkSuite.Load(good).Only(new[] { "nope" }));
        Assert.Contains("'nope'", unknown.Message);
    }

    private string WriteSuite(string name = "suite")
    {
        string dir = Path.Combine(_root, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "spec.csv"), "name,season,horizon\nseasonal,4,4\ntrend,1,3\n");
        File.WriteAllLines(Path.Combine(dir, "seasonal.csv"),
            new[] { "value" }.Concat(Enumerable.Range(0, 48).Select(i => (10 + 3 * Math.Sin(i * Math.PI / 2) + i * 0.1).ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
        File.WriteAllLines(Path.Combine(dir, "trend.csv"), new[] { "value" }.Concat(Enumerable.Range(1, 40).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        File.WriteAllText(Path.Combine(dir, "r-baselines.csv"), "series,method,mape,rmse,mase,smape\nseasonal,ets,1,1,2.5,1\ntrend,ets,1,1,2.5,1\n");
        return dir;
    }
}
