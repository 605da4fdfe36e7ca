using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.ML;
using MlNetRnn.Transforms;
using Spectre.Console;

namespace MlNetRnn.Cli.Generate;

/// <summary>Trains a character language model (or loads one) and generates text from a prime through ONNX Runtime.</summary>
internal static class GenerateJob
{
    /// <summary>Tokens generated (after a warm-up) to measure generation speed.</summary>
    private const int SpeedProbeLength = 2000;

    /// <summary>Every file a generate run may write; they are replaced together (see <see cref="OutputSet"/>).</summary>
    internal static readonly string[] OwnedFiles = { "model.onnx", "loss.png", "sample.txt", "summary.json" };

    public static GenerateSummary Run(GenerateSettings s, IAnsiConsole console, CancellationToken cancellationToken)
    {
        string dir = Path.GetFullPath(s.OutputDirectory);
        if (s.Prime.Length == 0)
            throw new ArgumentException("--prime must not be empty: generation continues a text.");
        var warnings = new List<string>();
        LanguageModel model;
        OutputSet output;
        byte[]? keptModel = null;
        string? corpusSource = null;
        var batchLoss = new List<(double, double)>();
        var validationPoints = new List<(double, double)>();

        if (s.ModelPath is not null)
        {
            string path = Path.GetFullPath(s.ModelPath);
            InputFile.RequireFile(path, "Model file", "--model");
            model = LanguageModel.Load(path, s.Device);
            // The set owns model.onnx: if the loaded model is that very file, it is staged again so the swap keeps it.
            if (string.Equals(path, Path.Combine(dir, "model.onnx"), OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase))
                keptModel = File.ReadAllBytes(path);
            try
            {
                output = OutputSet.Open(dir, OwnedFiles, (keptModel?.Length ?? 0) + ModelSizeEstimate.ReportBytes);
            }
            catch
            {
                model.Dispose();
                throw;
            }
            console.MarkupLine($"[bold]mlnet-rnn generate[/]: loaded {Markup.Escape(path)} ({model.Vocabulary.Count} tokens); no training.");
        }
        else
        {
            string corpus;
            if (s.CorpusPath is null)
            {
                corpus = EmbeddedCorpus.TinyShakespeare();
                corpusSource = EmbeddedCorpus.Name;
            }
            else
            {
                corpusSource = Path.GetFullPath(s.CorpusPath);
                InputFile.RequireFile(corpusSource, "Corpus file", "--corpus");
                corpus = InputFile.ReadUtf8Text(corpusSource, "Corpus file", "--corpus");
                // Checked before the prime: with an empty corpus every prime character is "unseen", which would blame the prime.
                if (corpus.Length == 0)
                    throw new InvalidDataException($"Corpus file '{corpusSource}' (--corpus) is empty. Give a UTF-8 text file holding the text to learn from.");
            }
            // Check the prime against the corpus now, not after minutes of training.
            var corpusChars = new HashSet<Rune>(corpus.EnumerateRunes());
            var unseen = s.Prime.EnumerateRunes().Where(r => !corpusChars.Contains(r)).Distinct().ToList();
            if (unseen.Count > 0)
                throw new ArgumentException($"--prime contains character(s) that never occur in the corpus ({string.Join(", ", unseen.Select(r => $"'{r}'"))}); the model could not read them. Change the prime.");
            // A character model's vocabulary is the corpus's distinct characters (the options' defaults bound the rest).
            int vocabulary = corpusChars.Count + 1;
            long weights = ModelSizeEstimate.WeightBytes(s.Cell, s.Embedding, s.Hidden, s.Layers, false, vocabulary, vocabulary);
            output = OutputSet.Open(dir, OwnedFiles, weights + ModelSizeEstimate.ReportBytes);
            try
            {
                model = Train(s, corpus, corpusSource, console, warnings, batchLoss, validationPoints, cancellationToken);
            }
            catch
            {
                output.Dispose();
                throw;
            }
        }

        using var _ = output;
        using var __ = model;
        string sample = model.Generate(s.Prime, s.Length, s.Temperature, s.TopK, s.Seed);
        // Generation speed: a longer run after the sample (which warmed the session up), prime consumed once, one step per token.
        var stopwatch = Stopwatch.StartNew();
        string probe = model.Generate(s.Prime, SpeedProbeLength, s.Temperature, s.TopK, s.Seed + 1);
        stopwatch.Stop();
        double charsPerSecond = probe.Length / stopwatch.Elapsed.TotalSeconds;

        var history = model.History;
        bool trained = s.ModelPath is null;
        double? valLoss = history is { ValidationLoss.Count: > 0 } ? history.ValidationLoss[Math.Max(0, history.BestEpoch - 1)] : null;
        var files = new List<string>();
        string onnxPath = Path.Combine(dir, "model.onnx"), pngPath = Path.Combine(dir, "loss.png");
        string samplePath = Path.Combine(dir, "sample.txt"), summaryPath = Path.Combine(dir, "summary.json");
        byte[]? onnxBytes = null, pngBytes = null;
        if (s.ModelPath is null)
        {
            onnxBytes = model.GetOnnxModel();
            if (!PlotFonts.HasFonts)
                console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(PlotFonts.NoFontsWarning("loss.png"))}");
            pngBytes = LossPlot.Render(batchLoss, validationPoints, string.Create(CultureInfo.InvariantCulture,
                $"{s.Cell} {s.Layers}x{s.Hidden} on {Path.GetFileName(corpusSource)}: validation loss {valLoss:F3} nats/char"));
            files.Add(onnxPath);
            files.Add(pngPath);
        }
        else if (keptModel is not null)
        {
            files.Add(onnxPath);
        }
        files.Add(samplePath);
        files.Add(summaryPath);
        var summary = new GenerateSummary
        {
            Corpus = corpusSource,
            Model = s.ModelPath is null ? null : Path.GetFullPath(s.ModelPath),
            Cell = s.ModelPath is null ? s.Cell.ToString() : "",
            Hidden = s.ModelPath is null ? s.Hidden : 0,
            Layers = s.ModelPath is null ? s.Layers : 0,
            VocabularySize = model.Vocabulary.Count,
            ValLoss = valLoss,
            ValLossPerEpoch = history?.ValidationLoss.ToArray() ?? Array.Empty<double>(),
            TrainLossPerEpoch = history?.TrainLoss.ToArray() ?? Array.Empty<double>(),
            // With --model nothing was trained in this run: the training fields stay empty; val_loss is the model's own (from its metadata).
            TrainTokensPerSecond = trained && model.TrainTokensPerSecond is { } r ? Math.Round(r, 1) : null,
            GenerateCharsPerSecond = Math.Round(charsPerSecond, 1),
            EpochsRun = trained ? history!.EpochsRun : 0,
            BestEpoch = history?.BestEpoch ?? 0,
            ResumedEpochs = history?.ResumedEpochs ?? 0,
            TrainSeconds = trained ? Math.Round(history!.Duration.TotalSeconds, 3) : 0,
            ParityMaxAbsDiff = model.Parity?.MaxAbsDiff,
            Prime = s.Prime,
            Temperature = s.Temperature,
            TopK = s.TopK,
            Seed = s.Seed,
            Sample = sample,
            Device = model.InferenceDevice.ToString(),
            Warnings = warnings.ToArray(),
            Files = files.ToArray(),
        };
        string json = JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        // Staged, then swapped in as one set: a --model run into a training run's folder also removes that run's loss.png and
        // model.onnx (unless the model.onnx is the model being used), so the folder never mixes two runs.
        if ((onnxBytes ?? keptModel) is { } modelBytes)
            output.Add("model.onnx", modelBytes);
        if (pngBytes is not null)
            output.Add("loss.png", pngBytes);
        output.AddText("sample.txt", s.Prime + sample + "\n");
        output.AddText("summary.json", json);
        output.Commit();

        foreach (var warning in warnings)
            console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(warning)}");
        console.Write(new Rule($"[bold]{s.Length} characters from \"{Markup.Escape(s.Prime)}\"[/] (temperature {s.Temperature.ToString(CultureInfo.InvariantCulture)}, seed {s.Seed})").LeftJustified());
        console.WriteLine(s.Prime + sample);
        console.Write(new Rule());
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"validation loss {(valLoss is { } v ? v.ToString("F3", CultureInfo.InvariantCulture) : "n/a")} nats/char; " +
            $"training {(model.TrainTokensPerSecond is { } t ? t.ToString("F0", CultureInfo.InvariantCulture) : "n/a")} tokens/s; " +
            $"generation {charsPerSecond:F0} chars/s through ONNX Runtime ({model.InferenceDevice})."));
        if (s.Checkpoint.Describe(history?.ResumedEpochs ?? 0) is { } checkpointLine)
            console.MarkupLine(Markup.Escape(checkpointLine));
        console.MarkupLine($"Wrote [green]{Markup.Escape(dir)}[/]: {string.Join(", ", files.Select(Path.GetFileName))}");
        return summary;
    }

    private static LanguageModel Train(GenerateSettings s, string corpus, string source, IAnsiConsole console, List<string> warnings,
        List<(double, double)> batchLoss, List<(double, double)> validationPoints, CancellationToken cancellationToken)
    {
        var mlContext = new MLContext(seed: s.Seed);
        var collected = LibraryWarnings.Collect(mlContext);
        var budget = TimeSpan.FromMinutes(s.Minutes);
        console.MarkupLine($"[bold]mlnet-rnn generate[/]: training a character model on {Markup.Escape(source)} ({corpus.Length:N0} characters) " +
                           $"for at most {s.Minutes.ToString(CultureInfo.InvariantCulture)} minute(s) / {s.Epochs} epoch(s).");
        console.MarkupLine($"{s.Cell}, {s.Layers} layer(s) x {s.Hidden} hidden, embedding {s.Embedding}, sequence {s.SequenceLength}, batch {s.BatchSize}, seed {s.Seed}, device {s.Device}.");

        LanguageModel model = null!;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                ProgressTask? task = null;
                int currentEpoch = 0;
                long tokensPerBatch = (long)s.SequenceLength * s.BatchSize;
                long batches = 0;
                double smoothed = double.NaN;
                var options = new LanguageModelOptions
                {
                    Cell = s.Cell,
                    HiddenSize = s.Hidden,
                    NumberOfLayers = s.Layers,
                    EmbeddingSize = s.Embedding,
                    SequenceLength = s.SequenceLength,
                    BatchSize = s.BatchSize,
                    Epochs = s.Epochs,
                    TimeBudget = budget,
                    Seed = s.Seed,
                    CheckpointDirectory = s.Checkpoint.Directory,
                    Resume = s.Checkpoint.Resume,
                    Device = s.Device,
                    InferenceDevice = s.Device,
                    CancellationToken = cancellationToken,
                    Progress = new SynchronousProgress<LanguageModelProgress>(p =>
                    {
                        if (p.Epoch != currentEpoch)
                        {
                            currentEpoch = p.Epoch;
                            task = ctx.AddTask($"epoch {p.Epoch}", maxValue: p.BatchesPerEpoch);
                        }
                        if (p.EndOfEpoch)
                        {
                            task!.Description = p.ValidationLoss is { } v
                                ? string.Create(CultureInfo.InvariantCulture, $"epoch {p.Epoch}: train {p.TrainLoss:F3}, validation {v:F3} nats/char")
                                : string.Create(CultureInfo.InvariantCulture, $"epoch {p.Epoch}: train {p.TrainLoss:F3} nats/char");
                            if (p.ValidationLoss is { } loss)
                                validationPoints.Add((batches * (double)tokensPerBatch, loss));
                            task.StopTask();
                            return;
                        }
                        batches++;
                        // An exponential moving average of the batch losses: the curve shows progress, not batch-to-batch noise.
                        smoothed = double.IsNaN(smoothed) ? p.BatchLoss : 0.95 * smoothed + 0.05 * p.BatchLoss;
                        batchLoss.Add((batches * (double)tokensPerBatch, smoothed));
                        task!.Value = p.Batch;
                        task.Description = string.Create(CultureInfo.InvariantCulture,
                            $"epoch {p.Epoch}: batch {p.Batch}/{p.BatchesPerEpoch}, loss {p.TrainLoss:F3}, {p.TokensPerSecond:F0} tok/s");
                    }),
                };
                model = mlContext.Rnn().LanguageModel(options).Fit(corpus);
            });
        lock (collected)
            warnings.AddRange(collected);
        return model;
    }

}
