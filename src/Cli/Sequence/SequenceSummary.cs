using System.Text.Json.Serialization;

namespace MlNetRnn.Cli.Sequence;

/// <summary>
/// The <c>summary.json</c> the sequence command writes: the metric's mean and sample standard deviation over the seeded splits for the
/// recurrent model and the ML.NET baseline on the flat features, one row per split, and facts about the model written (split 1's).
/// The metric is accuracy for classification and RMSE for regression (R² alongside).
/// </summary>
internal sealed record SequenceSummary
{
    [JsonPropertyName("task")] public string Task { get; init; } = "float_sequence";
    [JsonPropertyName("data")] public string Data { get; init; } = "";
    [JsonPropertyName("kind")] public string Kind { get; init; } = "";
    [JsonPropertyName("evaluation")] public string Evaluation { get; init; } = "test";
    [JsonPropertyName("steps")] public int Steps { get; init; }
    [JsonPropertyName("features_per_step")] public int FeaturesPerStep { get; init; }
    [JsonPropertyName("splits")] public int Splits { get; init; }
    [JsonPropertyName("metric")] public string Metric { get; init; } = "";
    [JsonPropertyName("mean")] public double Mean { get; init; }
    [JsonPropertyName("sd")] public double Sd { get; init; }
    [JsonPropertyName("baseline")] public string Baseline { get; init; } = "";
    [JsonPropertyName("baseline_mean")] public double BaselineMean { get; init; }
    [JsonPropertyName("baseline_sd")] public double BaselineSd { get; init; }
    [JsonPropertyName("r2_mean")] public double? RSquaredMean { get; init; }
    [JsonPropertyName("baseline_r2_mean")] public double? BaselineRSquaredMean { get; init; }
    [JsonPropertyName("train_seconds_mean")] public double TrainSecondsMean { get; init; }
    [JsonPropertyName("per_split")] public SequenceSplitRow[] PerSplit { get; init; } = Array.Empty<SequenceSplitRow>();
    [JsonPropertyName("parity_max_abs_diff")] public double ParityMaxAbsDiff { get; init; }
    [JsonPropertyName("cell")] public string Cell { get; init; } = "";
    [JsonPropertyName("hidden")] public int Hidden { get; init; }
    [JsonPropertyName("pooling")] public string Pooling { get; init; } = "";
    [JsonPropertyName("members")] public int Members { get; init; }
    [JsonPropertyName("seed")] public int Seed { get; init; }
    [JsonPropertyName("files")] public string[] Files { get; init; } = Array.Empty<string>();
}

/// <summary>One split's row of <see cref="SequenceSummary.PerSplit"/>.</summary>
internal sealed record SequenceSplitRow
{
    [JsonPropertyName("split")] public int Split { get; init; }
    [JsonPropertyName("seed")] public int Seed { get; init; }
    [JsonPropertyName("train_rows")] public int TrainRows { get; init; }
    [JsonPropertyName("test_rows")] public int TestRows { get; init; }
    [JsonPropertyName("value")] public double Value { get; init; }
    [JsonPropertyName("baseline_value")] public double BaselineValue { get; init; }
    [JsonPropertyName("r2")] public double? RSquared { get; init; }
    [JsonPropertyName("baseline_r2")] public double? BaselineRSquared { get; init; }
    [JsonPropertyName("epochs_run")] public int EpochsRun { get; init; }
    [JsonPropertyName("best_epoch")] public int BestEpoch { get; init; }
    [JsonPropertyName("train_seconds")] public double TrainSeconds { get; init; }
}
