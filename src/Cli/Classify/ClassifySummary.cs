using System.Text.Json.Serialization;

namespace MlNetRnn.Cli.Classify;

/// <summary>
/// The <c>summary.json</c> the classify command writes: means and standard deviations over the seeded 80/20 splits for the recurrent
/// classifier and both bag-of-words baselines, one row per split, and facts about the model written (trained on the first split).
/// AUC and F1 are for binary labels only; macro accuracy for multiclass only.
/// </summary>
internal sealed record ClassifySummary
{
    [JsonPropertyName("task")] public string Task { get; init; } = "classification";
    [JsonPropertyName("data")] public string Data { get; init; } = "";
    [JsonPropertyName("kind")] public string Kind { get; init; } = "";
    [JsonPropertyName("classes")] public string[] Classes { get; init; } = Array.Empty<string>();
    [JsonPropertyName("evaluation")] public string Evaluation { get; init; } = "test";
    [JsonPropertyName("splits")] public int Splits { get; init; }
    [JsonPropertyName("train_rows")] public int TrainRows { get; init; }
    [JsonPropertyName("test_rows")] public int TestRows { get; init; }
    [JsonPropertyName("accuracy_mean")] public double AccuracyMean { get; init; }
    [JsonPropertyName("accuracy_sd")] public double AccuracySd { get; init; }
    [JsonPropertyName("auc_mean")] public double? AucMean { get; init; }
    [JsonPropertyName("auc_sd")] public double? AucSd { get; init; }
    [JsonPropertyName("f1_mean")] public double? F1Mean { get; init; }
    [JsonPropertyName("f1_sd")] public double? F1Sd { get; init; }
    [JsonPropertyName("macro_accuracy_mean")] public double? MacroAccuracyMean { get; init; }
    [JsonPropertyName("baseline")] public string Baseline { get; init; } = "";
    [JsonPropertyName("baseline_accuracy_mean")] public double BaselineAccuracyMean { get; init; }
    [JsonPropertyName("baseline_accuracy_sd")] public double BaselineAccuracySd { get; init; }
    [JsonPropertyName("baseline_auc_mean")] public double? BaselineAucMean { get; init; }
    [JsonPropertyName("baseline_f1_mean")] public double? BaselineF1Mean { get; init; }
    [JsonPropertyName("second_baseline")] public string SecondBaseline { get; init; } = "";
    [JsonPropertyName("second_baseline_accuracy_mean")] public double SecondBaselineAccuracyMean { get; init; }
    [JsonPropertyName("second_baseline_accuracy_sd")] public double SecondBaselineAccuracySd { get; init; }
    [JsonPropertyName("second_baseline_auc_mean")] public double? SecondBaselineAucMean { get; init; }
    [JsonPropertyName("second_baseline_f1_mean")] public double? SecondBaselineF1Mean { get; init; }
    [JsonPropertyName("train_seconds_mean")] public double TrainSecondsMean { get; init; }
    [JsonPropertyName("per_split")] public ClassifySplitRow[] PerSplit { get; init; } = Array.Empty<ClassifySplitRow>();
    [JsonPropertyName("word_vectors")] public string? WordVectors { get; init; }
    [JsonPropertyName("parity_max_abs_diff")] public double ParityMaxAbsDiff { get; init; }
    [JsonPropertyName("vocabulary_size")] public int VocabularySize { get; init; }
    [JsonPropertyName("cell")] public string Cell { get; init; } = "";
    [JsonPropertyName("hidden")] public int Hidden { get; init; }
    [JsonPropertyName("pooling")] public string Pooling { get; init; } = "";
    [JsonPropertyName("seed")] public int Seed { get; init; }
    [JsonPropertyName("device")] public string Device { get; init; } = "";
    [JsonPropertyName("files")] public string[] Files { get; init; } = Array.Empty<string>();
}

/// <summary>One split's row of <see cref="ClassifySummary.PerSplit"/>.</summary>
internal sealed record ClassifySplitRow
{
    [JsonPropertyName("split")] public int Split { get; init; }
    [JsonPropertyName("seed")] public int Seed { get; init; }
    [JsonPropertyName("train_rows")] public int TrainRows { get; init; }
    [JsonPropertyName("test_rows")] public int TestRows { get; init; }
    [JsonPropertyName("accuracy")] public double Accuracy { get; init; }
    [JsonPropertyName("auc")] public double? Auc { get; init; }
    [JsonPropertyName("f1")] public double? F1 { get; init; }
    [JsonPropertyName("macro_accuracy")] public double? MacroAccuracy { get; init; }
    [JsonPropertyName("baseline_accuracy")] public double BaselineAccuracy { get; init; }
    [JsonPropertyName("baseline_auc")] public double? BaselineAuc { get; init; }
    [JsonPropertyName("baseline_f1")] public double? BaselineF1 { get; init; }
    [JsonPropertyName("second_baseline_accuracy")] public double SecondBaselineAccuracy { get; init; }
    [JsonPropertyName("second_baseline_auc")] public double? SecondBaselineAuc { get; init; }
    [JsonPropertyName("second_baseline_f1")] public double? SecondBaselineF1 { get; init; }
    [JsonPropertyName("epochs_run")] public int EpochsRun { get; init; }
    [JsonPropertyName("best_epoch")] public int BestEpoch { get; init; }
    [JsonPropertyName("resumed_epochs")] public int ResumedEpochs { get; init; }
    [JsonPropertyName("train_seconds")] public double TrainSeconds { get; init; }
    /// <summary>The n-gram part's weight (given, or chosen on the validation texts; 0: chosen off); null without one.</summary>
    [JsonPropertyName("ngram_weight")] public double? NgramWeight { get; init; }
    /// <summary>What the networks' logits were multiplied by next to the n-gram part; null without one.</summary>
    [JsonPropertyName("ngram_network_scale")] public double? NgramNetworkScale { get; init; }
}
