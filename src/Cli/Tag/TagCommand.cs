using System.CommandLine;
using Spectre.Console;

namespace MlNetRnn.Cli.Tag;

/// <summary>Defines <c>mlnet-rnn tag</c> and its options.</summary>
internal static class TagCommand
{
    public static Command Create()
    {
        var d = new TagSettings();
        var data = new Option<FileInfo?>("--data") { Description = "Training corpus: one 'word<TAB>tag' per line, a blank line between sentences, # comments; plain or .gz (default: the embedded Brown corpus training part, 1.05M tokens)." };
        var test = new Option<FileInfo?>("--test") { Description = "Test corpus in the same format (default: the embedded Brown test part; required with --data)." };
        var embeddings = new Option<string?>("--embeddings") { Description = "Word vectors: 'none', or a GloVe/word2vec/fastText text file (default: the embedded GloVe 6B 100-d, 50,000 words)." };
        var cell = new Option<string>("--cell") { Description = "Recurrent cell: lstm, gru, rnn-tanh or rnn-relu.", DefaultValueFactory = _ => "lstm" };
        cell.AcceptOnlyFromAmong("lstm", "gru", "rnn-tanh", "rnn-relu");
        var hidden = new Option<int>("--hidden") { Description = "Hidden units per direction (1-4096).", DefaultValueFactory = _ => d.Hidden }.InRange(1, 4096);
        var noChars = new Option<bool>("--no-chars") { Description = "Leave out the spelling features (a character convolution per token)." };
        var epochs = new Option<int>("--epochs") { Description = "Maximum epochs (early stopping or the time budget may end sooner).", DefaultValueFactory = _ => d.Epochs }.InRange(1, 100000);
        var patience = new Option<int>("--patience") { Description = "Epochs without a better validation loss before training stops.", DefaultValueFactory = _ => d.Patience }.InRange(0, 1000);
        var schedule = new Option<string>("--schedule") { Description = "Learning rate: constant, or plateau (halved after an epoch without a better validation loss).", DefaultValueFactory = _ => d.Schedule == LearningRateScheduleKind.ReduceOnPlateau ? "plateau" : "constant" };
        schedule.AcceptOnlyFromAmong("constant", "plateau");
        var embeddingDropout = new Option<double>("--embedding-dropout") { Description = "Dropout on each token's word and spelling features while training, in [0, 0.9).", DefaultValueFactory = _ => d.EmbeddingDropout }.InRange(0, 0.9, maxExclusive: true);
        var minutes = new Option<double>("--minutes") { Description = "Training time budget in minutes; the best epoch so far is kept.", DefaultValueFactory = _ => d.Minutes }.InRange(0, 100000, minExclusive: true);
        var seed = new Option<int>("--seed") { Description = "Seed of the validation split, initialisation and batch order.", DefaultValueFactory = _ => d.Seed };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "cpu" }.IsDevice();
        var output = new Option<DirectoryInfo>("--output") { Description = "Folder for model.onnx, model.zip, tag-f1.png and summary.json.", DefaultValueFactory = _ => new DirectoryInfo(d.OutputDirectory) };

        var command = new Command("tag", "Train a part-of-speech (or any per-token) tagger, a bidirectional LSTM over words and their spelling, and score it against the most-frequent-tag baseline.")
        {
            data, test, embeddings, cell, hidden, noChars, epochs, patience, schedule, embeddingDropout, minutes, seed, device, output,
        };
        command.SetAction((parseResult, cancellationToken) => Task.FromResult(CommandRunner.Run(() =>
        {
            string? vectors = parseResult.GetValue(embeddings);
            var settings = new TagSettings
            {
                DataPath = parseResult.GetValue(data)?.FullName,
                TestPath = parseResult.GetValue(test)?.FullName,
                Embeddings = vectors is null ? null : vectors.Equals(TagSettings.NoEmbeddings, StringComparison.OrdinalIgnoreCase) ? TagSettings.NoEmbeddings : vectors,
                Cell = ForecastCommand.ParseCell(parseResult.GetValue(cell)!),
                Hidden = parseResult.GetValue(hidden),
                CharacterFeatures = !parseResult.GetValue(noChars),
                Epochs = parseResult.GetValue(epochs),
                Patience = parseResult.GetValue(patience),
                Schedule = parseResult.GetValue(schedule) == "plateau" ? LearningRateScheduleKind.ReduceOnPlateau : LearningRateScheduleKind.Constant,
                EmbeddingDropout = parseResult.GetValue(embeddingDropout),
                Minutes = parseResult.GetValue(minutes),
                Seed = parseResult.GetValue(seed),
                Device = ExecutionDevice.Parse(parseResult.GetValue(device)!),
                OutputDirectory = parseResult.GetValue(output)!.FullName,
            };
            TagJob.Run(settings, AnsiConsole.Console, cancellationToken);
        })));
        return command;
    }
}
