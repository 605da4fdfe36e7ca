using System.Text.Json.Serialization;

namespace MlNetRnn.Cli.Tag;

/// <summary>
/// The <c>summary.json</c> the tag command writes: test accuracy (all tokens and tokens unseen in training) next to the
/// most-frequent-tag baseline, training time and the learning curve, scoring speed, and per-tag precision/recall/F1.
/// </summary>
internal sealed record TagSummary
{
    [JsonPropertyName("task")] public string Task { get; init; } = "tagging";
    [JsonPropertyName("train_data")] public string TrainData { get; init; } = "";
    [JsonPropertyName("test_data")] public string TestData { get; init; } = "";
    [JsonPropertyName("train_sentences")] public int TrainSentences { get; init; }
    [JsonPropertyName("train_tokens")] public long TrainTokens { get; init; }
    [JsonPropertyName("test_sentences")] public int TestSentences { get; init; }
    [JsonPropertyName("test_tokens")] public long TestTokens { get; init; }
    [JsonPropertyName("oov_tokens")] public long OovTokens { get; init; }
    [JsonPropertyName("unseen_tag_tokens")] public long UnseenTagTokens { get; init; }
    [JsonPropertyName("accuracy")] public double Accuracy { get; init; }
    [JsonPropertyName("oov_accuracy")] public double OovAccuracy { get; init; }
    [JsonPropertyName("sentence_accuracy")] public double SentenceAccuracy { get; init; }
    [JsonPropertyName("macro_f1")] public double MacroF1 { get; init; }
    [JsonPropertyName("baseline")] public string Baseline { get; init; } = "";
    [JsonPropertyName("baseline_accuracy")] public double BaselineAccuracy { get; init; }
    [JsonPropertyName("baseline_oov_accuracy")] public double BaselineOovAccuracy { get; init; }
    [JsonPropertyName("train_seconds")] public double TrainSeconds { get; init; }
    [JsonPropertyName("stopped_by_time_budget")] public bool StoppedByTimeBudget { get; init; }
    [JsonPropertyName("epochs_run")] public int EpochsRun { get; init; }
    [JsonPropertyName("best_epoch")] public int BestEpoch { get; init; }
    [JsonPropertyName("learning_curve")] public TagEpochRow[] LearningCurve { get; init; } = Array.Empty<TagEpochRow>();
    [JsonPropertyName("batched_tokens_per_second")] public double BatchedTokensPerSecond { get; init; }
    [JsonPropertyName("batched_all_threads_tokens_per_second")] public double BatchedAllThreadsTokensPerSecond { get; init; }
    [JsonPropertyName("row_path_tokens_per_second")] public double RowPathTokensPerSecond { get; init; }
    [JsonPropertyName("parity_max_abs_diff")] public double ParityMaxAbsDiff { get; init; }
    [JsonPropertyName("word_vectors")] public string? WordVectors { get; init; }
    [JsonPropertyName("character_features")] public bool CharacterFeatures { get; init; }
    [JsonPropertyName("cell")] public string Cell { get; init; } = "";
    [JsonPropertyName("hidden")] public int Hidden { get; init; }
    [JsonPropertyName("vocabulary_size")] public int VocabularySize { get; init; }
    [JsonPropertyName("tags")] public int Tags { get; init; }
    [JsonPropertyName("seed")] public int Seed { get; init; }
    [JsonPropertyName("per_tag")] public TagRow[] PerTag { get; init; } = Array.Empty<TagRow>();
    [JsonPropertyName("files")] public string[] Files { get; init; } = Array.Empty<string>();
}

/// <summary>One epoch of the learning curve.</summary>
internal sealed record TagEpochRow
{
    [JsonPropertyName("epoch")] public int Epoch { get; init; }
    [JsonPropertyName("train_loss")] public double TrainLoss { get; init; }
    [JsonPropertyName("validation_loss")] public double? ValidationLoss { get; init; }
    [JsonPropertyName("validation_accuracy")] public double? ValidationAccuracy { get; init; }
}

/// <summary>One tag's scores on the test data.</summary>
internal sealed record TagRow
{
    [JsonPropertyName("tag")] public string Tag { get; init; } = "";
    [JsonPropertyName("precision")] public double Precision { get; init; }
    [JsonPropertyName("recall")] public double Recall { get; init; }
    [JsonPropertyName("f1")] public double F1 { get; init; }
    [JsonPropertyName("support")] public long Support { get; init; }
}
