using System.Text.Json.Serialization;

namespace MlNetRnn.Cli.Forecast;

/// <summary>The <c>summary.json</c> the forecast command writes (snake_case keys; MAPE in percent).</summary>
internal sealed record ForecastSummary
{
    [JsonPropertyName("task")] public string Task { get; init; } = "forecasting";
    [JsonPropertyName("data")] public string Data { get; init; } = "";
    [JsonPropertyName("column")] public string Column { get; init; } = "";
    [JsonPropertyName("cell")] public string Cell { get; init; } = "";
    [JsonPropertyName("hidden")] public int Hidden { get; init; }
    [JsonPropertyName("layers")] public int Layers { get; init; }
    [JsonPropertyName("bidirectional")] public bool Bidirectional { get; init; }
    [JsonPropertyName("window")] public int Window { get; init; }

    /// <summary>Past values the linear part reads, which is the model's input (the networks read the last <see cref="Window"/>).</summary>
    [JsonPropertyName("linear_window")] public int LinearWindow { get; init; }
    [JsonPropertyName("horizon")] public int Horizon { get; init; }
    [JsonPropertyName("log_transform")] public bool LogTransform { get; init; }
    [JsonPropertyName("seed")] public int Seed { get; init; }
    [JsonPropertyName("mape")] public double Mape { get; init; }
    [JsonPropertyName("rmse")] public double Rmse { get; init; }
    [JsonPropertyName("mae")] public double Mae { get; init; }
    [JsonPropertyName("seasonal_naive_mape")] public double SeasonalNaiveMape { get; init; }
    [JsonPropertyName("seasonal_naive_rmse")] public double SeasonalNaiveRmse { get; init; }
    [JsonPropertyName("forecast")] public float[] Forecast { get; init; } = Array.Empty<float>();
    [JsonPropertyName("actual")] public float[] Actual { get; init; } = Array.Empty<float>();
    [JsonPropertyName("holdout_labels")] public string[] HoldoutLabels { get; init; } = Array.Empty<string>();
    [JsonPropertyName("parity_max_abs_diff")] public double ParityMaxAbsDiff { get; init; }
    [JsonPropertyName("epochs_run")] public int EpochsRun { get; init; }
    [JsonPropertyName("refit_epochs")] public int RefitEpochs { get; init; }
    [JsonPropertyName("best_epoch")] public int BestEpoch { get; init; }
    [JsonPropertyName("resumed_epochs")] public int ResumedEpochs { get; init; }
    [JsonPropertyName("train_seconds")] public double TrainSeconds { get; init; }
    [JsonPropertyName("train_loss")] public double[] TrainLoss { get; init; } = Array.Empty<double>();
    [JsonPropertyName("validation_loss")] public double[] ValidationLoss { get; init; } = Array.Empty<double>();
    [JsonPropertyName("training_device")] public string TrainingDevice { get; init; } = "";
    [JsonPropertyName("device")] public string Device { get; init; } = "";
    [JsonPropertyName("requested_device")] public string RequestedDevice { get; init; } = "";
    [JsonPropertyName("warnings")] public string[] Warnings { get; init; } = Array.Empty<string>();
    [JsonPropertyName("files")] public string[] Files { get; init; } = Array.Empty<string>();
    [JsonPropertyName("backtest")] public BacktestSummary? Backtest { get; init; }
    [JsonPropertyName("season")] public int Season { get; init; }
    [JsonPropertyName("season_source")] public string SeasonSource { get; init; } = "";
    [JsonPropertyName("members")] public int Members { get; init; } = 1;
    [JsonPropertyName("reference")] public string Reference { get; init; } = "";
    /// <summary>Share of the linear part in the forecast (0: the networks alone).</summary>
    [JsonPropertyName("linear_share")] public double LinearShare { get; init; }
    [JsonPropertyName("mase")] public double Mase { get; init; }
    [JsonPropertyName("seasonal_naive_mase")] public double SeasonalNaiveMase { get; init; }
    [JsonPropertyName("interval_coverage")] public double? IntervalCoverage { get; init; }
    [JsonPropertyName("lower")] public float[]? Lower { get; init; }
    [JsonPropertyName("upper")] public float[]? Upper { get; init; }
    [JsonPropertyName("holdout_coverage")] public double? HoldoutCoverage { get; init; }
    [JsonPropertyName("scaled_pinball_loss")] public double? ScaledPinballLoss { get; init; }
}

/// <summary>The rolling-origin backtest of <c>forecast --backtest N</c>.</summary>
internal sealed record BacktestSummary
{
    [JsonPropertyName("folds")] public BacktestFoldSummary[] Folds { get; init; } = Array.Empty<BacktestFoldSummary>();
    [JsonPropertyName("step")] public int Step { get; init; }
    [JsonPropertyName("season")] public int Season { get; init; }
    [JsonPropertyName("mean_mase")] public double MeanMase { get; init; }
    [JsonPropertyName("mean_smape")] public double MeanSmape { get; init; }
    [JsonPropertyName("mean_mape")] public double MeanMape { get; init; }
    [JsonPropertyName("mean_rmse")] public double MeanRmse { get; init; }
}

/// <summary>One backtest fold.</summary>
internal sealed record BacktestFoldSummary
{
    [JsonPropertyName("train_length")] public int TrainLength { get; init; }
    [JsonPropertyName("forecast")] public float[] Forecast { get; init; } = Array.Empty<float>();
    [JsonPropertyName("actual")] public float[] Actual { get; init; } = Array.Empty<float>();
    [JsonPropertyName("mase")] public double Mase { get; init; }
    [JsonPropertyName("smape")] public double Smape { get; init; }
    [JsonPropertyName("mape")] public double Mape { get; init; }
    [JsonPropertyName("rmse")] public double Rmse { get; init; }
}
