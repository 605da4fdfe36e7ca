using System.Text.Json;
using Spectre.Console;
using Xunit;

namespace MlNetRnn.Tests.Cli;

/// <summary>Smoke runs of <c>mlnet-rnn forecast</c> through its real entry point, with a small epoch count.</summary>
[Collection(CliCollection.Name)]
public sealed class CliForecastTests
{
    private static readonly string[] s_summaryKeys =
    {
        "task", "cell", "mape", "rmse", "seasonal_naive_mape", "forecast", "actual", "parity_max_abs_diff", "epochs_run", "best_epoch", "train_seconds", "device",
    };

    [Fact]
    public async Task ForecastWithDefaultsWritesModelPlotAndSummary()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-cli").FullName;
        try
        {
            int exit = await Program.Main(new[] { "forecast", "--epochs", "3", "--hidden", "8", "--linear-share", "0.25", "--output", dir });

            Assert.Equal(0, exit);
            foreach (var file in new[] { "model.onnx", "model.zip", "forecast.png", "summary.json" })
                Assert.True(new FileInfo(Path.Combine(dir, file)).Length > 0, file);
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            var root = summary.RootElement;
            foreach (var key in s_summaryKeys)
                Assert.True(root.TryGetProperty(key, out _), $"summary.json lacks '{key}'");
            Assert.Equal("forecasting", root.GetProperty("task").GetString());
            Assert.Equal(12, root.GetProperty("forecast").GetArrayLength());
            Assert.Equal(432f, root.GetProperty("actual")[11].GetSingle()); // December 1960, from the embedded data
            Assert.Equal(9.99, root.GetProperty("seasonal_naive_mape").GetDouble(), 2);
            Assert.Equal(3, root.GetProperty("epochs_run").GetInt32());
            Assert.InRange(root.GetProperty("parity_max_abs_diff").GetDouble(), 0, 0.1);
            Assert.Equal("cpu", root.GetProperty("device").GetString());
            // The share asked for is the one in the summary and in the model's graph.
            Assert.Equal(0.25, root.GetProperty("linear_share").GetDouble());
            var forecasting = OnnxModelImporter.ImportFile(Path.Combine(dir, "model.onnx")).Forecasting!;
            Assert.Equal(0.25f, forecasting.LinearShare);
            // 132 training months, season 12: the networks read two seasons, the linear part (the model's input) twice that.
            Assert.Equal(24, root.GetProperty("window").GetInt32());
            Assert.Equal(48, root.GetProperty("linear_window").GetInt32());
            Assert.Equal(48, forecasting.Window);
            Assert.Equal(24, forecasting.NetworkWindow);
            var png = File.ReadAllBytes(Path.Combine(dir, "forecast.png"));
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task DefaultForecasterBeatsSeasonalNaiveOnAirPassengers1960()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-cli").FullName;
        try
        {
            // The full default configuration (seed 1), exactly what `mlnet-rnn forecast` runs.
            int exit = await Program.Main(new[] { "forecast", "--output", dir });

            Assert.Equal(0, exit);
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            double mape = summary.RootElement.GetProperty("mape").GetDouble();
            double naive = summary.RootElement.GetProperty("seasonal_naive_mape").GetDouble();
            Assert.True(mape < naive, $"MAPE {mape:F2}% does not beat seasonal naive {naive:F2}%");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task ForecastOnAUserCsvWithAnotherCellAndTopology()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-cli").FullName;
        try
        {
            string csv = Path.Combine(AppContext.BaseDirectory, "data", "nottem.csv");
            int exit = await Program.Main(new[]
            {
                "forecast", "--data", csv, "--column", "value", "--cell", "gru", "--layers", "2", "--bidirectional",
                "--hidden", "6", "--window", "12", "--horizon", "6", "--epochs", "2", "--no-log", "--output", dir,
            });

            Assert.Equal(0, exit);
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            Assert.Equal("Gru", summary.RootElement.GetProperty("cell").GetString());
            Assert.Equal(6, summary.RootElement.GetProperty("forecast").GetArrayLength());
            Assert.True(summary.RootElement.GetProperty("bidirectional").GetBoolean());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("lstm", 1, false)]
    [InlineData("gru", 2, true)]
    [InlineData("rnn-tanh", 3, false)]
    [InlineData("rnn-relu", 4, true)]
    public async Task EveryCellAndDepthExportsAModelThatPassesParityAndImportsBack(string cell, int layers, bool bidirectional)
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-cli").FullName;
        try
        {
            var args = new List<string> { "forecast", "--cell", cell, "--layers", layers.ToString(System.Globalization.CultureInfo.InvariantCulture), "--hidden", "4",
                "--epochs", "1", "--no-refit", "--output", dir };
            if (bidirectional)
                args.Add("--bidirectional");

            int exit = await Program.Main(args.ToArray());

            Assert.Equal(0, exit);
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            var root = summary.RootElement;
            Assert.Equal(layers, root.GetProperty("layers").GetInt32());
            Assert.Equal(bidirectional, root.GetProperty("bidirectional").GetBoolean());
            Assert.InRange(root.GetProperty("parity_max_abs_diff").GetDouble(), 0, 1e-2);
            var imported = OnnxModelImporter.ImportFile(Path.Combine(dir, "model.onnx"));
            Assert.Equal(layers, imported.Architecture.NumLayers);
            Assert.Equal(bidirectional, imported.Architecture.Bidirectional);
            Assert.Equal(cell.ToUpperInvariant().Replace('-', '_'), imported.Architecture.CellMetadataName);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task AutoDeviceRunsOnTheCpuHereAndSaysWhy()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-cli").FullName;
        var previous = AnsiConsole.Console;
        var captured = new StringWriter();
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(captured) });
        try
        {
            int exit = await Program.Main(new[] { "forecast", "--device", "auto", "--epochs", "1", "--hidden", "4", "--no-refit", "--output", dir });

            Assert.Equal(0, exit);
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            var root = summary.RootElement;
            Assert.Equal("auto", root.GetProperty("requested_device").GetString());
            Assert.Equal("cpu", root.GetProperty("device").GetString());
            Assert.Contains(root.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("inference runs on the CPU", StringComparison.Ordinal));
            string console = captured.ToString();
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(console, "inference runs on the CPU"));
        }
        finally
        {
            AnsiConsole.Console = previous;
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task ALinearWindowShorterThanTheWindowIsRefusedAndAnExplicitOneIsUsed()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"mlnetrnn-cli-{Guid.NewGuid():N}");
        var previous = AnsiConsole.Console;
        var captured = new StringWriter();
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(captured) });
        try
        {
            int exit = await Program.Main(new[] { "forecast", "--window", "24", "--linear-window", "12", "--epochs", "1", "--output", dir });
            Assert.Equal(1, exit);
            Assert.Contains("--linear-window 12 is shorter than the networks' window (24)", captured.ToString().Replace("\n", " ", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.False(Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any());

            exit = await Program.Main(new[] { "forecast", "--window", "12", "--linear-window", "36", "--epochs", "1", "--hidden", "4", "--members", "1", "--output", dir });
            Assert.Equal(0, exit);
            var forecasting = OnnxModelImporter.ImportFile(Path.Combine(dir, "model.onnx")).Forecasting!;
            Assert.Equal(36, forecasting.Window);
            Assert.Equal(12, forecasting.NetworkWindow);
        }
        finally
        {
            AnsiConsole.Console = previous;
            if (Directory.Exists(dir))
                Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task CudaDeviceWithoutCudaFailsWithExitCodeOneNamingThePackage()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"mlnetrnn-cli-{Guid.NewGuid():N}");
        var previous = AnsiConsole.Console;
        var captured = new StringWriter();
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(captured) });
        try
        {
            int exit = await Program.Main(new[] { "forecast", "--device", "cuda", "--epochs", "1", "--output", dir });

            Assert.Equal(1, exit);
            Assert.Contains("TorchSharp-cuda", captured.ToString().Replace("\n", " ", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.False(Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any());
        }
        finally
        {
            AnsiConsole.Console = previous;
        }
    }

    [Fact]
    public async Task MissingDataFileFailsWithExitCodeOneAndWritesNothing()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"mlnetrnn-cli-{Guid.NewGuid():N}");

        int exit = await Program.Main(new[] { "forecast", "--data", "/nonexistent/series.csv", "--output", dir });

        Assert.Equal(1, exit);
        Assert.False(Directory.Exists(dir));
    }

    [Theory]
    [InlineData("--horizon", "0")]
    [InlineData("--horizon", "-3")]
    [InlineData("--window", "0")]
    [InlineData("--hidden", "0")]
    [InlineData("--epochs", "0")]
    [InlineData("--device", "bogus")]
    [InlineData("--cell", "transformer")]
    [InlineData("--hidden", "abc")]
    [InlineData("--epochs", "1.5")]
    public async Task InvalidOptionValuesFailWithExitCodeOneAndAMessageNamingTheFlag(string option, string value)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"mlnetrnn-cli-{Guid.NewGuid():N}");
        var parse = Program.BuildRootCommand().Parse(new[] { "forecast", option, value, "--output", dir });

        int exit = await Program.Main(new[] { "forecast", option, value, "--output", dir });

        Assert.Equal(1, exit);
        Assert.False(Directory.Exists(dir));
        var error = Assert.Single(parse.Errors);
        Assert.Contains(value, error.Message);
        if (option is "--horizon" or "--window" or "--hidden" or "--epochs" or "--device")
            Assert.True(error.Message.Contains(option, StringComparison.Ordinal) || error.Message.Contains(value, StringComparison.Ordinal), error.Message);
    }

    [Fact]
    public async Task UnwritableOutputFolderFailsBeforeTraining()
    {
        if (!OperatingSystem.IsLinux())
            return; // /proc refuses new folders on Linux only
        var started = DateTime.UtcNow;

        int exit = await Program.Main(new[] { "forecast", "--output", "/proc/mlnetrnn-cannot-write-here" });

        Assert.Equal(1, exit);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30)); // no 300-epoch training first
    }

    [Fact]
    public async Task UnknownColumnFailsWithExitCodeOne()
    {
        int exit = await Program.Main(new[] { "forecast", "--column", "passengers", "--output", Path.Combine(Path.GetTempPath(), $"x{Guid.NewGuid():N}") });

        Assert.Equal(1, exit);
    }

    [Fact]
    public async Task BacktestFoldsEndAtTheHoldOutAndLandInTheSummary()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"mlnetrnn-bt-{Guid.NewGuid():N}");
        try
        {
            int exit = await Program.Main(new[] { "forecast", "--epochs", "3", "--hidden", "4", "--backtest", "2", "--backtest-step", "6", "--output", dir });
            Assert.Equal(0, exit);
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            var backtest = json.RootElement.GetProperty("backtest");
            var folds = backtest.GetProperty("folds").EnumerateArray().ToArray();
            Assert.Equal(new[] { 144 - 12 - 6, 144 - 12 }, folds.Select(f => f.GetProperty("train_length").GetInt32()));
            // The last fold forecasts the same hold-out the command reports.
            var actual = json.RootElement.GetProperty("actual").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.Equal(actual, folds[1].GetProperty("actual").EnumerateArray().Select(e => e.GetSingle()).ToArray());
            Assert.Equal(folds.Average(f => f.GetProperty("mase").GetDouble()), backtest.GetProperty("mean_mase").GetDouble(), 10);
        }
        finally
        {
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task ForecastFromASavedModelEqualsTheTrainedModelsForecastForZipAndOnnx()
    {
        string root = Path.Combine(Path.GetTempPath(), $"mlnetrnn-fm-{Guid.NewGuid():N}");
        try
        {
            string trained = Path.Combine(root, "trained");
            Assert.Equal(0, await Program.Main(new[] { "forecast", "--epochs", "3", "--hidden", "4", "--output", trained }));
            string data = Path.Combine(root, "new.csv");
            float[] series = TestData.AirPassengers();
            File.WriteAllLines(data, new[] { "value" }.Concat(series.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
            using var model = new Microsoft.ML.MLContext(1).Rnn().LoadForecaster(Path.Combine(trained, "model.zip"));
            float[] expected = model.Forecast(series);

            foreach (var file in new[] { "model.zip", "model.onnx" })
            {
                string output = Path.Combine(root, "from-" + file);
                Assert.Equal(0, await Program.Main(new[] { "forecast", "--model", Path.Combine(trained, file), "--data", data, "--output", output }));
                using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
                var forecast = json.RootElement.GetProperty("forecast").EnumerateArray().Select(e => e.GetSingle()).ToArray();
                Assert.Equal(expected, forecast);
                Assert.Equal(series[^model.Window..], json.RootElement.GetProperty("history_used").EnumerateArray().Select(e => e.GetSingle()).ToArray());
                var band = model.ForecastWithInterval(series);
                Assert.Equal(band.Lower, json.RootElement.GetProperty("lower").EnumerateArray().Select(e => e.GetSingle()).ToArray());
                Assert.Equal(band.Upper, json.RootElement.GetProperty("upper").EnumerateArray().Select(e => e.GetSingle()).ToArray());
                var lines = File.ReadAllLines(Path.Combine(output, "forecast.csv"));
                Assert.Equal(13, lines.Length);
                Assert.Equal("step,value,lower,upper", lines[0]);
            }

            // History shorter than the window, a model of another task, and a missing --data are clear errors (exit code 1).
            string shortData = Path.Combine(root, "short.csv");
            File.WriteAllLines(shortData, new[] { "value", "1", "2", "3" });
            Assert.Equal(1, await Program.Main(new[] { "forecast", "--model", Path.Combine(trained, "model.onnx"), "--data", shortData, "--output", Path.Combine(root, "x") }));
            Assert.Equal(1, await Program.Main(new[] { "forecast", "--model", Path.Combine(trained, "model.onnx"), "--output", Path.Combine(root, "y") }));
            Assert.Throws<ArgumentException>(() => ForecastFromModelJob.Run(new ForecastSettings { DataPath = shortData, OutputDirectory = Path.Combine(root, "z") },
                Path.Combine(trained, "model.onnx"), Spectre.Console.AnsiConsole.Console));
        }
        finally
        {
            if (Directory.Exists(root))
                Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void AModelOfAnotherTaskIsRefusedByForecastModel()
    {
        string root = Path.Combine(Path.GetTempPath(), $"mlnetrnn-fm2-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        try
        {
            var ml = new Microsoft.ML.MLContext(1);
            using var lm = ml.Rnn().LanguageModel(new LanguageModelOptions { HiddenSize = 4, EmbeddingSize = 4, NumberOfLayers = 1, SequenceLength = 5, Epochs = 1 })
                .Fit(string.Concat(Enumerable.Repeat("abc def ", 20)));
            string path = Path.Combine(root, "lm.onnx");
            lm.SaveOnnx(path);
            string data = Path.Combine(root, "d.csv");
            File.WriteAllLines(data, new[] { "value" }.Concat(Enumerable.Range(1, 30).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            var ex = Assert.Throws<InvalidDataException>(() => ForecastFromModelJob.Run(new ForecastSettings { DataPath = data, OutputDirectory = Path.Combine(root, "o") },
                path, Spectre.Console.AnsiConsole.Console));
            Assert.Contains("is not an MlNetRnn forecaster", ex.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("year,period,value\n1960,1,5\n1960,2,6\n1960,3,7\n1960,4,8\n1961,1,6\n", 4)]
    [InlineData("year,period,value\n1912,1,49.9\n1913,1,52.3\n1914,1,49.4\n", 1)]
    [InlineData("year,month,value\n1949,11,104\n1949,12,118\n1950,1,115\n", 12)]
    public void TheSeasonIsInferredFromThePeriodColumn(string csv, int season) =>
        Assert.Equal(season, SeriesCsv.Parse(csv, "test.csv", "value").InferredSeason);

    [Theory]
    [InlineData(null, 12, 200, 12, 24)] // two monthly seasons
    [InlineData(null, 4, 200, 8, 12)]   // at least 12
    [InlineData(null, 1, 200, 10, 12)]
    [InlineData(null, 12, 40, 12, 18)]  // two thirds of the 28 values left after the horizon
    [InlineData(7, 12, 200, 12, 7)]     // --window wins
    public void TheWindowIsTiedToTheSeasonUnlessGiven(int? requested, int season, int trainingLength, int horizon, int expected) =>
        Assert.Equal(expected, new ForecastSettings { RequestedWindow = requested, Horizon = horizon }.WindowFor(season, trainingLength));

    [Fact]
    public void WithoutAPeriodColumnNoSeasonIsInferred() =>
        Assert.Null(SeriesCsv.Parse("value\n1\n2\n3\n", "test.csv", "value").InferredSeason);

    [Fact]
    public async Task AQuarterlyFileGetsSeasonFourUnlessTheSeasonIsGiven()
    {
        string root = Path.Combine(Path.GetTempPath(), $"mlnetrnn-season-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        try
        {
            string data = Path.Combine(root, "quarterly.csv");
            File.WriteAllLines(data, new[] { "year,period,value" }.Concat(Enumerable.Range(0, 60).Select(i =>
                $"{1960 + i / 4},{i % 4 + 1},{(100 + 10 * (i % 4) + i).ToString(System.Globalization.CultureInfo.InvariantCulture)}")));
            foreach (var (args, expected, source) in new[] { (Array.Empty<string>(), 4, "period column"), (new[] { "--season", "2" }, 2, "given") })
            {
                string output = Path.Combine(root, $"out{expected}");
                Assert.Equal(0, await Program.Main(new[] { "forecast", "--data", data, "--horizon", "4", "--window", "8", "--epochs", "2", "--hidden", "4", "--output", output }.Concat(args).ToArray()));
                using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
                Assert.Equal(expected, json.RootElement.GetProperty("season").GetInt32());
                Assert.Equal(source, json.RootElement.GetProperty("season_source").GetString());
                // The seasonal-naive baseline repeats the value one season before each hold-out point.
                float[] values = Enumerable.Range(0, 60).Select(i => (float)(100 + 10 * (i % 4) + i)).ToArray();
                var naive = ForecastMetrics.SeasonalNaive(values[..56], 4, expected);
                var metrics = ForecastMetrics.Compute(naive, values[56..], 4);
                Assert.Equal(metrics.Mape, json.RootElement.GetProperty("seasonal_naive_mape").GetDouble(), 10);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}

/// <summary>CLI tests share the process-wide console; run them one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliCollection
{
    public const string Name = "CLI";
}
