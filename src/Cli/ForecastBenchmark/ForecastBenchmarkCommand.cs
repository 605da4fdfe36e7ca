using System.CommandLine;
using Spectre.Console;

namespace MlNetRnn.Cli.ForecastBenchmark;

/// <summary>Defines <c>mlnet-rnn forecast-benchmark</c> and its options.</summary>
internal static class ForecastBenchmarkCommand
{
    public static Command Create()
    {
        var defaults = new ForecastSettings();
        var data = new Option<DirectoryInfo?>("--data")
        {
            Description = "Folder with spec.csv (name,season,horizon), one NAME.csv per series (column 'value') and optionally r-baselines.csv " +
                          "(default: the embedded 14 classic series with R's ETS, ARIMA, Theta and Comb scores).",
        };
        var series = new Option<string?>("--series") { Description = "Comma-separated names of the series to run (default: all in spec.csv)." };
        var seeds = new Option<int>("--seeds") { Description = "Seeds per series, 1..K; the per-series figure is the median over them.", DefaultValueFactory = _ => 3 }.InRange(1, 100);
        var output = new Option<DirectoryInfo>("--output")
        {
            Description = "Folder for summary.json and mase.png.", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("out", "forecast-benchmark")),
        };
        var validation = new Option<bool>("--validation-origin")
        {
            Description = "Drop each series' hold-out and score the horizon before it instead: for choosing settings without looking at the reported figures.",
        };
        var command = new Command("forecast-benchmark",
            "Run the forecaster over every series of a benchmark for several seeds and score it (MASE, sMAPE, MAPE) next to seasonal naive and the classical methods.")
        {
            data, series, seeds, output, validation,
        };
        var forecaster = new ForecasterModelOptions(defaults);
        forecaster.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => Task.FromResult(CommandRunner.Run(() =>
        {
            var folder = parseResult.GetValue(data);
            var suite = folder is null ? BenchmarkSuite.Embedded() : BenchmarkSuite.Load(folder.FullName);
            if (parseResult.GetValue(validation))
                suite = suite.ValidationOrigin();
            var names = (parseResult.GetValue(series) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var settings = new ForecastBenchmarkSettings(
                suite.Only(names),
                Enumerable.Range(1, parseResult.GetValue(seeds)).ToArray(),
                forecaster.Apply(defaults, parseResult),
                parseResult.GetValue(output)!.FullName);
            ForecastBenchmarkJob.Run(settings, AnsiConsole.Console, cancellationToken);
        })));
        return command;
    }
}
