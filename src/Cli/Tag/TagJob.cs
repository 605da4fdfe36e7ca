using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Transforms.Text;
using Spectre.Console;

namespace MlNetRnn.Cli.Tag;

/// <summary>
/// Trains the sequence tagger on a tagged corpus (default: the embedded Brown training part) within a time budget, tags the test
/// corpus in batches, and reports token accuracy (all and unseen words) next to the most-frequent-tag baseline, the learning curve,
/// scoring speed (batched and ML.NET's row path) and per-tag F1; writes model.onnx, model.zip, tag-f1.png and summary.json as one set.
/// </summary>
internal static class TagJob
{
    private sealed class Row
    {
        [VectorType]
        public string[] Tokens { get; set; } = Array.Empty<string>();

        [VectorType]
        public string[] Tags { get; set; } = Array.Empty<string>();
    }

    /// <summary>Every file a tag run may write; they are replaced together (see <see cref="OutputSet"/>).</summary>
    internal static readonly string[] OwnedFiles = { "model.onnx", "model.zip", "tag-f1.png", "summary.json" };

    /// <summary>Sentences scored through ML.NET's row path to measure its speed (the whole test set would take minutes).</summary>
    private const int RowPathSentences = 500;

    public static TagSummary Run(TagSettings s, IAnsiConsole console, CancellationToken cancellationToken)
    {
        string dir = Path.GetFullPath(s.OutputDirectory);
        if (s.DataPath is not null && s.TestPath is null)
            throw new ArgumentException("--data needs --test: give the tagged sentences to evaluate on (the same word<TAB>tag format).");
        var train = s.DataPath is null ? TaggedCorpus.EmbeddedTrain() : TaggedCorpus.Load(Path.GetFullPath(s.DataPath), "--data");
        var test = s.TestPath is null ? TaggedCorpus.EmbeddedTest() : TaggedCorpus.Load(Path.GetFullPath(s.TestPath), "--test");
        var vectors = LoadVectors(s);
        using var output = OutputSet.Open(dir, OwnedFiles, 64L << 20);

        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"mlnet-rnn tag: training on {train.Source} ({train.Tokens.Count} sentences, {train.TokenCount} tokens), testing on {test.Source} " +
            $"({test.Tokens.Count} sentences, {test.TokenCount} tokens).")));
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"bidirectional {s.Cell}-{s.Hidden}, word vectors: {vectors?.Source ?? "none"}, spelling features: {(s.CharacterFeatures ? "on" : "off")}; " +
            $"at most {s.Epochs} epochs or {s.Minutes:G4} minutes.")));

        var baseline = new MostFrequentTagBaseline(train.Tokens, train.Tags);
        var knownWords = train.Tokens.SelectMany(t => t).ToHashSet(StringComparer.Ordinal);
        var testTokens = test.Tokens.Select(t => (IReadOnlyList<string>)t).ToArray();
        var gold = test.Tags.Select(t => (IReadOnlyList<string>)t).ToArray();
        var baselineMetrics = SequenceTaggerEvaluator.Evaluate(testTokens, gold, testTokens.Select(t => (IReadOnlyList<string>)baseline.Tag(t)).ToArray(), knownWords);

        var ml = new MLContext(seed: s.Seed);
        var data = ml.Data.LoadFromEnumerable(train.Tokens.Select((t, i) => new Row { Tokens = t, Tags = train.Tags[i] }));
        var options = new SequenceTaggerOptions
        {
            Cell = s.Cell, HiddenSize = s.Hidden, CharacterFeatures = s.CharacterFeatures, WordVectors = vectors, Epochs = s.Epochs,
            Patience = s.Patience, LearningRateSchedule = s.Schedule, EmbeddingDropout = s.EmbeddingDropout,
            TimeBudget = TimeSpan.FromMinutes(s.Minutes), Seed = s.Seed, Device = s.Device, CancellationToken = cancellationToken,
            Progress = new SynchronousProgress<TrainingProgress>(p => console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {p.Epoch}: train loss {p.TrainLoss:F4}{(p.ValidationLoss is { } v ? $", validation loss {v:F4}" : "")}, {p.Elapsed.TotalSeconds:F0} s"))),
        };
        using var model = ml.Rnn().SequenceTagger(options).Fit(data);

        // The first call opens the ONNX Runtime session; timing starts after it, as the row path's does.
        model.Tag(testTokens.Take(8).ToArray());
        var clock = Stopwatch.StartNew();
        var tagged = model.Tag(testTokens);
        double batchedSeconds = clock.Elapsed.TotalSeconds;
        // The same with ONNX Runtime's own thread count (all cores), which ML.NET's row path uses.
        var allThreads = new OnnxScoringOptions { IntraOpThreads = null };
        model.Tag(testTokens.Take(8).ToArray(), allThreads);
        clock.Restart();
        model.Tag(testTokens, allThreads);
        double allThreadsSeconds = clock.Elapsed.TotalSeconds;
        var metrics = SequenceTaggerEvaluator.Evaluate(testTokens, gold, tagged.Select(t => t.Tags).ToArray(), knownWords, model.Tags);
        if (metrics.UnseenTagTokens > 0)
            console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"note: {metrics.UnseenTagTokens} test token(s) carry tags never seen in training ({string.Join(", ", metrics.UnseenTags.Take(10))}); the model cannot produce them, so they count as errors.")));
        double rowPath = RowPathSpeed(ml, model, test);

        var history = model.History!;
        var perTag = metrics.PerTag.Select(m => new TagRow { Tag = m.Tag, Precision = Round(m.Precision), Recall = Round(m.Recall), F1 = Round(m.F1), Support = m.Support }).ToArray();
        var curve = history.TrainLoss.Select((loss, i) => new TagEpochRow
        {
            Epoch = i + 1, TrainLoss = Round(loss),
            ValidationLoss = i < history.ValidationLoss.Count ? Round(history.ValidationLoss[i]) : null,
            ValidationAccuracy = i < model.ValidationAccuracy.Count ? Round(model.ValidationAccuracy[i]) : null,
        }).ToArray();
        var files = OwnedFiles.Select(f => Path.Combine(dir, f)).ToArray();
        var summary = new TagSummary
        {
            TrainData = train.Source, TestData = test.Source, TrainSentences = train.Tokens.Count, TrainTokens = train.TokenCount,
            TestSentences = test.Tokens.Count, TestTokens = test.TokenCount, OovTokens = metrics.UnknownTokens, UnseenTagTokens = metrics.UnseenTagTokens,
            Accuracy = Round(metrics.TokenAccuracy), OovAccuracy = Round(metrics.UnknownTokenAccuracy), SentenceAccuracy = Round(metrics.SentenceAccuracy),
            MacroF1 = Round(metrics.MacroF1),
            Baseline = "most frequent tag per word (as written, then lower-cased, else the commonest tag)",
            BaselineAccuracy = Round(baselineMetrics.TokenAccuracy), BaselineOovAccuracy = Round(baselineMetrics.UnknownTokenAccuracy),
            TrainSeconds = Math.Round(history.Duration.TotalSeconds, 1), StoppedByTimeBudget = model.StoppedByTimeBudget,
            EpochsRun = history.EpochsRun, BestEpoch = history.BestEpoch, LearningCurve = curve,
            BatchedTokensPerSecond = Math.Round(test.TokenCount / batchedSeconds), RowPathTokensPerSecond = Math.Round(rowPath),
            BatchedAllThreadsTokensPerSecond = Math.Round(test.TokenCount / allThreadsSeconds),
            ParityMaxAbsDiff = model.Parity!.MaxAbsDiff, WordVectors = vectors?.Source, CharacterFeatures = s.CharacterFeatures,
            Cell = s.Cell.ToString(), Hidden = s.Hidden, VocabularySize = model.Vocabulary.Count, Tags = model.Tags.Count, Seed = s.Seed,
            PerTag = perTag, Files = files,
        };

        output.Add("model.onnx", model.GetOnnxModel());
        using (var stream = new MemoryStream())
        {
            ml.Model.Save(model, data.Schema, stream);
            output.Add("model.zip", stream.ToArray());
        }
        output.Add("tag-f1.png", TagPlot.PerTagF1(perTag, string.Create(CultureInfo.InvariantCulture, $"Per-tag F1, 30 commonest tags (token accuracy {metrics.TokenAccuracy:P2})")));
        output.AddText("summary.json", JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
        output.Commit();

        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"[bold]token accuracy[/] {metrics.TokenAccuracy:P2} (baseline {baselineMetrics.TokenAccuracy:P2}); unseen words ({metrics.UnknownTokens} tokens) " +
            $"{metrics.UnknownTokenAccuracy:P2} (baseline {baselineMetrics.UnknownTokenAccuracy:P2}); sentences all correct {metrics.SentenceAccuracy:P1}."));
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"training {history.Duration.TotalMinutes:F1} min, {history.EpochsRun} epoch(s), kept epoch {history.BestEpoch}{(model.StoppedByTimeBudget ? " (time budget reached)" : "")}; " +
            $"scoring {summary.BatchedTokensPerSecond:N0} tokens/s batched, {summary.RowPathTokensPerSecond:N0} tokens/s through ML.NET's row path."));
        console.MarkupLine($"Wrote [green]{Markup.Escape(dir)}[/]: {string.Join(", ", OwnedFiles)}");
        return summary;
    }

    /// <summary>Tokens per second through the saved chain's own path (ML.NET's OnnxTransformer, one sentence per call) on the first test sentences.</summary>
    private static double RowPathSpeed(MLContext ml, SequenceTaggerTransformer model, TaggedCorpus test)
    {
        var sample = test.Tokens.Take(RowPathSentences).Select(t => new Row { Tokens = t, Tags = Array.Empty<string>() }).ToArray();
        var view = model.Transform(ml.Data.LoadFromEnumerable(sample));
        var column = view.Schema[new SequenceTaggerOptions().PredictedTagsColumnName];
        var clock = Stopwatch.StartNew();
        long tokens = 0;
        using (var cursor = view.GetRowCursor(new[] { column }))
        {
            var getter = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(column);
            VBuffer<ReadOnlyMemory<char>> tags = default;
            while (cursor.MoveNext())
            {
                getter(ref tags);
                tokens += tags.Length;
            }
        }
        return tokens / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
    }

    private static WordVectors? LoadVectors(TagSettings s)
    {
        if (s.Embeddings == TagSettings.NoEmbeddings)
            return null;
        if (s.Embeddings is { } path)
            return WordVectors.Load(Path.GetFullPath(path));
        using var stream = typeof(TagJob).Assembly.GetManifestResourceStream($"MlNetRnn.Cli.Data.{Classify.ClassifyJob.EmbeddedVectorsName}")
            ?? throw new InvalidOperationException($"The embedded word vectors {Classify.ClassifyJob.EmbeddedVectorsName} are missing from the build.");
        return WordVectors.Load(stream, Classify.ClassifyJob.EmbeddedVectorsName);
    }

    private static double Round(double v) => Math.Round(v, 4);
}
