using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace MlNetRnn.Cli.Predict;

/// <summary>
/// <c>predict</c> for a language model: every non-blank line of a UTF-8 text file scored as one text, its mean negative
/// log-likelihood per token (nats) and perplexity, many lines per ONNX Runtime call (<see cref="LanguageModel.Losses"/>).
/// </summary>
internal static class LanguageModelPrediction
{
    internal static readonly string[] OwnedFiles = { "losses.csv", "summary.json" };

    /// <summary>What the command writes to <c>summary.json</c>.</summary>
    internal sealed record Summary
    {
        [JsonPropertyName("task")] public string Task { get; init; } = LanguageModelMetadata.TaskName;
        [JsonPropertyName("model")] public string Model { get; init; } = "";
        [JsonPropertyName("data")] public string Data { get; init; } = "";
        [JsonPropertyName("unit")] public string Unit { get; init; } = "";
        [JsonPropertyName("rows")] public int Rows { get; init; }
        [JsonPropertyName("tokens_predicted")] public long TokensPredicted { get; init; }

        /// <summary>Mean negative log-likelihood per predicted token over all lines (each token counts once), in nats.</summary>
        [JsonPropertyName("loss")] public double Loss { get; init; }
        [JsonPropertyName("perplexity")] public double Perplexity { get; init; }
        [JsonPropertyName("seconds")] public double Seconds { get; init; }
        [JsonPropertyName("rows_per_second")] public double RowsPerSecond { get; init; }
    }

    public static Summary Run(PredictSettings s, IAnsiConsole console)
    {
        if (!SavedModelTask.IsOnnx(s.ModelPath))
            throw new InvalidDataException($"'{s.ModelPath}' holds a language model, which this library saves as .onnx only; give the model.onnx that generate wrote.");
        InputFile.RequireFile(s.DataPath, "Data file", "--data");
        string content = InputFile.ReadUtf8Text(s.DataPath, "Data file", "--data");
        string dir = Path.GetFullPath(s.OutputDirectory);
        using var output = OutputSet.Open(dir, OwnedFiles, ModelSizeEstimate.ReportBytes);
        using var model = LanguageModel.Load(s.ModelPath);

        var texts = new List<string>();
        var lines = new List<int>();
        var tokens = new List<int>();
        string[] all = content.Split('\n');
        for (int i = 0; i < all.Length; i++)
        {
            string text = all[i].TrimEnd('\r');
            if (text.Trim().Length == 0)
                continue;
            // Checked here so that an unscorable line is named by its line number in the file, not its index among the texts.
            tokens.Add(model.Encode(text, string.Create(CultureInfo.InvariantCulture, $"line {i + 1} of {s.DataPath}")).Length - 1);
            texts.Add(text);
            lines.Add(i + 1);
        }
        if (texts.Count == 0)
            throw new FormatException($"{s.DataPath}: no non-blank line to score; put one text per line.");

        var clock = Stopwatch.StartNew();
        double[] losses = model.Losses(texts, new OnnxScoringOptions { BatchSize = s.BatchSize, IntraOpThreads = null });
        double seconds = clock.Elapsed.TotalSeconds;
        long predicted = tokens.Sum(t => (long)t);
        double total = 0;
        for (int i = 0; i < losses.Length; i++)
            total += losses[i] * tokens[i];
        double loss = total / predicted;

        var csv = new StringBuilder("line,tokens_predicted,loss,perplexity\n");
        for (int i = 0; i < losses.Length; i++)
            csv.Append(string.Create(CultureInfo.InvariantCulture, $"{lines[i]},{tokens[i]},{CsvText.Number(losses[i])},{CsvText.Number(Math.Exp(losses[i]))}\n"));
        var summary = new Summary
        {
            Model = Path.GetFullPath(s.ModelPath), Data = Path.GetFullPath(s.DataPath), Unit = model.Unit.ToString().ToLowerInvariant(), Rows = texts.Count,
            TokensPredicted = predicted, Loss = loss, Perplexity = Math.Exp(loss), Seconds = seconds, RowsPerSecond = texts.Count / Math.Max(seconds, 1e-9),
        };
        output.AddText("losses.csv", csv.ToString());
        output.AddText("summary.json", JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
        output.Commit();

        console.MarkupLine($"[bold]mlnet-rnn predict[/]: language model {Markup.Escape(Path.GetFileName(s.ModelPath))} on {texts.Count} lines of {Markup.Escape(s.DataPath)}; no training.");
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"Loss {loss:F4} nats per {summary.Unit} ({predicted:N0} predicted), perplexity {summary.Perplexity:F2}; scored in {seconds:F2} s. Wrote [green]{Markup.Escape(dir)}[/]: losses.csv, summary.json"));
        return summary;
    }
}
