using System.CommandLine;
using Spectre.Console;

namespace MlNetRnn.Cli.Predict;

/// <summary>Defines <c>mlnet-rnn predict</c> and its options.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var d = new PredictSettings();
        var model = new Option<FileInfo>("--model")
        {
            Description = "A model.zip or model.onnx written by forecast, classify or generate (or the library); its task is read from the model.",
            Required = true,
        };
        var data = new Option<FileInfo>("--data")
        {
            Description = "Forecaster: a series CSV (the last window values are the history). Classifier: a CSV/TSV with a header and a text column. " +
                          "Language model: a UTF-8 text file, one text per line.",
            Required = true,
        };
        var column = new Option<string?>("--column") { Description = "Column to read: the series (default 'value') or the texts (default 'text')." };
        var batch = new Option<int>("--batch-size") { Description = "Texts scored per ONNX Runtime call (1-65536).", DefaultValueFactory = _ => d.BatchSize }.InRange(1, 65536);
        var output = new Option<DirectoryInfo>("--output")
        {
            Description = "Folder for the predictions (forecast.csv, predictions.csv or losses.csv) and summary.json.",
            DefaultValueFactory = _ => new DirectoryInfo(d.OutputDirectory),
        };
        var command = new Command("predict", "Score new data with a saved model (forecaster, text classifier or language model) without training.")
        {
            model, data, column, batch, output,
        };
        command.SetAction((parseResult, _) => Task.FromResult(CommandRunner.Run(() =>
        {
            var settings = new PredictSettings
            {
                ModelPath = parseResult.GetValue(model)!.FullName,
                DataPath = parseResult.GetValue(data)!.FullName,
                Column = parseResult.GetValue(column),
                BatchSize = parseResult.GetValue(batch),
                OutputDirectory = parseResult.GetValue(output)!.FullName,
            };
            PredictJob.Run(settings, AnsiConsole.Console);
        })));
        return command;
    }
}
