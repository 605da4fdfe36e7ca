using System.CommandLine;
using Spectre.Console;

namespace MlNetRnn.Cli.Generate;

/// <summary>Defines <c>mlnet-rnn generate</c> and its options.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var d = new GenerateSettings();
        var corpus = new Option<FileInfo?>("--corpus") { Description = "UTF-8 text file to train on (default: embedded tiny Shakespeare, 1.1 MB)." };
        var model = new Option<FileInfo?>("--model") { Description = "Generate from this language model .onnx instead of training one." };
        var minutes = new Option<double>("--minutes") { Description = "Training time budget in minutes (the epoch in progress is validated when it runs out).", DefaultValueFactory = _ => d.Minutes };
        minutes.Validators.Add(r =>
        {
            double v = r.GetValueOrDefault<double>();
            if (!(v > 0 && v <= 10080))
                r.AddError($"--minutes must be greater than 0 and at most 10080; got {v}.");
        });
        var epochs = new Option<int>("--epochs") { Description = "Maximum epochs (passes over the training text).", DefaultValueFactory = _ => d.Epochs }.InRange(1, 100000);
        var cell = new Option<string>("--cell") { Description = "Recurrent cell: lstm, gru, rnn-tanh or rnn-relu.", DefaultValueFactory = _ => "lstm" };
        cell.AcceptOnlyFromAmong("lstm", "gru", "rnn-tanh", "rnn-relu");
        var hidden = new Option<int>("--hidden") { Description = "Hidden units per layer (1-4096).", DefaultValueFactory = _ => d.Hidden }.InRange(1, 4096);
        var layers = new Option<int>("--layers") { Description = "Stacked layers (1-16).", DefaultValueFactory = _ => d.Layers }.InRange(1, 16);
        var embedding = new Option<int>("--embedding") { Description = "Embedding width (1-4096).", DefaultValueFactory = _ => d.Embedding }.InRange(1, 4096);
        var sequence = new Option<int>("--sequence-length") { Description = "Characters per truncated back-propagation window (1-10000).", DefaultValueFactory = _ => d.SequenceLength }.InRange(1, 10000);
        var batch = new Option<int>("--batch-size") { Description = "Parallel streams per batch (1-65536).", DefaultValueFactory = _ => d.BatchSize }.InRange(1, 65536);
        var prime = new Option<string>("--prime") { Description = "Text the generation continues.", DefaultValueFactory = _ => d.Prime };
        var length = new Option<int>("--length") { Description = "Characters to generate (0-1000000).", DefaultValueFactory = _ => d.Length }.InRange(0, 1_000_000);
        var temperature = new Option<double>("--temperature") { Description = "0 for greedy; 1 samples the model's distribution; lower is more conservative.", DefaultValueFactory = _ => d.Temperature };
        temperature.Validators.Add(r =>
        {
            double v = r.GetValueOrDefault<double>();
            if (!(v >= 0 && v <= 100))
                r.AddError($"--temperature must be between 0 and 100; got {v}.");
        });
        var topK = new Option<int>("--top-k") { Description = "Sample among the k most likely characters only; 0 for all.", DefaultValueFactory = _ => d.TopK }.InRange(0, 1_000_000);
        var seed = new Option<int>("--seed") { Description = "Seed for initialisation and sampling.", DefaultValueFactory = _ => d.Seed };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto (training and ONNX Runtime generation).", DefaultValueFactory = _ => "cpu" }.IsDevice();
        var output = new Option<DirectoryInfo>("--output") { Description = "Folder for model.onnx, loss.png, sample.txt and summary.json.", DefaultValueFactory = _ => new DirectoryInfo(d.OutputDirectory) };

        var command = new Command("generate", "Train a character-level language model (default: tiny Shakespeare, a few minutes) or load one, and generate text through ONNX Runtime.")
        {
            corpus, model, minutes, epochs, cell, hidden, layers, embedding, sequence, batch, prime, length, temperature, topK, seed, device, output,
        };
        var checkpoint = new CheckpointOptions();
        checkpoint.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => Task.FromResult(CommandRunner.Run(() =>
        {
            if (parseResult.GetValue(corpus) is not null && parseResult.GetValue(model) is not null)
                throw new ArgumentException("Give either --corpus (train a model) or --model (use an existing one), not both.");
            var settings = new GenerateSettings
            {
                CorpusPath = parseResult.GetValue(corpus)?.FullName,
                ModelPath = parseResult.GetValue(model)?.FullName,
                Minutes = parseResult.GetValue(minutes),
                Epochs = parseResult.GetValue(epochs),
                Cell = ForecastCommand.ParseCell(parseResult.GetValue(cell)!),
                Hidden = parseResult.GetValue(hidden),
                Layers = parseResult.GetValue(layers),
                Embedding = parseResult.GetValue(embedding),
                SequenceLength = parseResult.GetValue(sequence),
                BatchSize = parseResult.GetValue(batch),
                Prime = parseResult.GetValue(prime)!,
                Length = parseResult.GetValue(length),
                Temperature = parseResult.GetValue(temperature),
                TopK = parseResult.GetValue(topK),
                Seed = parseResult.GetValue(seed),
                Checkpoint = checkpoint.Read(parseResult),
                Device = ExecutionDevice.Parse(parseResult.GetValue(device)!),
                OutputDirectory = parseResult.GetValue(output)!.FullName,
            };
            GenerateJob.Run(settings, AnsiConsole.Console, cancellationToken);
        })));
        return command;
    }
}
