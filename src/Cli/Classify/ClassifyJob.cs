using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Spectre.Console;

namespace MlNetRnn.Cli.Classify;

/// <summary>
/// Trains the recurrent text classifier and ML.NET's bag-of-words baseline (FeaturizeText + SDCA) on the same seeded 80/20 split,
/// evaluates both with ML.NET's evaluators, and writes the model, a plot and summary.json.
/// </summary>
internal static class ClassifyJob
{
    private sealed class Row
    {
        public string Text { get; set; } = "";
        public bool Label { get; set; }
        public string Category { get; set; } = "";
    }

    private sealed class ClassName
    {
        public string Category { get; set; } = "";
    }

    private static readonly string[] s_true = { "1", "true", "yes", "positive", "pos" };
    private static readonly string[] s_false = { "0", "false", "no", "negative", "neg" };

    /// <summary>Every file a classify run may write (one of the two plots); they are replaced together (see <see cref="OutputSet"/>).</summary>
    internal static readonly string[] OwnedFiles = { "model.onnx", "model.zip", "roc.png", "confusion.png", "summary.json" };

    public static ClassifySummary Run(ClassifySettings s, IAnsiConsole console, CancellationToken cancellationToken)
    {
        string dir = Path.GetFullPath(s.OutputDirectory);
        var data = s.DataPath is null ? LabelledTexts.Reviews() : LabelledTexts.Load(Path.GetFullPath(s.DataPath), s.TextColumn, s.LabelColumn);
        var classes = data.Labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (classes.Length < 2)
            throw new ArgumentException($"{data.Source}: the label column has a single value ('{classes[0]}'); a classifier needs at least two classes.");
        // Two labels that read as yes/no are a binary task (ML.NET wants Boolean labels there); anything else is multiclass.
        bool binary = classes.Length == 2 && classes.All(c => s_true.Contains(c, StringComparer.OrdinalIgnoreCase) || s_false.Contains(c, StringComparer.OrdinalIgnoreCase))
                      && classes.Any(c => s_true.Contains(c, StringComparer.OrdinalIgnoreCase)) && classes.Any(c => s_false.Contains(c, StringComparer.OrdinalIgnoreCase));
        // The vocabulary is at most the distinct words (before the trainer's normalisation merges some); weights and token strings are
        // written twice (model.onnx, and the row model inside model.zip).
        var words = data.Texts.SelectMany(text => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        long weights = ModelSizeEstimate.WeightBytes(s.Cell, s.Embedding, s.Hidden, s.Layers, s.Bidirectional, binary ? 1 : classes.Length, words.Length + 3);
        long tokenStrings = words.Sum(w => (long)System.Text.Encoding.UTF8.GetByteCount(w) + 4);
        using var output = OutputSet.Open(dir, OwnedFiles, 2 * (weights + tokenStrings) + ModelSizeEstimate.ReportBytes);

        var rows = data.Texts.Select((t, i) => new Row { Text = t, Category = data.Labels[i], Label = s_true.Contains(data.Labels[i], StringComparer.OrdinalIgnoreCase) }).ToArray();
        var order = Enumerable.Range(0, rows.Length).ToArray();
        new Random(s.Seed).Shuffle(order);
        int testCount = Math.Max(1, (int)Math.Round(rows.Length * s.TestFraction));
        var trainRows = order[..^testCount].Select(i => rows[i]).ToArray();
        var testRows = order[^testCount..].Select(i => rows[i]).ToArray();

        var ml = new MLContext(seed: s.Seed);
        IDataView train = ml.Data.LoadFromEnumerable(trainRows), test = ml.Data.LoadFromEnumerable(testRows);
        if (!binary)
        {
            var toKey = ml.Transforms.Conversion.MapValueToKey("Label", nameof(Row.Category), keyData: ml.Data.LoadFromEnumerable(classes.Select(c => new ClassName { Category = c })))
                .Fit(train);
            train = toKey.Transform(ml.Transforms.DropColumns("Label").Fit(train).Transform(train));
            test = toKey.Transform(ml.Transforms.DropColumns("Label").Fit(test).Transform(test));
        }
        console.MarkupLine($"[bold]mlnet-rnn classify[/]: {Markup.Escape(data.Source)}, {rows.Length} texts ({(binary ? "binary" : $"{classes.Length} classes")}); " +
                           $"{trainRows.Length} train / {testRows.Length} test (seed {s.Seed}).");
        console.MarkupLine($"{s.Cell}, hidden {s.Hidden}, embedding {s.Embedding}, {s.Layers} layer(s){(s.Bidirectional ? ", bidirectional" : "")}, pooling {s.Pooling}, max length {s.MaxLength}, device {s.Device}.");

        TextClassifierTransformer model = null!;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("training", maxValue: s.Epochs);
                var options = new TextClassifierOptions
                {
                    Cell = s.Cell, HiddenSize = s.Hidden, EmbeddingSize = s.Embedding, NumberOfLayers = s.Layers, Bidirectional = s.Bidirectional,
                    Pooling = s.Pooling, MaxLength = s.MaxLength, Epochs = s.Epochs, Seed = s.Seed, Device = s.Device,
                    CheckpointDirectory = s.Checkpoint.Directory, Resume = s.Checkpoint.Resume, InferenceDevice = s.Device,
                    CancellationToken = cancellationToken,
                    Progress = new SynchronousProgress<TrainingProgress>(p =>
                    {
                        task.Value = p.Epoch;
                        task.Description = string.Create(CultureInfo.InvariantCulture, $"epoch {p.Epoch}: train {p.TrainLoss:F4} val {p.ValidationLoss:F4} (best {p.BestEpoch})");
                    }),
                };
                model = ml.Rnn().TextClassifier(options).Fit(train);
                task.Value = task.MaxValue;
            });
        using var fitted = model;

        var scored = model.Transform(test);
        var baselineName = binary ? "FeaturizeText + SdcaLogisticRegression" : "FeaturizeText + SdcaMaximumEntropy";
        var featurize = ml.Transforms.Text.FeaturizeText("Features", nameof(Row.Text));
        double accuracy, baselineAccuracy;
        double? auc = null, f1 = null, macro = null, baselineAuc = null, baselineF1 = null;
        byte[] png;
        string plotName;
        if (binary)
        {
            var baseline = featurize.Append(ml.BinaryClassification.Trainers.SdcaLogisticRegression()).Fit(train);
            var baselineScored = baseline.Transform(test);
            var m = ml.BinaryClassification.Evaluate(scored);
            var b = ml.BinaryClassification.Evaluate(baselineScored);
            (accuracy, auc, f1, baselineAccuracy, baselineAuc, baselineF1) = (m.Accuracy, m.AreaUnderRocCurve, m.F1Score, b.Accuracy, b.AreaUnderRocCurve, b.F1Score);
            png = ClassificationPlot.Roc(testRows.Select(r => r.Label).ToArray(), scored.GetColumn<float>("Probability").ToArray(),
                baselineScored.GetColumn<float>("Probability").ToArray(), $"{s.Cell} (MlNetRnn)", "bag of words (ML.NET)", m.AreaUnderRocCurve, b.AreaUnderRocCurve);
            plotName = "roc.png";
        }
        else
        {
            var baseline = featurize.Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy()).Fit(train);
            var m = ml.MulticlassClassification.Evaluate(scored);
            var b = ml.MulticlassClassification.Evaluate(baseline.Transform(test));
            (accuracy, macro, baselineAccuracy) = (m.MicroAccuracy, m.MacroAccuracy, b.MicroAccuracy);
            var counts = new int[classes.Length, classes.Length];
            for (int r = 0; r < classes.Length; r++)
            for (int c = 0; c < classes.Length; c++)
                counts[r, c] = (int)m.ConfusionMatrix.Counts[r][c];
            png = ClassificationPlot.Confusion(counts, classes, string.Create(CultureInfo.InvariantCulture, $"{s.Cell}: accuracy {m.MicroAccuracy:F3}"));
            plotName = "confusion.png";
        }

        string onnxPath = Path.Combine(dir, "model.onnx"), zipPath = Path.Combine(dir, "model.zip"), pngPath = Path.Combine(dir, plotName), summaryPath = Path.Combine(dir, "summary.json");
        byte[] zip;
        using (var stream = new MemoryStream())
        {
            ml.Model.Save(model, train.Schema, stream);
            zip = stream.ToArray();
        }
        var history = model.History!;
        var summary = new ClassifySummary
        {
            Data = data.Source, Kind = binary ? "binary" : "multiclass", Classes = classes, TrainRows = trainRows.Length, TestRows = testRows.Length,
            Accuracy = Math.Round(accuracy, 4), Auc = Round(auc), F1 = Round(f1), MacroAccuracy = Round(macro),
            Baseline = baselineName, BaselineAccuracy = Math.Round(baselineAccuracy, 4), BaselineAuc = Round(baselineAuc), BaselineF1 = Round(baselineF1),
            EpochsRun = history.EpochsRun, BestEpoch = history.BestEpoch, ResumedEpochs = history.ResumedEpochs, TrainSeconds = Math.Round(history.Duration.TotalSeconds, 3),
            ParityMaxAbsDiff = model.Parity!.MaxAbsDiff, VocabularySize = model.Vocabulary.Count, Cell = s.Cell.ToString(), Hidden = s.Hidden, Seed = s.Seed,
            Device = s.Device.Kind == ExecutionDeviceKind.Cpu ? "cpu" : OnnxSessionFactory.Resolve(s.Device, out _).ToString(),
            Files = new[] { onnxPath, zipPath, pngPath, summaryPath },
        };
        if (!PlotFonts.HasFonts)
            console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(PlotFonts.NoFontsWarning(plotName))}");
        // Staged, then swapped in as one set: a binary run after a multiclass one also removes the old confusion.png.
        output.Add("model.onnx", model.GetOnnxModel());
        output.Add("model.zip", zip);
        output.Add(plotName, png);
        output.AddText("summary.json", JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
        output.Commit();

        string F(double? v) => v is { } x ? x.ToString("F3", CultureInfo.InvariantCulture) : "-";
        var table = new Table().AddColumn("test split").AddColumn(new TableColumn("accuracy").RightAligned()).AddColumn(new TableColumn(binary ? "AUC" : "macro acc.").RightAligned())
            .AddColumn(new TableColumn(binary ? "F1" : "").RightAligned());
        table.AddRow($"{s.Cell} (MlNetRnn, {history.EpochsRun} epochs, best {history.BestEpoch})", F(accuracy), binary ? F(auc) : F(macro), binary ? F(f1) : "");
        table.AddRow($"bag of words ({baselineName})", F(baselineAccuracy), binary ? F(baselineAuc) : "-", binary ? F(baselineF1) : "");
        console.Write(table);
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"ONNX parity (ONNX Runtime vs TorchSharp): max abs diff {model.Parity.MaxAbsDiff:G3}; training took {history.Duration.TotalSeconds:F1} s; vocabulary {model.Vocabulary.Count} words."));
        if (s.Checkpoint.Describe(history?.ResumedEpochs ?? 0) is { } checkpointLine)
            console.MarkupLine(Markup.Escape(checkpointLine));
        console.MarkupLine($"Wrote [green]{Markup.Escape(dir)}[/]: model.onnx, model.zip, {plotName}, summary.json");
        return summary;
    }

    private static double? Round(double? v) => v is { } x ? Math.Round(x, 4) : null;

}
