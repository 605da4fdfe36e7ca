using System.CommandLine;
using Spectre.Console;

namespace MlNetRnn.Cli.Forecast;

/// <summary>Defines <c>mlnet-rnn forecast</c> and its options.</summary>
internal static class ForecastCommand
{
    public static Command Create()
    {
        var defaults = new ForecastSettings();
        var data = new Option<FileInfo?>("--data") { Description = "CSV file with a header row (default: embedded AirPassengers, 1949-1960)." };
        var column = new Option<string>("--column") { Description = "Column holding the series.", DefaultValueFactory = _ => defaults.Column };
        var cell = new Option<string>("--cell") { Description = "Recurrent cell: lstm, gru, rnn-tanh or rnn-relu.", DefaultValueFactory = _ => "lstm" };
        cell.AcceptOnlyFromAmong("lstm", "gru", "rnn-tanh", "rnn-relu");
        var hidden = new Option<int>("--hidden") { Description = "Hidden units per layer (1-4096).", DefaultValueFactory = _ => defaults.Hidden }.InRange(1, 4096);
        var layers = new Option<int>("--layers") { Description = "Stacked recurrent layers (1-16).", DefaultValueFactory = _ => defaults.Layers }.InRange(1, 16);
        var bidirectional = new Option<bool>("--bidirectional") { Description = "Read each window in both directions." };
        var window = new Option<int>("--window") { Description = "Past values per forecast (1-10000).", DefaultValueFactory = _ => defaults.Window }.InRange(1, 10000);
        var horizon = new Option<int>("--horizon") { Description = "Values forecast at once; also the hold-out length (1-1000).", DefaultValueFactory = _ => defaults.Horizon }.InRange(1, 1000);
        var season = new Option<int>("--season") { Description = "Season length of the seasonal-naive baseline.", DefaultValueFactory = _ => defaults.Season }.InRange(1, 100000);
        var epochs = new Option<int>("--epochs") { Description = "Maximum training epochs (early stopping may end sooner).", DefaultValueFactory = _ => defaults.Epochs }.InRange(1, 100000);
        var noLog = new Option<bool>("--no-log") { Description = "Do not log-transform the series (the log transform is used only when every value is > 0)." };
        var model = new Option<FileInfo?>("--model")
        {
            Description = "Forecast the next horizon values of --data with this saved forecaster (model.zip or model.onnx) instead of training one.",
        };
        var backtest = new Option<int>("--backtest")
        {
            Description = "Also run a rolling-origin backtest with N folds ending at the hold-out (each fold trains on the series before its origin only).",
        }.InRange(0, 1000);
        var backtestStep = new Option<int?>("--backtest-step") { Description = "Values between backtest origins (default: the horizon)." };
        var noRefit = new Option<bool>("--no-refit") { Description = "Keep the early-stopped weights instead of refitting on every window for the chosen epoch count." };
        var seed = new Option<int>("--seed") { Description = "Seed for initialisation, shuffling and dropout.", DefaultValueFactory = _ => defaults.Seed };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto (training and ONNX Runtime inference).", DefaultValueFactory = _ => "cpu" }.IsDevice();
        var output = new Option<DirectoryInfo>("--output") { Description = "Folder for model.onnx, model.zip, forecast.png and summary.json.", DefaultValueFactory = _ => new DirectoryInfo(defaults.OutputDirectory) };

        var command = new Command("forecast", "Train a recurrent forecaster on a series, evaluate it on the last --horizon points against seasonal naive, and export it.")
        {
            data, column, cell, hidden, layers, bidirectional, window, horizon, season, epochs, noLog, noRefit, backtest, backtestStep, model, seed, device, output,
        };
        var checkpoint = new CheckpointOptions();
        checkpoint.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => Task.FromResult(CommandRunner.Run(() =>
        {
            var settings = new ForecastSettings
            {
                DataPath = parseResult.GetValue(data)?.FullName,
                Column = parseResult.GetValue(column)!,
                Cell = ParseCell(parseResult.GetValue(cell)!),
                Hidden = parseResult.GetValue(hidden),
                Layers = parseResult.GetValue(layers),
                Bidirectional = parseResult.GetValue(bidirectional),
                Window = parseResult.GetValue(window),
                Horizon = parseResult.GetValue(horizon),
                Season = parseResult.GetValue(season),
                Epochs = parseResult.GetValue(epochs),
                LogTransform = !parseResult.GetValue(noLog),
                Refit = !parseResult.GetValue(noRefit),
                Backtest = parseResult.GetValue(backtest),
                BacktestStep = parseResult.GetValue(backtestStep),
                Seed = parseResult.GetValue(seed),
                Checkpoint = checkpoint.Read(parseResult),
                Device = ExecutionDevice.Parse(parseResult.GetValue(device)!),
                OutputDirectory = parseResult.GetValue(output)!.FullName,
            };
            if (parseResult.GetValue(model) is { } modelFile)
            {
                // Its own default folder: a forecast from a saved model must not replace half of a training run's files.
                if (parseResult.GetResult(output) is null or { Implicit: true })
                    settings = settings with { OutputDirectory = Path.GetFullPath(Path.Combine("out", "forecast-from-model")) };
                ForecastFromModelJob.Run(settings, modelFile.FullName, AnsiConsole.Console);
            }
            else
                ForecastJob.Run(settings, AnsiConsole.Console, cancellationToken);
        })));
        return command;
    }

    public static RecurrentCellKind ParseCell(string text) => text.ToLowerInvariant() switch
    {
        "lstm" => RecurrentCellKind.Lstm,
        "gru" => RecurrentCellKind.Gru,
        "rnn-tanh" => RecurrentCellKind.RnnTanh,
        "rnn-relu" => RecurrentCellKind.RnnRelu,
        _ => throw new ArgumentException($"Unknown cell '{text}'. Use lstm, gru, rnn-tanh or rnn-relu."),
    };
}
