using System.Text.Json.Serialization;

namespace MlNetRnn.Cli.Bench;

/// <summary>The <c>summary.json</c> of <c>mlnet-rnn bench</c>: ratios measured side by side in one process.</summary>
internal sealed record BenchSummary
{
    [JsonPropertyName("task")] public string Task { get; init; } = "bench";
    /// <summary>Our Fit's training throughput ÷ the raw TorchSharp loop's on the same batches (higher is better).</summary>
    [JsonPropertyName("train_ratio_forecaster")] public double TrainRatioForecaster { get; init; }
    /// <summary>Difference of the final epoch's training loss between the two (0 means the same computation).</summary>
    [JsonPropertyName("train_loss_abs_diff_forecaster")] public double TrainLossAbsDiffForecaster { get; init; }
    /// <summary>Language-model training loop tokens/s ÷ a raw TorchSharp BPTT loop on the same batches (higher is better).</summary>
    [JsonPropertyName("train_ratio_charlm")] public double? TrainRatioCharLm { get; init; }
    /// <summary>Difference of the pass's mean training loss between the two (0 means the same computation).</summary>
    [JsonPropertyName("train_loss_abs_diff_charlm")] public double? TrainLossAbsDiffCharLm { get; init; }
    /// <summary>Language model: Losses over 256 texts ÷ Loss called per text (higher is better).</summary>
    [JsonPropertyName("lm_losses_batched_vs_per_text")] public double? LmLossesBatchedVsPerText { get; init; }
    [JsonPropertyName("charlm_train_tokens_per_second")] public double? CharLmTokensPerSecond { get; init; }
    /// <summary>Text-classifier training loop rows/s ÷ a raw TorchSharp loop on batches of the same shape (higher is better).</summary>
    [JsonPropertyName("train_ratio_textclf")] public double? TrainRatioTextClassifier { get; init; }
    /// <summary>Text classifier scoring: TransformBatched ÷ Transform (ML.NET's OnnxTransformer, one text per run), texts/s (higher is better).</summary>
    [JsonPropertyName("textclf_batched_vs_mlnet_rowpath")] public double? TextClassifierBatchedVsMlNetRowPath { get; init; }
    /// <summary>The same on the 2,000 embedded review sentences with the default classifier (bidirectional 2-layer GRU-64).</summary>
    [JsonPropertyName("textclf_reviews_batched_vs_mlnet_rowpath")] public double? TextClassifierReviewsBatchedVsMlNetRowPath { get; init; }
    [JsonPropertyName("textclf_padded_vs_packed")] public double? TextClassifierPaddedVsPacked { get; init; }
    [JsonPropertyName("textclf_reviews_padded_vs_packed")] public double? TextClassifierReviewsPaddedVsPacked { get; init; }
    [JsonPropertyName("textclf_batched_rows_per_second")] public double? TextClassifierRowsPerSecond { get; init; }
    /// <summary>LSTM-256 language model (seq 100): batched scorer ÷ one raw session Run over the same rows (higher is better).</summary>
    [JsonPropertyName("lm_batched_vs_raw_ort")] public double LmBatchedVsRawOrt { get; init; }
    /// <summary>Batched scorer ÷ ML.NET's ApplyOnnxModel row path on the same rows (higher is better).</summary>
    [JsonPropertyName("lm_batched_vs_mlnet_rowpath")] public double LmBatchedVsMlNetRowPath { get; init; }
    /// <summary>Batched scorer ÷ TorchSharp eager (no_grad) forward on the same batch (higher is better).</summary>
    [JsonPropertyName("lm_batched_vs_torch_eager")] public double LmBatchedVsTorchEager { get; init; }
    /// <summary>Batch-1 latency of the scorer ÷ a raw Run with prebuilt tensors (lower is better).</summary>
    [JsonPropertyName("lm_batch1_latency_vs_raw_ort")] public double LmBatch1LatencyVsRawOrt { get; init; }
    [JsonPropertyName("lm_rows_per_second")] public double LmRowsPerSecond { get; init; }
    /// <summary>Useful LSTM and head work per second while batch scoring the language model.</summary>
    [JsonPropertyName("lm_gflops")] public double LmGigaflops { get; init; }
    /// <summary>A 1024 × 1024 float32 matrix multiply through TorchSharp on this machine, GFLOP/s.</summary>
    [JsonPropertyName("matmul_gflops")] public double MatmulGigaflops { get; init; }
    /// <summary>Batched scorer throughput ÷ a raw ONNX Runtime session fed the same batches (higher is better).</summary>
    [JsonPropertyName("batched_vs_raw_ort")] public double BatchedVsRawOrt { get; init; }
    /// <summary>Batched scorer throughput ÷ ML.NET's one-row-per-run OnnxTransformer path (higher is better).</summary>
    [JsonPropertyName("batched_vs_mlnet_rowpath")] public double BatchedVsMlNetRowPath { get; init; }
    /// <summary>Batch-1 latency of the scorer ÷ a raw session run with prebuilt tensors (lower is better).</summary>
    [JsonPropertyName("batch1_latency_vs_raw_ort")] public double Batch1LatencyVsRawOrt { get; init; }
    [JsonPropertyName("forecast_windows_per_second")] public double ForecastWindowsPerSecond { get; init; }
    /// <summary>Windows per ONNX Runtime call behind <see cref="ForecastWindowsPerSecond"/>: the forecaster's default scoring batch.</summary>
    [JsonPropertyName("forecast_batch_size")] public int ForecastBatchSize { get; init; }
    /// <summary>Forecast scoring throughput (windows/s) per batch size and intra-op thread count, and the 5-member ensemble's time ratio.</summary>
    [JsonPropertyName("forecast_scoring_sweep")] public Dictionary<string, double> ForecastScoringSweep { get; init; } = new();
    /// <summary>The best throughput of the sweep.</summary>
    [JsonPropertyName("forecast_windows_per_second_best")] public double ForecastWindowsPerSecondBest { get; init; }
    /// <summary>The setting that gave it.</summary>
    [JsonPropertyName("forecast_best_setting")] public string ForecastBestSetting { get; init; } = "";
    [JsonPropertyName("peak_mb_10k")] public double PeakMb10k { get; init; }
    [JsonPropertyName("peak_mb_1m")] public double PeakMb1m { get; init; }
    /// <summary>Working-set growth during the 10k / large streaming runs, over the working set just before each.</summary>
    [JsonPropertyName("growth_mb_10k")] public double GrowthMb10k { get; init; }
    [JsonPropertyName("growth_mb_1m")] public double GrowthMb1m { get; init; }
    /// <summary>Smallest and largest per-repetition ratio of each measure (the headline figure is the ratio of medians).</summary>
    [JsonPropertyName("ratio_ranges")] public Dictionary<string, double[]> RatioRanges { get; init; } = new();
    [JsonPropertyName("windows_scored")] public int WindowsScored { get; init; }
    [JsonPropertyName("memory_windows_large")] public int MemoryWindowsLarge { get; init; }
    [JsonPropertyName("machine")] public string Machine { get; init; } = "";
    [JsonPropertyName("versions")] public string Versions { get; init; } = "";
    [JsonPropertyName("notes")] public string[] Notes { get; init; } = Array.Empty<string>();
}
