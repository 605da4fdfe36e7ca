using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML;
using Spectre.Console;

namespace MlNetRnn.Cli.Predict;

/// <summary>
/// <c>predict</c> for a sequence tagger: the sentences of a UTF-8 text file (one per line, tokens separated by whitespace), or of a
/// tagged corpus (<c>word&lt;TAB&gt;tag</c> per line, then the accuracy against its tags too), tagged many per ONNX Runtime call.
/// </summary>
internal static class TaggerPrediction
{
    internal static readonly string[] OwnedFiles = { "tags.csv", "summary.json" };

    /// <summary>What the command writes to <c>summary.json</c>.</summary>
    internal sealed record Summary
    {
        [JsonPropertyName("task")] public string Task { get; init; } = SequenceTaggerTransformer.TaskName;
        [JsonPropertyName("model")] public string Model { get; init; } = "";
        [JsonPropertyName("data")] public string Data { get; init; } = "";
        [JsonPropertyName("format")] public string Format { get; init; } = "";
        [JsonPropertyName("sentences")] public int Sentences { get; init; }
        [JsonPropertyName("tokens")] public long Tokens { get; init; }
        [JsonPropertyName("accuracy")] public double? Accuracy { get; init; }
        [JsonPropertyName("seconds")] public double Seconds { get; init; }
        [JsonPropertyName("tokens_per_second")] public double TokensPerSecond { get; init; }
    }

    public static Summary Run(PredictSettings s, IAnsiConsole console)
    {
        if (s.Column is not null)
            throw new ArgumentException("--column does not apply to a tagger: --data holds one sentence per line (tokens separated by spaces) or 'word<TAB>tag' lines.");
        InputFile.RequireFile(s.DataPath, "Data file", "--data");
        string content = InputFile.ReadUtf8Text(s.DataPath, "Data file", "--data");
        string dir = Path.GetFullPath(s.OutputDirectory);
        var (sentences, gold, lines, format) = Read(content, s.DataPath);
        using var output = OutputSet.Open(dir, OwnedFiles, ModelSizeEstimate.ReportBytes + sentences.Sum(t => (long)t.Length) * 64);

        var options = new OnnxScoringOptions { BatchSize = s.BatchSize };
        IReadOnlyList<TaggedTokens> tagged;
        var clock = new Stopwatch();
        if (SavedModelTask.IsOnnx(s.ModelPath))
        {
            byte[] bytes = File.ReadAllBytes(s.ModelPath);
            OnnxModelImporter.VerifyWeights(bytes, $"'{s.ModelPath}'");
            using var scorer = new OnnxTaggerScorer(bytes, options);
            clock.Start();
            tagged = scorer.Tag(sentences);
        }
        else
        {
            using var model = new MLContext(seed: 1).Rnn().LoadSequenceTagger(s.ModelPath);
            clock.Start();
            tagged = model.Tag(sentences, options);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        long tokens = sentences.Sum(t => (long)t.Length);
        double? accuracy = gold is null ? null
            : SequenceTaggerEvaluator.Evaluate(sentences, gold, tagged.Select(t => t.Tags).ToArray()).TokenAccuracy;

        var csv = new StringBuilder("line,token,tag,probability\n");
        for (int i = 0; i < sentences.Length; i++)
        {
            for (int t = 0; t < sentences[i].Length; t++)
            {
                int line = lines[i][t];
                csv.Append(string.Create(CultureInfo.InvariantCulture,
                    $"{line},{CsvText.Field(sentences[i][t])},{CsvText.Field(tagged[i].Tags[t])},{CsvText.Number(tagged[i].Probabilities[t])}\n"));
            }
        }
        var summary = new Summary
        {
            Model = Path.GetFullPath(s.ModelPath), Data = Path.GetFullPath(s.DataPath), Format = format, Sentences = sentences.Length, Tokens = tokens,
            Accuracy = accuracy, Seconds = seconds, TokensPerSecond = tokens / Math.Max(seconds, 1e-9),
        };
        output.AddText("tags.csv", csv.ToString());
        output.AddText("summary.json", JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
        output.Commit();

        console.MarkupLine($"[bold]mlnet-rnn predict[/]: tagger {Markup.Escape(Path.GetFileName(s.ModelPath))} on {sentences.Length} sentences ({tokens:N0} tokens) of {Markup.Escape(s.DataPath)}; no training.");
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"{(accuracy is { } a ? $"Token accuracy against the file's tags {a:P2}; " : "")}tagged in {seconds:F2} s. Wrote [green]{Markup.Escape(dir)}[/]: tags.csv, summary.json"));
        return summary;
    }

    /// <summary>
    /// Sentences of the file: a tagged corpus when every content line has exactly one tab (blank lines between sentences, # comments),
    /// else one sentence per non-blank line split at whitespace. Returns each token's line number.
    /// </summary>
    private static (string[][] Sentences, string[][]? Gold, int[][] Lines, string Format) Read(string content, string path)
    {
        var all = content.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        var contentLines = all.Where(l => l.Trim().Length > 0 && !l.StartsWith('#')).ToArray();
        if (contentLines.Length == 0)
            throw new FormatException($"{path}: no sentence to tag; put one sentence per line (tokens separated by spaces), or 'word<TAB>tag' lines.");
        if (contentLines.All(l => l.Count(c => c == '\t') == 1))
        {
            var corpus = Tag.TaggedCorpus.Parse(content, $"'{path}'");
            return (corpus.Tokens.ToArray(), corpus.Tags.ToArray(), corpus.TokenLines.ToArray(), "tagged");
        }
        var sentences = new List<string[]>();
        var lines = new List<int[]>();
        for (int i = 0; i < all.Length; i++)
        {
            var tokens = all[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length == 0 || all[i].StartsWith('#'))
                continue;
            sentences.Add(tokens);
            lines.Add(Enumerable.Repeat(i + 1, tokens.Length).ToArray());
        }
        return (sentences.ToArray(), null, lines.ToArray(), "sentences");
    }
}
