using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Spectre.Console;

namespace MlNetRnn.Cli.Sequence;

/// <summary>
/// Trains the float-sequence classifier (or regressor) and an ML.NET linear baseline on the flat features (L-BFGS logistic regression /
/// maximum entropy, or SDCA regression, after min-max scaling) on each of K seeded 80/20 splits, stratified by class for classification;
/// evaluates both with ML.NET's evaluators, reports means and standard deviations, and writes split 1's model, a confusion matrix
/// (multiclass) and summary.json.
/// </summary>
internal static class SequenceJob
{
    private sealed class Row
    {
        public string Category { get; set; } = "";
        public bool Binary { get; set; }
        public float Value { get; set; }
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    private sealed class ClassName
    {
        public string Category { get; set; } = "";
    }

    /// <summary>Every file a sequence run may write; they are replaced together (see <see cref="OutputSet"/>).</summary>
    internal static readonly string[] OwnedFiles = { "model.onnx", "model.zip", "confusion.png", "summary.json" };

    public static SequenceSummary Run(SequenceSettings s, IAnsiConsole console, CancellationToken cancellationToken)
    {
        string dir = Path.GetFullPath(s.OutputDirectory);
        var table = s.DataPath is null ? SequenceTable.Digits() : SequenceTable.Load(Path.GetFullPath(s.DataPath), s.LabelColumn);
        int perStep = s.FeaturesPerStep ?? (s.DataPath is null ? 8 : 1);
        int width = table.FeatureNames.Length;
        if (width % perStep != 0)
            throw new ArgumentException($"{table.Source} has {width} feature columns, which is not a whole number of steps of --features-per-step {perStep}. Pass a divisor of {width}.");
        var classes = s.Regression ? Array.Empty<string>() : ClassOrder(table.Labels);
        if (!s.Regression && classes.Length < 2)
            throw new ArgumentException($"{table.Source}: the label column has a single value ('{classes[0]}'); a classifier needs at least two classes.");
        bool binary = classes.Length == 2;
        var rows = table.Labels.Select((label, i) => new Row
        {
            Category = label, Binary = binary && label == classes[1], Features = table.Features[i],
            Value = s.Regression ? ParseLabel(label, i, table.Source) : 0,
        }).ToArray();
        string kind = s.Regression ? "regression" : binary ? "binary" : "multiclass";
        long weights = s.Members * ModelSizeEstimate.WeightBytes(s.Cell, perStep, s.Hidden, s.Layers, s.Bidirectional, binary || s.Regression ? 1 : classes.Length, 0);
        using var output = OutputSet.Open(dir, OwnedFiles, 2 * weights + ModelSizeEstimate.ReportBytes);

        string metric = s.Regression ? "rmse" : "accuracy";
        console.MarkupLine(Markup.Escape($"mlnet-rnn sequence: {table.Source}, {rows.Length} sequences of {width / perStep} steps x {perStep} features ({kind}{(binary ? $", positive class '{classes[1]}'" : "")}); " +
                                         $"{s.Splits} split(s) (seeds {s.Seed}..{s.Seed + s.Splits - 1}), scored on {(s.Tuning ? "an inner 20% of each training part" : "the test split")}."));
        console.MarkupLine(Markup.Escape($"{(s.Members > 1 ? $"{s.Members} x " : "")}{s.Cell}, hidden {s.Hidden}, {s.Layers} layer(s){(s.Bidirectional ? ", bidirectional" : "")}, pooling {s.Pooling}, device {s.Device}."));

        var splitRows = new List<SequenceSplitRow>();
        SequenceModelTransformer? model = null;
        byte[]? zip = null;
        byte[]? png = null;
        try
        {
            for (int k = 0; k < s.Splits; k++)
            {
                int seed = s.Seed + k;
                var (trainRows, testRows) = Split(rows, seed, s.TestFraction, s.Tuning, !s.Regression);
                var ml = new MLContext(seed: seed);
                var definition = SchemaDefinition.Create(typeof(Row));
                definition[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
                IDataView train = ml.Data.LoadFromEnumerable(trainRows, definition), test = ml.Data.LoadFromEnumerable(testRows, definition);
                string label = s.Regression ? nameof(Row.Value) : binary ? nameof(Row.Binary) : "Label";
                if (!s.Regression && !binary)
                {
                    var toKey = ml.Transforms.Conversion.MapValueToKey("Label", nameof(Row.Category), keyData: ml.Data.LoadFromEnumerable(classes.Select(c => new ClassName { Category = c })))
                        .Fit(train);
                    train = toKey.Transform(train);
                    test = toKey.Transform(test);
                }
                var options = new SequenceModelOptions
                {
                    FeatureColumnName = nameof(Row.Features), LabelColumnName = label, FeaturesPerStep = perStep, Cell = s.Cell, HiddenSize = s.Hidden,
                    NumberOfLayers = s.Layers, Bidirectional = s.Bidirectional, Pooling = s.Pooling, EnsembleSize = s.Members, Epochs = s.Epochs,
                    Seed = seed, Device = s.Device, CancellationToken = cancellationToken,
                };
                var fitted = (s.Regression ? ml.Rnn().SequenceRegressor(options) : ml.Rnn().SequenceClassifier(options)).Fit(train);
                var baseline = Baseline(ml, label, s.Regression, binary).Fit(train).Transform(test);
                var scored = fitted.Transform(test);
                var (value, r2) = Score(ml, scored, label, s.Regression, binary);
                var (baselineValue, baselineR2) = Score(ml, baseline, label, s.Regression, binary);
                var history = fitted.History!;
                splitRows.Add(new SequenceSplitRow
                {
                    Split = k + 1, Seed = seed, TrainRows = trainRows.Length, TestRows = testRows.Length, Value = Round(value), BaselineValue = Round(baselineValue),
                    RSquared = r2 is { } x ? Round(x) : null, BaselineRSquared = baselineR2 is { } y ? Round(y) : null,
                    EpochsRun = history.EpochsRun, BestEpoch = history.BestEpoch, TrainSeconds = Math.Round(history.Duration.TotalSeconds, 3),
                });
                console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                    $"split {k + 1}/{s.Splits} (seed {seed}): {metric} {value:F4} (baseline {baselineValue:F4}), {history.EpochsRun} epochs, {history.Duration.TotalSeconds:F1} s"));
                if (k == 0)
                {
                    model = fitted;
                    using var stream = new MemoryStream();
                    ml.Model.Save(fitted, train.Schema, stream);
                    zip = stream.ToArray();
                    if (!s.Regression && !binary)
                        png = ClassificationPlot.Confusion(Confusion(ml, scored, classes.Length), classes, string.Create(CultureInfo.InvariantCulture, $"{s.Cell}: accuracy {value:F3}"));
                }
                else
                {
                    fitted.Dispose();
                }
            }

            var summary = Summarize(splitRows) with
            {
                Data = table.Source, Kind = kind, Evaluation = s.Tuning ? "inner_validation" : "test", Steps = width / perStep, FeaturesPerStep = perStep,
                Metric = metric, Baseline = BaselineName(s.Regression, binary), ParityMaxAbsDiff = model!.Parity!.MaxAbsDiff,
                Cell = s.Cell.ToString(), Hidden = s.Hidden, Pooling = s.Pooling.ToString(), Members = s.Members, Seed = s.Seed,
            };
            var files = new List<string> { "model.onnx", "model.zip", "summary.json" };
            if (png is not null)
                files.Insert(2, "confusion.png");
            summary = summary with { Files = files.Select(f => Path.Combine(dir, f)).ToArray() };
            output.Add("model.onnx", model.GetOnnxModel());
            output.Add("model.zip", zip!);
            if (png is not null)
                output.Add("confusion.png", png);
            output.AddText("summary.json", JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
            output.Commit();

            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[bold]{metric}[/] over {s.Splits} split(s): ours {summary.Mean:F4} ± {summary.Sd:F4}, {Markup.Escape(summary.Baseline)} {summary.BaselineMean:F4} ± {summary.BaselineSd:F4}; " +
                $"training {summary.TrainSecondsMean:F1} s per split."));
            console.MarkupLine($"Wrote [green]{Markup.Escape(dir)}[/]: {string.Join(", ", files)}");
            return summary;
        }
        finally
        {
            model?.Dispose();
        }
    }

    /// <summary>Means and standard deviations from the per-split rows (the only place they are computed).</summary>
    internal static SequenceSummary Summarize(IReadOnlyList<SequenceSplitRow> rows)
    {
        double Mean(Func<SequenceSplitRow, double?> f) => Math.Round(SplitStatistics.Mean(rows.Select(f)) ?? double.NaN, 4);
        double Sd(Func<SequenceSplitRow, double?> f) => Math.Round(SplitStatistics.StandardDeviation(rows.Select(f)) ?? double.NaN, 4);
        bool regression = rows.All(r => r.RSquared is not null);
        return new SequenceSummary
        {
            Splits = rows.Count,
            Mean = Mean(r => r.Value), Sd = Sd(r => r.Value),
            BaselineMean = Mean(r => r.BaselineValue), BaselineSd = Sd(r => r.BaselineValue),
            RSquaredMean = regression ? Mean(r => r.RSquared) : null, BaselineRSquaredMean = regression ? Mean(r => r.BaselineRSquared) : null,
            TrainSecondsMean = Mean(r => r.TrainSeconds),
            PerSplit = rows.ToArray(),
        };
    }

    private static IEstimator<ITransformer> Baseline(MLContext ml, string label, bool regression, bool binary)
    {
        var scale = ml.Transforms.NormalizeMinMax(nameof(Row.Features));
        if (regression)
            return scale.Append(ml.Regression.Trainers.Sdca(label, nameof(Row.Features)));
        return binary
            ? scale.Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression(label, nameof(Row.Features)))
            : scale.Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(label, nameof(Row.Features)));
    }

    private static string BaselineName(bool regression, bool binary) => regression
        ? "ML.NET SDCA regression on the min-max scaled flat features"
        : binary ? "ML.NET L-BFGS logistic regression on the min-max scaled flat features" : "ML.NET L-BFGS maximum entropy on the min-max scaled flat features";

    private static (double Value, double? RSquared) Score(MLContext ml, IDataView scored, string label, bool regression, bool binary)
    {
        if (regression)
        {
            var m = ml.Regression.Evaluate(scored, label);
            return (m.RootMeanSquaredError, m.RSquared);
        }
        return binary
            ? (ml.BinaryClassification.EvaluateNonCalibrated(scored, label).Accuracy, null)
            : (ml.MulticlassClassification.Evaluate(scored, label).MicroAccuracy, null);
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

    /// <summary>Class names in numeric order when every one is a number, else in ordinal order.</summary>
    private static string[] ClassOrder(IEnumerable<string> labels)
    {
        var distinct = labels.Distinct(StringComparer.Ordinal).ToArray();
        return distinct.All(l => double.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            ? distinct.OrderBy(l => double.Parse(l, CultureInfo.InvariantCulture)).ToArray()
            : distinct.Order(StringComparer.Ordinal).ToArray();
    }

    private static float ParseLabel(string label, int row, string source) =>
        float.TryParse(label, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && float.IsFinite(v)
            ? v
            : throw new ArgumentException($"{source}, data row {row + 1}: the label '{label}' is not a finite number; --regression needs a numeric label.");

    /// <summary>The seeded 80/20 split (per class when <paramref name="stratified"/>); with <paramref name="tuning"/>, the training part is split again and its inner 20% is scored instead.</summary>
    private static (Row[] Train, Row[] Test) Split(Row[] rows, int seed, double testFraction, bool tuning, bool stratified)
    {
        var random = new Random(seed);
        var groups = stratified ? rows.Select((r, i) => (r, i)).GroupBy(x => x.r.Category).Select(g => g.Select(x => x.i).ToArray()).ToArray()
                                : new[] { Enumerable.Range(0, rows.Length).ToArray() };
        var train = new List<Row>();
        var test = new List<Row>();
        foreach (var group in groups)
        {
            random.Shuffle(group);
            int testCount = Math.Max(1, (int)Math.Round(group.Length * testFraction));
            test.AddRange(group[..testCount].Select(i => rows[i]));
            train.AddRange(group[testCount..].Select(i => rows[i]));
        }
        // Class by class leaves the rows grouped; the trainer shuffles, but ML.NET's baselines see them in this order.
        var trainRows = train.ToArray();
        random.Shuffle(trainRows);
        return tuning ? Split(trainRows, seed + 1_000_003, testFraction, false, stratified) : (trainRows, test.ToArray());
    }

    private static double Round(double v) => Math.Round(v, 4);
}
