using System.Text.Json.Serialization;

namespace MlNetRnn.Cli.Generate;

/// <summary>The <c>summary.json</c> the generate command writes (snake_case keys; losses in nats per character).</summary>
internal sealed record GenerateSummary
{
    [JsonPropertyName("task")] public string Task { get; init; } = "charlm";
    [JsonPropertyName("corpus")] public string? Corpus { get; init; }
    [JsonPropertyName("model")] public string? Model { get; init; }
    [JsonPropertyName("cell")] public string Cell { get; init; } = "";
    [JsonPropertyName("hidden")] public int Hidden { get; init; }
    [JsonPropertyName("layers")] public int Layers { get; init; }
    [JsonPropertyName("vocabulary_size")] public int VocabularySize { get; init; }
    [JsonPropertyName("val_loss")] public double? ValLoss { get; init; }
    [JsonPropertyName("val_loss_per_epoch")] public double[] ValLossPerEpoch { get; init; } = Array.Empty<double>();
    [JsonPropertyName("train_loss_per_epoch")] public double[] TrainLossPerEpoch { get; init; } = Array.Empty<double>();
    [JsonPropertyName("train_tokens_per_second")] public double? TrainTokensPerSecond { get; init; }
    [JsonPropertyName("generate_chars_per_second")] public double GenerateCharsPerSecond { get; init; }
    [JsonPropertyName("epochs_run")] public int EpochsRun { get; init; }
    [JsonPropertyName("best_epoch")] public int BestEpoch { get; init; }
    [JsonPropertyName("resumed_epochs")] public int ResumedEpochs { get; init; }
    [JsonPropertyName("train_seconds")] public double TrainSeconds { get; init; }
    [JsonPropertyName("parity_max_abs_diff")] public double? ParityMaxAbsDiff { get; init; }
    [JsonPropertyName("prime")] public string Prime { get; init; } = "";
    [JsonPropertyName("temperature")] public double Temperature { get; init; }
    [JsonPropertyName("top_k")] public int TopK { get; init; }
    [JsonPropertyName("seed")] public int Seed { get; init; }
    [JsonPropertyName("sample")] public string Sample { get; init; } = "";
    [JsonPropertyName("device")] public string Device { get; init; } = "";
    [JsonPropertyName("warnings")] public string[] Warnings { get; init; } = Array.Empty<string>();
    [JsonPropertyName("files")] public string[] Files { get; init; } = Array.Empty<string>();
}
