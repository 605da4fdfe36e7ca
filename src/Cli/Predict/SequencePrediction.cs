using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace MlNetRnn.Cli.Predict;

/// <summary>
/// <c>predict</c> for a float-sequence classifier or regressor: every row of a CSV/TSV (each column a value, in order; the model's label
/// column, when present, is carried along, not read) scored in batches through the deployable ONNX graph.
/// </summary>
internal static class SequencePrediction
{
    internal static readonly string[] OwnedFiles = { "predictions.csv", "summary.json" };

    /// <summary>What the command writes to <c>summary.json</c>.</summary>
    internal sealed record Summary
    {
        [JsonPropertyName("task")] public string Task { get; init; } = SequenceModelTransformer.TaskName;
        [JsonPropertyName("model")] public string Model { get; init; } = "";
        [JsonPropertyName("data")] public string Data { get; init; } = "";
        [JsonPropertyName("kind")] public string Kind { get; init; } = "";
        [JsonPropertyName("labels")] public string[] Labels { get; init; } = Array.Empty<string>();
        [JsonPropertyName("rows")] public int Rows { get; init; }
        [JsonPropertyName("predicted_counts")] public Dictionary<string, int>? PredictedCounts { get; init; }
        [JsonPropertyName("accuracy")] public double? Accuracy { get; init; }
        [JsonPropertyName("seconds")] public double Seconds { get; init; }
        [JsonPropertyName("rows_per_second")] public double RowsPerSecond { get; init; }
    }

    public static Summary Run(PredictSettings s, IAnsiConsole console)
    {
        if (s.Column is not null)
            throw new ArgumentException("--column does not apply to a float-sequence model: every column of --data but the model's label column is a value.");
        byte[] onnx;
        if (SavedModelTask.IsOnnx(s.ModelPath))
        {
            onnx = File.ReadAllBytes(s.ModelPath);
            OnnxModelImporter.VerifyWeights(onnx, $"'{s.ModelPath}'", Path.GetDirectoryName(Path.GetFullPath(s.ModelPath)));
        }
        else
        {
            using var model = new Microsoft.ML.MLContext(seed: 1).Rnn().LoadSequenceModel(s.ModelPath);
            onnx = model.GetOnnxModel();
        }
        var metadata = OnnxModelInfo.Read(onnx).Metadata;
        string kind = Require(metadata, SequenceModelTransformer.MetadataKind, s.ModelPath);
        string[] labels = JsonSerializer.Deserialize<string[]>(Require(metadata, SequenceModelTransformer.MetadataLabels, s.ModelPath)) ?? Array.Empty<string>();
        // A model of any length reads shorter rows too: a row's first empty field ends its sequence.
        bool anyLength = metadata.GetValueOrDefault(OnnxMetadataKeys.FlattenedAnySteps) == "true";
        var table = SequenceTable.LoadForScoring(s.DataPath, metadata.GetValueOrDefault(OnnxMetadataKeys.LabelColumn), ragged: anyLength);
        string dir = Path.GetFullPath(s.OutputDirectory);
        using var output = OutputSet.Open(dir, OwnedFiles, ModelSizeEstimate.ReportBytes);

        bool regression = kind == "regression", binary = kind == "binary";
        string outputName = regression ? SequenceOnnxNames.Output : SequenceOnnxNames.Probabilities;
        var clock = Stopwatch.StartNew();
        var scores = anyLength ? ScoreRagged(onnx, table, metadata, outputName, s) : ScoreFixed(onnx, table, outputName, s);
        double seconds = clock.Elapsed.TotalSeconds;

        string Predicted(float[] p) => regression ? CsvText.Number(p[0]) : binary ? labels[p[0] > 0.5f ? 1 : 0] : labels[Array.IndexOf(p, p.Max())];
        var csv = new StringBuilder("line,").Append(regression ? "predicted_value" : "predicted_label");
        if (!regression)
            csv.Append(',').AppendJoin(',', binary ? new[] { CsvText.Field("probability_" + labels[1]) } : labels.Select(l => CsvText.Field("probability_" + l)));
        csv.Append('\n');
        for (int i = 0; i < scores.Length; i++)
        {
            csv.Append(table.Lines[i].ToString(CultureInfo.InvariantCulture)).Append(',').Append(CsvText.Field(Predicted(scores[i])));
            if (!regression)
                csv.Append(',').AppendJoin(',', scores[i].Select(CsvText.Number));
            csv.Append('\n');
        }
        var predicted = scores.Select(Predicted).ToArray();
        bool labelled = !regression && table.Labels.All(l => l.Length > 0);
        var summary = new Summary
        {
            Model = Path.GetFullPath(s.ModelPath), Data = Path.GetFullPath(s.DataPath), Kind = kind, Labels = labels, Rows = scores.Length,
            PredictedCounts = regression ? null : labels.ToDictionary(l => l, l => predicted.Count(p => p == l)),
            // A file that still holds the label column gets its accuracy too (binary labels are compared as the model names them).
            Accuracy = labelled && !binary ? Math.Round(predicted.Zip(table.Labels).Average(p => p.First == p.Second ? 1.0 : 0.0), 4) : null,
            Seconds = seconds, RowsPerSecond = scores.Length / Math.Max(seconds, 1e-9),
        };
        output.AddText("predictions.csv", csv.ToString());
        output.AddText("summary.json", JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
        output.Commit();
        console.MarkupLine(Markup.Escape($"mlnet-rnn predict: float-sequence {kind} model {Path.GetFileName(s.ModelPath)} on {scores.Length} rows of {s.DataPath}; no training.") +
                           (summary.Accuracy is { } a ? string.Create(CultureInfo.InvariantCulture, $" Accuracy against its label column: {a:F4}.") : ""));
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"Scored in {seconds:F3} s ({summary.RowsPerSecond:N0} rows/s). Wrote [green]{Markup.Escape(dir)}[/]: predictions.csv, summary.json"));
        return summary;
    }

    private static float[][] ScoreFixed(byte[] onnx, SequenceTable table, string outputName, PredictSettings s)
    {
        using var scorer = new OnnxBatchScorer(onnx, SequenceOnnxNames.Input, outputName, new OnnxScoringOptions { BatchSize = s.BatchSize });
        if (table.FeatureNames.Length != scorer.InputWidth)
            throw new ArgumentException($"{table.Source} has {table.FeatureNames.Length} value columns, but the model reads {scorer.InputWidth} values per sequence. " +
                                        "Give it the columns the model was trained on (its label column may stay in the file).");
        return scorer.Score(table.Features);
    }

    private static float[][] ScoreRagged(byte[] onnx, SequenceTable table, IReadOnlyDictionary<string, string> metadata, string outputName, PredictSettings s)
    {
        int perStep = int.Parse(Require(metadata, SequenceModelTransformer.MetadataFeaturesPerStep, s.ModelPath), CultureInfo.InvariantCulture);
        using var scorer = new OnnxRaggedScorer(onnx, perStep, outputName, new OnnxScoringOptions { BatchSize = s.BatchSize });
        for (int i = 0; i < table.Features.Length; i++)
        {
            if (table.Features[i].Length % perStep != 0)
                throw new ArgumentException($"{table.Source}, line {table.Lines[i]}: {table.Features[i].Length} values, which is not whole steps of {perStep} features.");
        }
        var flat = scorer.Score(table.Features.Select(f => (ReadOnlyMemory<float>)f).ToArray());
        return Enumerable.Range(0, table.Features.Length).Select(i => flat.AsSpan(i * scorer.OutputWidth, scorer.OutputWidth).ToArray()).ToArray();
    }

    private static string Require(IReadOnlyDictionary<string, string> metadata, string key, string path) =>
        metadata.TryGetValue(key, out var value) ? value : throw new InvalidDataException($"'{path}' lacks the metadata key '{key}'; it was not saved by MlNetRnn's float-sequence estimators.");
}
