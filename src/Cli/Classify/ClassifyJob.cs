using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Transforms.Text;
using Spectre.Console;

namespace MlNetRnn.Cli.Classify;

/// <summary>
/// Trains the recurrent text classifier and two ML.NET bag-of-words baselines on each of K seeded 80/20 splits, evaluates all three
/// with ML.NET's evaluators, reports means and standard deviations, and writes the first split's model, a plot and summary.json.
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

    /// <summary>The word vectors the CLI embeds (GloVe 6B, 100-d, 50,000 words; data/embeddings/README.md).</summary>
    internal const string EmbeddedVectorsName = "glove.6B.100d.top50k.txt.gz";

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
        var vectors = LoadVectors(s);
        int embedding = vectors?.Dimension ?? s.Embedding;
        // The vocabulary is at most the distinct words (before the trainer's normalisation merges some); weights and token strings are
        // written twice (model.onnx, and the row model inside model.zip).
        var words = data.Texts.SelectMany(text => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        long weights = s.Members * ModelSizeEstimate.WeightBytes(s.Cell, embedding, s.Hidden, s.Layers, s.Bidirectional, binary ? 1 : classes.Length,
            words.Length + 3 + (vectors is null ? 0 : s.VectorVocabulary));
        long tokenStrings = words.Sum(w => (long)System.Text.Encoding.UTF8.GetByteCount(w) + 4);
        using var output = OutputSet.Open(dir, OwnedFiles, 2 * (weights + tokenStrings) + ModelSizeEstimate.ReportBytes);

        var rows = data.Texts.Select((t, i) => new Row { Text = t, Category = data.Labels[i], Label = s_true.Contains(data.Labels[i], StringComparer.OrdinalIgnoreCase) }).ToArray();
        var (firstTrain, firstTest) = Split(rows, s.Seed, s.TestFraction, s.Tuning);
        string evaluation = s.Tuning ? "an inner 20% of each training part (the test splits are not read)" : "the test split";
        console.MarkupLine($"[bold]mlnet-rnn classify[/]: {Markup.Escape(data.Source)}, {rows.Length} texts ({(binary ? "binary" : $"{classes.Length} classes")}); " +
                           $"{s.Splits} split(s) of {firstTrain.Length} train / {firstTest.Length} scored (seeds {s.Seed}..{s.Seed + s.Splits - 1}), scored on {Markup.Escape(evaluation)}.");
        console.MarkupLine(Markup.Escape($"{(s.Members > 1 ? $"{s.Members} x " : "")}{s.Cell}, hidden {s.Hidden}, embedding {embedding}{(vectors is null ? " (no pretrained vectors)" : $" from {vectors.Source.Trim('\'')} ({s.VectorTraining})")}, " +
                                         $"{s.Layers} layer(s){(s.Bidirectional ? ", bidirectional" : "")}, pooling {s.Pooling}{(s.Wide ? " + wide part" : "")}{(s.Ngrams ? " + n-gram naive Bayes part" : "")}, dropout {s.Dropout}, max length {s.MaxLength}, device {s.Device}."));

        var splitRows = new List<ClassifySplitRow>();
        TextClassifierTransformer? model = null;
        DataViewSchema? modelSchema = null;
        MLContext? modelContext = null;
        byte[] png = Array.Empty<byte>();
        string plotName = binary ? "roc.png" : "confusion.png";
        try
        {
            for (int k = 0; k < s.Splits; k++)
            {
                int seed = s.Seed + k;
                var (trainRows, testRows) = k == 0 ? (firstTrain, firstTest) : Split(rows, seed, s.TestFraction, s.Tuning);
                var ml = new MLContext(seed: seed);
                IDataView train = ml.Data.LoadFromEnumerable(trainRows), test = ml.Data.LoadFromEnumerable(testRows);
                if (!binary)
                {
                    var toKey = ml.Transforms.Conversion.MapValueToKey("Label", nameof(Row.Category), keyData: ml.Data.LoadFromEnumerable(classes.Select(c => new ClassName { Category = c })))
                        .Fit(train);
                    train = toKey.Transform(ml.Transforms.DropColumns("Label").Fit(train).Transform(train));
                    test = toKey.Transform(ml.Transforms.DropColumns("Label").Fit(test).Transform(test));
                }
                var fitted = Train(ml, train, s, vectors, seed, k, console, cancellationToken);
                var scored = fitted.Transform(test);
                var sdca = BagOfWordsBaselines.Sdca(ml, nameof(Row.Text), binary).Fit(train).Transform(test);
                var perceptron = BagOfWordsBaselines.Perceptron(ml, nameof(Row.Text), binary).Fit(train).Transform(test);
                var ours = Score(ml, scored, binary);
                var first = Score(ml, sdca, binary);
                var second = Score(ml, perceptron, binary, calibrated: false);
                var history = fitted.History!;
                splitRows.Add(new ClassifySplitRow
                {
                    Split = k + 1, Seed = seed, TrainRows = trainRows.Length, TestRows = testRows.Length,
                    Accuracy = Round(ours.Accuracy), Auc = Round(ours.Auc), F1 = Round(ours.F1), MacroAccuracy = Round(ours.MacroAccuracy),
                    BaselineAccuracy = Round(first.Accuracy), BaselineAuc = Round(first.Auc), BaselineF1 = Round(first.F1),
                    SecondBaselineAccuracy = Round(second.Accuracy), SecondBaselineAuc = Round(second.Auc), SecondBaselineF1 = Round(second.F1),
                    EpochsRun = history.EpochsRun, BestEpoch = history.BestEpoch, ResumedEpochs = history.ResumedEpochs,
                    TrainSeconds = Math.Round(history.Duration.TotalSeconds, 3),
                    NgramWeight = fitted.NgramWeight, NgramNetworkScale = fitted.NgramNetworkScale,
                });
                console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                    $"split {k + 1}/{s.Splits} (seed {seed}): accuracy {ours.Accuracy:F3} (SDCA {first.Accuracy:F3}, perceptron {second.Accuracy:F3}), {history.EpochsRun} epochs, {history.Duration.TotalSeconds:F1} s"));
                if (k == 0)
                {
                    model = fitted;
                    modelSchema = train.Schema;
                    modelContext = ml;
                    png = binary
                        ? ClassificationPlot.Roc(testRows.Select(r => r.Label).ToArray(), scored.GetColumn<float>("Probability").ToArray(),
                            sdca.GetColumn<float>("Probability").ToArray(), $"{s.Cell} (MlNetRnn)", "bag of words (ML.NET SDCA)", ours.Auc!.Value, first.Auc!.Value)
                        : ClassificationPlot.Confusion(Confusion(ml, scored, classes.Length), classes, string.Create(CultureInfo.InvariantCulture, $"{s.Cell}: accuracy {ours.Accuracy:F3}"));
                }
                else
                {
                    fitted.Dispose();
                }
            }

            string onnxPath = Path.Combine(dir, "model.onnx"), zipPath = Path.Combine(dir, "model.zip"), pngPath = Path.Combine(dir, plotName), summaryPath = Path.Combine(dir, "summary.json");
            byte[] zip;
            using (var stream = new MemoryStream())
            {
                modelContext!.Model.Save(model!, modelSchema!, stream);
                zip = stream.ToArray();
            }
            var summary = Summarize(splitRows, binary) with
            {
                Data = data.Source, Kind = binary ? "binary" : "multiclass", Classes = classes, Evaluation = s.Tuning ? "inner_validation" : "test",
                TrainRows = firstTrain.Length, TestRows = firstTest.Length,
                Baseline = BagOfWordsBaselines.SdcaName(binary), SecondBaseline = BagOfWordsBaselines.PerceptronName(binary),
                WordVectors = model!.WordVectorsDescription, ParityMaxAbsDiff = model.Parity!.MaxAbsDiff, VocabularySize = model.Vocabulary.Count,
                Cell = s.Cell.ToString(), Hidden = s.Hidden, Pooling = s.Pooling.ToString(), Seed = s.Seed,
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

            WriteTable(console, summary, binary);
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"The model written is split 1's: ONNX parity (ONNX Runtime vs TorchSharp) max abs diff {model.Parity.MaxAbsDiff:G3}; vocabulary {model.Vocabulary.Count} words; training took {summary.TrainSecondsMean:F1} s per split on average."));
            if (s.Checkpoint.Describe(splitRows[0].ResumedEpochs) is { } checkpointLine)
                console.MarkupLine(Markup.Escape(checkpointLine));
            console.MarkupLine($"Wrote [green]{Markup.Escape(dir)}[/]: model.onnx, model.zip, {plotName}, summary.json");
            return summary;
        }
        finally
        {
            model?.Dispose();
        }
    }

    /// <summary>Means and standard deviations from the per-split rows (the only place they are computed).</summary>
    internal static ClassifySummary Summarize(IReadOnlyList<ClassifySplitRow> rows, bool binary)
    {
        double? Mean(Func<ClassifySplitRow, double?> f) => SplitStatistics.Mean(rows.Select(f)) is { } m ? Math.Round(m, 4) : null;
        double? Sd(Func<ClassifySplitRow, double?> f) => SplitStatistics.StandardDeviation(rows.Select(f)) is { } m ? Math.Round(m, 4) : null;
        return new ClassifySummary
        {
            Splits = rows.Count,
            AccuracyMean = Mean(r => r.Accuracy)!.Value, AccuracySd = Sd(r => r.Accuracy)!.Value,
            AucMean = binary ? Mean(r => r.Auc) : null, AucSd = binary ? Sd(r => r.Auc) : null,
            F1Mean = binary ? Mean(r => r.F1) : null, F1Sd = binary ? Sd(r => r.F1) : null,
            MacroAccuracyMean = binary ? null : Mean(r => r.MacroAccuracy),
            BaselineAccuracyMean = Mean(r => r.BaselineAccuracy)!.Value, BaselineAccuracySd = Sd(r => r.BaselineAccuracy)!.Value,
            BaselineAucMean = binary ? Mean(r => r.BaselineAuc) : null, BaselineF1Mean = binary ? Mean(r => r.BaselineF1) : null,
            SecondBaselineAccuracyMean = Mean(r => r.SecondBaselineAccuracy)!.Value, SecondBaselineAccuracySd = Sd(r => r.SecondBaselineAccuracy)!.Value,
            SecondBaselineAucMean = binary ? Mean(r => r.SecondBaselineAuc) : null, SecondBaselineF1Mean = binary ? Mean(r => r.SecondBaselineF1) : null,
            TrainSecondsMean = Mean(r => r.TrainSeconds)!.Value,
            PerSplit = rows.ToArray(),
        };
    }

    /// <summary>The seeded 80/20 split; with <paramref name="tuning"/>, the training part is split again and its inner 20% is scored instead.</summary>
    private static (Row[] Train, Row[] Test) Split(Row[] rows, int seed, double testFraction, bool tuning)
    {
        var order = Enumerable.Range(0, rows.Length).ToArray();
        new Random(seed).Shuffle(order);
        int testCount = Math.Max(1, (int)Math.Round(rows.Length * testFraction));
        var train = order[..^testCount].Select(i => rows[i]).ToArray();
        var test = order[^testCount..].Select(i => rows[i]).ToArray();
        return tuning ? Split(train, seed + 1_000_003, testFraction, false) : (train, test);
    }

    private static TextClassifierTransformer Train(MLContext ml, IDataView train, ClassifySettings s, WordVectors? vectors, int seed, int split,
        IAnsiConsole console, CancellationToken cancellationToken)
    {
        TextClassifierTransformer model = null!;
        var checkpoint = s.Checkpoint.Directory is { } folder && s.Splits > 1 ? Path.Combine(folder, $"split{split + 1}") : s.Checkpoint.Directory;
        console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"split {split + 1}/{s.Splits}", maxValue: s.Epochs);
                var options = new TextClassifierOptions
                {
                    Cell = s.Cell, HiddenSize = s.Hidden, NumberOfLayers = s.Layers, Bidirectional = s.Bidirectional, Dropout = s.Dropout,
                    Pooling = s.Pooling, WideTokens = s.Wide, WordDropout = s.WordDropout, WordVectorVocabulary = s.VectorVocabulary, EnsembleSize = s.Members, MaskedPadding = !s.Packed, MaxLength = s.MaxLength, Epochs = s.Epochs, Seed = seed, Device = s.Device,
                    WordVectors = vectors, WordVectorTraining = s.VectorTraining, WordVectorLearningRateScale = s.VectorLearningRateScale,
                    WordVectorFrozenEpochs = s.VectorFrozenEpochs, NgramNaiveBayes = s.Ngrams, NgramWeight = s.NgramWeight,
                    CheckpointDirectory = checkpoint, Resume = s.Checkpoint.Resume, InferenceDevice = s.Device,
                    CancellationToken = cancellationToken,
                    Progress = new SynchronousProgress<TrainingProgress>(p =>
                    {
                        task.Value = p.Epoch;
                        string member = p.Members > 1 ? string.Create(CultureInfo.InvariantCulture, $", member {p.Member + 1}/{p.Members}") : "";
                        task.Description = string.Create(CultureInfo.InvariantCulture, $"split {split + 1}/{s.Splits}{member}, epoch {p.Epoch}: train {p.TrainLoss:F4} val {p.ValidationLoss:F4} (best {p.BestEpoch})");
                    }),
                };
                if (vectors is null || s.EmbeddingGiven)
                    options.EmbeddingSize = s.Embedding;
                model = ml.Rnn().TextClassifier(options).Fit(train);
                task.Value = task.MaxValue;
            });
        return model;
    }

    private static WordVectors? LoadVectors(ClassifySettings s)
    {
        if (s.Embeddings == ClassifySettings.NoEmbeddings)
            return null;
        if (s.Embeddings is { } path)
            return WordVectors.Load(Path.GetFullPath(path), s.EmbeddingGiven ? s.Embedding : null);
        using var stream = typeof(ClassifyJob).Assembly.GetManifestResourceStream($"MlNetRnn.Cli.Data.{EmbeddedVectorsName}")
            ?? throw new InvalidOperationException($"The embedded word vectors {EmbeddedVectorsName} are missing from the build.");
        return WordVectors.Load(stream, EmbeddedVectorsName, s.EmbeddingGiven ? s.Embedding : null);
    }

    private static SplitScores Score(MLContext ml, IDataView scored, bool binary, bool calibrated = true)
    {
        if (binary)
        {
            var m = calibrated ? ml.BinaryClassification.Evaluate(scored) : ml.BinaryClassification.EvaluateNonCalibrated(scored);
            return new SplitScores(m.Accuracy, m.AreaUnderRocCurve, m.F1Score, null);
        }
        var mc = ml.MulticlassClassification.Evaluate(scored);
        return new SplitScores(mc.MicroAccuracy, null, null, mc.MacroAccuracy);
    }

    private static int[,] Confusion(MLContext ml, IDataView scored, int classes)
    {
        var m = ml.MulticlassClassification.Evaluate(scored);
        var counts = new int[classes, classes];
        for (int r = 0; r < classes; r++)
        for (int c = 0; c < classes; c++)
            counts[r, c] = (int)m.ConfusionMatrix.Counts[r][c];
        return counts;
    }

    private static void WriteTable(IAnsiConsole console, ClassifySummary summary, bool binary)
    {
        string F(double? v) => v is { } x ? x.ToString("F3", CultureInfo.InvariantCulture) : "-";
        string Pm(double? mean, double? sd) => mean is null ? "-" : sd is null ? F(mean) : $"{F(mean)} ± {F(sd)}";
        var table = new Table().AddColumn(summary.Evaluation == "test" ? "test splits" : "inner validation")
            .AddColumn(new TableColumn("accuracy (mean ± sd)").RightAligned())
            .AddColumn(new TableColumn(binary ? "AUC" : "macro acc.").RightAligned())
            .AddColumn(new TableColumn(binary ? "F1" : "").RightAligned());
        table.AddRow($"{summary.Cell} (MlNetRnn)", Pm(summary.AccuracyMean, summary.AccuracySd), binary ? Pm(summary.AucMean, summary.AucSd) : F(summary.MacroAccuracyMean),
            binary ? Pm(summary.F1Mean, summary.F1Sd) : "");
        table.AddRow(Markup.Escape(summary.Baseline), Pm(summary.BaselineAccuracyMean, summary.BaselineAccuracySd), binary ? F(summary.BaselineAucMean) : "-", binary ? F(summary.BaselineF1Mean) : "");
        table.AddRow(Markup.Escape(summary.SecondBaseline), Pm(summary.SecondBaselineAccuracyMean, summary.SecondBaselineAccuracySd), binary ? F(summary.SecondBaselineAucMean) : "-",
            binary ? F(summary.SecondBaselineF1Mean) : "");
        console.Write(table);
    }

    private static double Round(double v) => Math.Round(v, 4);

    private static double? Round(double? v) => v is { } x ? Math.Round(x, 4) : null;
}
