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
        var horizon = new Option<int>("--horizon") { Description = "Values forecast at once; also the hold-out length (1-1000).", DefaultValueFactory = _ => defaults.Horizon }.InRange(1, 1000);
        var season = new Option<int?>("--season")
        {
            Description = "Season length of the seasonal-naive baseline and the backtest's MASE (default: from the file's period column, 12 for months, " +
                          "4 for quarters, 1 for years; 12 when the file has none).",
        };
        season.Validators.Add(result =>
        {
            if (result.GetValue(season) is < 1 or > 100000)
                result.AddError("--season must be between 1 and 100000.");
        });
        var model = new Option<FileInfo?>("--model")
        {
            Description = "Forecast the next horizon values of --data with this saved forecaster (model.zip or model.onnx) instead of training one.",
        };
        var backtest = new Option<int>("--backtest")
        {
            Description = "Also run a rolling-origin backtest with N folds ending at the hold-out (each fold trains on the series before its origin only).",
        }.InRange(0, 1000);
        var backtestStep = new Option<int?>("--backtest-step") { Description = "Values between backtest origins (default: the horizon)." };
        var seed = new Option<int>("--seed") { Description = "Seed for initialisation, shuffling and dropout.", DefaultValueFactory = _ => defaults.Seed };
        var output = new Option<DirectoryInfo>("--output") { Description = "Folder for model.onnx, model.zip, forecast.png and summary.json.", DefaultValueFactory = _ => new DirectoryInfo(defaults.OutputDirectory) };

        var command = new Command("forecast", "Train a recurrent forecaster on a series, evaluate it on the last --horizon points against seasonal naive, and export it.")
        {
            data, column, horizon, season, backtest, backtestStep, model, seed, output,
        };
        var forecaster = new ForecasterModelOptions(defaults);
        forecaster.AddTo(command);
        var checkpoint = new CheckpointOptions();
        checkpoint.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => Task.FromResult(CommandRunner.Run(() =>
        {
            var settings = forecaster.Apply(new ForecastSettings(), parseResult) with
            {
                DataPath = parseResult.GetValue(data)?.FullName,
                Column = parseResult.GetValue(column)!,
                Horizon = parseResult.GetValue(horizon),
                Season = parseResult.GetValue(season),
                Backtest = parseResult.GetValue(backtest),
                BacktestStep = parseResult.GetValue(backtestStep),
                Seed = parseResult.GetValue(seed),
                Checkpoint = checkpoint.Read(parseResult),
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
