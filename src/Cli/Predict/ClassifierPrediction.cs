using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Spectre.Console;

namespace MlNetRnn.Cli.Predict;

/// <summary>
/// <c>predict</c> for a text classifier: the predicted label and the class probabilities of every text in a column, through the
/// deployable ONNX graph (from the <c>.onnx</c> file, or the one a <c>model.zip</c> rebuilds) and the same ML.NET normalising and
/// word splitting the model was trained with.
/// </summary>
internal static class ClassifierPrediction
{
    internal static readonly string[] OwnedFiles = { "predictions.csv", "summary.json" };

    /// <summary>What the command writes to <c>summary.json</c>.</summary>
    internal sealed record Summary
    {
        [JsonPropertyName("task")] public string Task { get; init; } = TextClassifierTransformer.TaskName;
        [JsonPropertyName("model")] public string Model { get; init; } = "";
        [JsonPropertyName("data")] public string Data { get; init; } = "";
        [JsonPropertyName("column")] public string Column { get; init; } = "";
        [JsonPropertyName("kind")] public string Kind { get; init; } = "";
        [JsonPropertyName("labels")] public string[] Labels { get; init; } = Array.Empty<string>();
        [JsonPropertyName("rows")] public int Rows { get; init; }
        [JsonPropertyName("predicted_counts")] public Dictionary<string, int> PredictedCounts { get; init; } = new();
        [JsonPropertyName("seconds")] public double Seconds { get; init; }
        [JsonPropertyName("rows_per_second")] public double RowsPerSecond { get; init; }
    }

    /// <summary>One scored text.</summary>
    internal readonly record struct Row(int Line, string Label, float[] Probabilities);

    public static Summary Run(PredictSettings s, IAnsiConsole console)
    {
        var texts = TextColumnFile.Load(s.DataPath, s.Column ?? "text");
        string dir = Path.GetFullPath(s.OutputDirectory);
        using var output = OutputSet.Open(dir, OwnedFiles, ModelSizeEstimate.ReportBytes);
        var ml = new MLContext(seed: 1);
        byte[] onnx;
        if (SavedModelTask.IsOnnx(s.ModelPath))
        {
            onnx = File.ReadAllBytes(s.ModelPath);
            OnnxModelImporter.VerifyWeights(onnx, $"'{s.ModelPath}'", Path.GetDirectoryName(Path.GetFullPath(s.ModelPath)));
        }
        else
        {
            using var model = ml.Rnn().LoadTextClassifier(s.ModelPath);
            onnx = model.GetOnnxModel();
        }
        var metadata = OnnxModelInfo.Read(onnx).Metadata;
        bool binary = Require(metadata, TextClassifierTransformer.MetadataKind, s.ModelPath) == "binary";
        bool lowerCase = Require(metadata, TextClassifierTransformer.MetadataLowerCase, s.ModelPath) == "true";
        string[] labels = ReadLabels(Require(metadata, TextClassifierTransformer.MetadataLabels, s.ModelPath), s.ModelPath);

        var clock = Stopwatch.StartNew();
        var rows = Score(ml, onnx, texts, labels, binary, lowerCase, s.BatchSize);
        double seconds = clock.Elapsed.TotalSeconds;

        var csv = new StringBuilder("line,predicted_label,");
        csv.AppendJoin(',', binary ? new[] { CsvText.Field("probability_" + labels[1]) } : labels.Select(l => CsvText.Field("probability_" + l)));
        csv.Append(",text\n");
        for (int i = 0; i < rows.Length; i++)
        {
            csv.Append(rows[i].Line.ToString(CultureInfo.InvariantCulture)).Append(',').Append(CsvText.Field(rows[i].Label)).Append(',');
            csv.AppendJoin(',', rows[i].Probabilities.Select(CsvText.Number));
            csv.Append(',').Append(CsvText.Field(texts.Texts[i])).Append('\n');
        }
        var counts = labels.ToDictionary(l => l, l => 0);
        foreach (var row in rows)
            counts[row.Label]++;
        var summary = new Summary
        {
            Model = Path.GetFullPath(s.ModelPath), Data = Path.GetFullPath(s.DataPath), Column = texts.Column, Kind = binary ? "binary" : "multiclass",
            Labels = labels, Rows = rows.Length, PredictedCounts = counts, Seconds = seconds, RowsPerSecond = rows.Length / Math.Max(seconds, 1e-9),
        };
        output.AddText("predictions.csv", csv.ToString());
        output.AddText("summary.json", JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
        output.Commit();

        console.MarkupLine($"[bold]mlnet-rnn predict[/]: text classifier {Markup.Escape(Path.GetFileName(s.ModelPath))} ({summary.Kind}: " +
                           $"{Markup.Escape(string.Join(", ", labels))}) on {rows.Length} texts of column '{Markup.Escape(texts.Column)}' in {Markup.Escape(s.DataPath)}; no training.");
        var table = new Table().AddColumn("predicted label").AddColumn(new TableColumn("texts").RightAligned());
        foreach (var (label, count) in counts)
            table.AddRow(Markup.Escape(label), count.ToString(CultureInfo.InvariantCulture));
        console.Write(table);
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"Scored in {seconds:F2} s ({summary.RowsPerSecond:N0} texts/s). Wrote [green]{Markup.Escape(dir)}[/]: predictions.csv, summary.json"));
        return summary;
    }

    /// <summary>Splits the texts into words as the model's training did, then scores them in batches with the deployable graph.</summary>
    internal static Row[] Score(MLContext ml, byte[] onnx, TextColumnFile texts, string[] labels, bool binary, bool lowerCase, int batchSize)
    {
        var view = ml.Data.LoadFromEnumerable(texts.Texts.Select(t => new TextRow { Text = t }));
        var tokenized = TextClassifierTrainer.Preprocessing(ml, nameof(TextRow.Text), lowerCase).Fit(view).Transform(view);
        var words = new string[texts.Texts.Length][];
        using (var cursor = tokenized.GetRowCursor(new[] { tokenized.Schema[TextClassifierTrainer.TokensColumn] }))
        {
            var getter = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(tokenized.Schema[TextClassifierTrainer.TokensColumn]);
            var buffer = default(VBuffer<ReadOnlyMemory<char>>);
            for (int i = 0; cursor.MoveNext(); i++)
            {
                getter(ref buffer);
                words[i] = buffer.DenseValues().Select(w => w.ToString()).ToArray();
            }
        }
        using var scorer = new OnnxSequenceScorer(onnx, new OnnxScoringOptions { BatchSize = batchSize }, SequenceOnnxNames.Probabilities);
        var probabilities = scorer.Score(words);
        var rows = new Row[words.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            var p = probabilities[i];
            string label = binary ? labels[p[0] > 0.5f ? 1 : 0] : labels[ArgMax(p)];
            rows[i] = new Row(texts.Lines[i], label, p);
        }
        return rows;
    }

    private static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
                best = i;
        }
        return best;
    }

    private static string[] ReadLabels(string json, string path)
    {
        try
        {
            if (JsonSerializer.Deserialize<string[]>(json) is { Length: > 0 } labels && labels.All(l => l is not null))
                return labels;
        }
        catch (JsonException)
        {
        }
        throw new InvalidDataException($"'{path}': the label names in the model's metadata ('{TextClassifierTransformer.MetadataLabels}' = {json}) are not a JSON " +
                                       "array of strings; the file was altered or written by another tool.");
    }

    private static string Require(IReadOnlyDictionary<string, string> metadata, string key, string path) =>
        metadata.TryGetValue(key, out var value)
            ? value
            : throw new InvalidDataException($"'{path}' is marked as a text classifier but its metadata has no '{key}'; it was altered or written by another tool.");

    private sealed class TextRow
    {
        public string Text { get; set; } = "";
    }
}
