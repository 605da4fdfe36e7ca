using System.CommandLine;
using Spectre.Console;

namespace MlNetRnn.Cli.Classify;

/// <summary>Defines <c>mlnet-rnn classify</c> and its options.</summary>
internal static class ClassifyCommand
{
    public static Command Create()
    {
        var d = new ClassifySettings();
        var data = new Option<FileInfo?>("--data") { Description = "Tab- or comma-separated file with a header row (default: embedded Yelp + IMDB review sentences, 2,000 labelled)." };
        var textColumn = new Option<string>("--text-column") { Description = "Column holding the text.", DefaultValueFactory = _ => d.TextColumn };
        var labelColumn = new Option<string>("--label-column") { Description = "Column holding the label (two yes/no-like values: binary; otherwise multiclass).", DefaultValueFactory = _ => d.LabelColumn };
        var cell = new Option<string>("--cell") { Description = "Recurrent cell: lstm, gru, rnn-tanh or rnn-relu.", DefaultValueFactory = _ => "gru" };
        cell.AcceptOnlyFromAmong("lstm", "gru", "rnn-tanh", "rnn-relu");
        var hidden = new Option<int>("--hidden") { Description = "Hidden units per layer and direction (1-4096).", DefaultValueFactory = _ => d.Hidden }.InRange(1, 4096);
        var embedding = new Option<int>("--embedding") { Description = "Word embedding width (1-4096).", DefaultValueFactory = _ => d.Embedding }.InRange(1, 4096);
        var layers = new Option<int>("--layers") { Description = "Stacked layers (1-16).", DefaultValueFactory = _ => d.Layers }.InRange(1, 16);
        var unidirectional = new Option<bool>("--unidirectional") { Description = "Read texts forwards only (default: both directions)." };
        var pooling = new Option<string>("--pooling") { Description = "mean (over the words) or last (final states).", DefaultValueFactory = _ => "mean" };
        pooling.AcceptOnlyFromAmong("mean", "last");
        var maxLength = new Option<int>("--max-length") { Description = "Words kept per text (1-10000).", DefaultValueFactory = _ => d.MaxLength }.InRange(1, 10000);
        var epochs = new Option<int>("--epochs") { Description = "Maximum epochs (early stopping may end sooner).", DefaultValueFactory = _ => d.Epochs }.InRange(1, 100000);
        var seed = new Option<int>("--seed") { Description = "Seed of the 80/20 split, initialisation and batch order.", DefaultValueFactory = _ => d.Seed };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "cpu" }.IsDevice();
        var output = new Option<DirectoryInfo>("--output") { Description = "Folder for model.onnx, model.zip, roc.png or confusion.png, and summary.json.", DefaultValueFactory = _ => new DirectoryInfo(d.OutputDirectory) };

        var command = new Command("classify", "Train a recurrent text classifier and ML.NET's bag-of-words baseline on the same 80/20 split, and compare them.")
        {
            data, textColumn, labelColumn, cell, hidden, embedding, layers, unidirectional, pooling, maxLength, epochs, seed, device, output,
        };
        var checkpoint = new CheckpointOptions();
        checkpoint.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => Task.FromResult(CommandRunner.Run(() =>
        {
            // Column names only mean something for a user's file; silently ignoring them on the embedded data would hide a mistake.
            bool Given(Option<string> option) => parseResult.GetResult(option) is { Implicit: false };
            if (parseResult.GetValue(data) is null && (Given(textColumn) || Given(labelColumn)))
                throw new ArgumentException("--text-column and --label-column name columns of the --data file; the embedded review sentences have fixed columns. Pass --data FILE as well.");
            var settings = new ClassifySettings
            {
                DataPath = parseResult.GetValue(data)?.FullName,
                TextColumn = parseResult.GetValue(textColumn)!,
                LabelColumn = parseResult.GetValue(labelColumn)!,
                Cell = ForecastCommand.ParseCell(parseResult.GetValue(cell)!),
                Hidden = parseResult.GetValue(hidden),
                Embedding = parseResult.GetValue(embedding),
                Layers = parseResult.GetValue(layers),
                Bidirectional = !parseResult.GetValue(unidirectional),
                Pooling = parseResult.GetValue(pooling) == "last" ? SequencePooling.LastStep : SequencePooling.Mean,
                MaxLength = parseResult.GetValue(maxLength),
                Epochs = parseResult.GetValue(epochs),
                Seed = parseResult.GetValue(seed),
                Checkpoint = checkpoint.Read(parseResult),
                Device = ExecutionDevice.Parse(parseResult.GetValue(device)!),
                OutputDirectory = parseResult.GetValue(output)!.FullName,
            };
            ClassifyJob.Run(settings, AnsiConsole.Console, cancellationToken);
        })));
        return command;
    }
}
