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
        var cell = new Option<string>("--cell") { Description = "Recurrent cell: lstm, gru, rnn-tanh or rnn-relu.", DefaultValueFactory = _ => "lstm" };
        cell.AcceptOnlyFromAmong("lstm", "gru", "rnn-tanh", "rnn-relu");
        var hidden = new Option<int>("--hidden") { Description = "Hidden units per layer (1-4096).", DefaultValueFactory = _ => defaults.Hidden }.InRange(1, 4096);
        var layers = new Option<int>("--layers") { Description = "Stacked recurrent layers (1-16).", DefaultValueFactory = _ => defaults.Layers }.InRange(1, 16);
        var window = new Option<int>("--window") { Description = "Past values per forecast (1-10000).", DefaultValueFactory = _ => defaults.Window }.InRange(1, 10000);
        var epochs = new Option<int>("--epochs") { Description = "Maximum training epochs (early stopping may end sooner).", DefaultValueFactory = _ => defaults.Epochs }.InRange(1, 100000);
        var noLog = new Option<bool>("--no-log") { Description = "Do not log-transform (by default a series is log-transformed when every training value is > 0)." };
        var noRefit = new Option<bool>("--no-refit") { Description = "Keep the early-stopped weights instead of refitting on every window." };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "cpu" }.IsDevice();
        var output = new Option<DirectoryInfo>("--output")
        {
            Description = "Folder for summary.json and mase.png.", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("out", "forecast-benchmark")),
        };
        var command = new Command("forecast-benchmark",
            "Run the forecaster over every series of a benchmark for several seeds and score it (MASE, sMAPE, MAPE) next to seasonal naive and the classical methods.")
        {
            data, series, seeds, cell, hidden, layers, window, epochs, noLog, noRefit, device, output,
        };
        command.SetAction((parseResult, cancellationToken) => Task.FromResult(CommandRunner.Run(() =>
        {
            var folder = parseResult.GetValue(data);
            var suite = folder is null ? BenchmarkSuite.Embedded() : BenchmarkSuite.Load(folder.FullName);
            var names = (parseResult.GetValue(series) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var settings = new ForecastBenchmarkSettings(
                suite.Only(names),
                Enumerable.Range(1, parseResult.GetValue(seeds)).ToArray(),
                defaults with
                {
                    Cell = ForecastCommand.ParseCell(parseResult.GetValue(cell)!),
                    Hidden = parseResult.GetValue(hidden),
                    Layers = parseResult.GetValue(layers),
                    Window = parseResult.GetValue(window),
                    Epochs = parseResult.GetValue(epochs),
                    LogTransform = !parseResult.GetValue(noLog),
                    Refit = !parseResult.GetValue(noRefit),
                    Device = ExecutionDevice.Parse(parseResult.GetValue(device)!),
                },
                parseResult.GetValue(output)!.FullName);
            ForecastBenchmarkJob.Run(settings, AnsiConsole.Console, cancellationToken);
        })));
        return command;
    }
}
