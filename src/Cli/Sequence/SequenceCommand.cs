using System.CommandLine;
using Spectre.Console;

namespace MlNetRnn.Cli.Sequence;

/// <summary>Defines <c>mlnet-rnn sequence</c> and its options.</summary>
internal static class SequenceCommand
{
    public static Command Create()
    {
        var d = new SequenceSettings();
        var data = new Option<FileInfo?>("--data") { Description = "CSV/TSV file with a header row: a label column and, in order, each sequence's values (default: the embedded 8x8 handwritten digits, 1,797 images read row by row)." };
        var labelColumn = new Option<string>("--label-column") { Description = "Column holding the label; every other column is a feature.", DefaultValueFactory = _ => d.LabelColumn };
        var perStep = new Option<int?>("--features-per-step") { Description = "Values per step (default 8 for the embedded digits, else 1: a univariate sequence)." };
        var regression = new Option<bool>("--regression") { Description = "Predict a numeric label (RMSE, R²) instead of classifying." };
        var cell = new Option<string>("--cell") { Description = "Recurrent cell: lstm, gru, rnn-tanh or rnn-relu.", DefaultValueFactory = _ => "gru" };
        cell.AcceptOnlyFromAmong("lstm", "gru", "rnn-tanh", "rnn-relu");
        var hidden = new Option<int>("--hidden") { Description = "Hidden units per layer and direction (1-4096).", DefaultValueFactory = _ => d.Hidden }.InRange(1, 4096);
        var layers = new Option<int>("--layers") { Description = "Stacked layers (1-16).", DefaultValueFactory = _ => d.Layers }.InRange(1, 16);
        var unidirectional = new Option<bool>("--unidirectional") { Description = "Read sequences forwards only (default: both directions)." };
        var pooling = new Option<string>("--pooling") { Description = "last (final states), mean or mean-max.", DefaultValueFactory = _ => PoolingName(d.Pooling) };
        pooling.AcceptOnlyFromAmong("mean", "mean-max", "last");
        var members = new Option<int>("--members") { Description = "Networks trained from consecutive seeds and averaged in one graph (1-20).", DefaultValueFactory = _ => d.Members }.InRange(1, 20);
        var epochs = new Option<int>("--epochs") { Description = "Maximum epochs (early stopping may end sooner).", DefaultValueFactory = _ => d.Epochs }.InRange(1, 100000);
        var splits = new Option<int>("--splits") { Description = "Seeded 80/20 splits (stratified by class) to train and score ours and the baseline on; the model written is split 1's.", DefaultValueFactory = _ => d.Splits }.InRange(1, 100);
        var tuning = new Option<bool>("--tuning") { Description = "Score on an inner 20% of each training part instead of the test split, for choosing settings without reading the test splits." };
        var seed = new Option<int>("--seed") { Description = "Seed of the first split, initialisation and batch order.", DefaultValueFactory = _ => d.Seed };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "cpu" }.IsDevice();
        var output = new Option<DirectoryInfo>("--output") { Description = "Folder for model.onnx, model.zip, confusion.png (multiclass) and summary.json.", DefaultValueFactory = _ => new DirectoryInfo(d.OutputDirectory) };

        var command = new Command("sequence", "Train a recurrent classifier (or regressor) over sequences of float vectors and an ML.NET linear baseline on the same seeded splits, and compare them (mean ± sd).")
        {
            data, labelColumn, perStep, regression, cell, hidden, layers, unidirectional, pooling, members, epochs, splits, tuning, seed, device, output,
        };
        command.SetAction((parseResult, cancellationToken) => Task.FromResult(CommandRunner.Run(() =>
        {
            if (parseResult.GetValue(data) is null && parseResult.GetResult(labelColumn) is { Implicit: false })
                throw new ArgumentException("--label-column names a column of the --data file; the embedded digits have a fixed one. Pass --data FILE as well.");
            if (parseResult.GetValue(perStep) is < 1)
                throw new ArgumentException("--features-per-step must be at least 1.");
            var settings = new SequenceSettings
            {
                DataPath = parseResult.GetValue(data)?.FullName,
                LabelColumn = parseResult.GetValue(labelColumn)!,
                FeaturesPerStep = parseResult.GetValue(perStep),
                Regression = parseResult.GetValue(regression),
                Cell = ForecastCommand.ParseCell(parseResult.GetValue(cell)!),
                Hidden = parseResult.GetValue(hidden),
                Layers = parseResult.GetValue(layers),
                Bidirectional = !parseResult.GetValue(unidirectional),
                Pooling = parseResult.GetValue(pooling) switch { "last" => SequencePooling.LastStep, "mean-max" => SequencePooling.MeanMax, _ => SequencePooling.Mean },
                Members = parseResult.GetValue(members),
                Epochs = parseResult.GetValue(epochs),
                Splits = parseResult.GetValue(splits),
                Tuning = parseResult.GetValue(tuning),
                Seed = parseResult.GetValue(seed),
                Device = ExecutionDevice.Parse(parseResult.GetValue(device)!),
                OutputDirectory = parseResult.GetValue(output)!.FullName,
            };
            SequenceJob.Run(settings, AnsiConsole.Console, cancellationToken);
        })));
        return command;
    }

    private static string PoolingName(SequencePooling pooling) => pooling switch
    {
        SequencePooling.LastStep => "last",
        SequencePooling.MeanMax => "mean-max",
        _ => "mean",
    };
}
