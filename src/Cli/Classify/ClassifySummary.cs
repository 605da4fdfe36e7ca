using System.Text.Json.Serialization;

namespace MlNetRnn.Cli.Classify;

/// <summary>The <c>summary.json</c> the classify command writes (metrics on the held-out test split; AUC and F1 for binary labels only).</summary>
internal sealed record ClassifySummary
{
    [JsonPropertyName("task")] public string Task { get; init; } = "classification";
    [JsonPropertyName("data")] public string Data { get; init; } = "";
    [JsonPropertyName("kind")] public string Kind { get; init; } = "";
    [JsonPropertyName("classes")] public string[] Classes { get; init; } = Array.Empty<string>();
    [JsonPropertyName("train_rows")] public int TrainRows { get; init; }
    [JsonPropertyName("test_rows")] public int TestRows { get; init; }
    [JsonPropertyName("accuracy")] public double Accuracy { get; init; }
    [JsonPropertyName("auc")] public double? Auc { get; init; }
    [JsonPropertyName("f1")] public double? F1 { get; init; }
    [JsonPropertyName("macro_accuracy")] public double? MacroAccuracy { get; init; }
    [JsonPropertyName("baseline")] public string Baseline { get; init; } = "";
    [JsonPropertyName("baseline_accuracy")] public double BaselineAccuracy { get; init; }
    [JsonPropertyName("baseline_auc")] public double? BaselineAuc { get; init; }
    [JsonPropertyName("baseline_f1")] public double? BaselineF1 { get; init; }
    [JsonPropertyName("epochs_run")] public int EpochsRun { get; init; }
    [JsonPropertyName("best_epoch")] public int BestEpoch { get; init; }
    [JsonPropertyName("resumed_epochs")] public int ResumedEpochs { get; init; }
    [JsonPropertyName("train_seconds")] public double TrainSeconds { get; init; }
    [JsonPropertyName("parity_max_abs_diff")] public double ParityMaxAbsDiff { get; init; }
    [JsonPropertyName("vocabulary_size")] public int VocabularySize { get; init; }
    [JsonPropertyName("cell")] public string Cell { get; init; } = "";
    [JsonPropertyName("hidden")] public int Hidden { get; init; }
    [JsonPropertyName("seed")] public int Seed { get; init; }
    [JsonPropertyName("device")] public string Device { get; init; } = "";
    [JsonPropertyName("files")] public string[] Files { get; init; } = Array.Empty<string>();
}
