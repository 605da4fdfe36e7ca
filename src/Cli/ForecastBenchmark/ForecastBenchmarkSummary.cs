using System.Text.Json.Serialization;

namespace MlNetRnn.Cli.ForecastBenchmark;

/// <summary>What <c>forecast-benchmark</c> writes to <c>summary.json</c>.</summary>
internal sealed record ForecastBenchmarkSummary
{
    [JsonPropertyName("benchmark")] public string Benchmark { get; init; } = "";
    [JsonPropertyName("seeds")] public int[] Seeds { get; init; } = Array.Empty<int>();
    [JsonPropertyName("settings")] public Dictionary<string, string> Settings { get; init; } = new();
    /// <summary>Geometric mean over the series of the per-series median MASE over seeds.</summary>
    [JsonPropertyName("gmean_mase")] public double GmeanMase { get; init; }
    [JsonPropertyName("gmean_mase_seasonal_naive")] public double GmeanMaseSeasonalNaive { get; init; }
    /// <summary>Series whose median MASE is above seasonal naive's.</summary>
    [JsonPropertyName("series_lost_to_naive")] public int SeriesLostToNaive { get; init; }
    /// <summary>The largest max/min MASE over seeds among the series.</summary>
    [JsonPropertyName("worst_seed_spread")] public double WorstSeedSpread { get; init; }
    [JsonPropertyName("worst_seed_spread_series")] public string WorstSeedSpreadSeries { get; init; } = "";
    /// <summary>Geometric-mean MASE of each published method over the same series.</summary>
    [JsonPropertyName("baselines_gmean_mase")] public Dictionary<string, double> BaselinesGmeanMase { get; init; } = new();
    [JsonPropertyName("train_seconds")] public double TrainSeconds { get; init; }
    /// <summary>Nominal coverage of the forecaster's interval; null when it has none.</summary>
    [JsonPropertyName("interval_nominal_coverage")] public double? IntervalNominalCoverage { get; init; }
    /// <summary>Hold-out values inside the interval, over every series, step and seed.</summary>
    [JsonPropertyName("interval_coverage")] public double? IntervalCoverage { get; init; }
    /// <summary>Coverage the interval would have if its offsets were multiplied by each factor (on top of the model's own widening).</summary>
    [JsonPropertyName("coverage_if_widened")] public Dictionary<string, double> CoverageIfWidened { get; init; } = new();
    /// <summary>Geometric mean over series of the median (over seeds) scaled pinball loss.</summary>
    [JsonPropertyName("gmean_scaled_pinball_loss")] public double? GmeanScaledPinballLoss { get; init; }
    [JsonPropertyName("wall_seconds")] public double WallSeconds { get; init; }
    [JsonPropertyName("series")] public SeriesResult[] Series { get; init; } = Array.Empty<SeriesResult>();
}

/// <summary>One series' row of the summary.</summary>
internal sealed record SeriesResult
{
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    [JsonPropertyName("length")] public int Length { get; init; }
    [JsonPropertyName("season")] public int Season { get; init; }
    [JsonPropertyName("horizon")] public int Horizon { get; init; }
    [JsonPropertyName("mase_per_seed")] public double[] MasePerSeed { get; init; } = Array.Empty<double>();
    [JsonPropertyName("mase")] public double Mase { get; init; }
    /// <summary>Each seed's forecast of the scored values (so other combinations can be judged without training again).</summary>
    [JsonPropertyName("forecast_per_seed")] public float[][] ForecastPerSeed { get; init; } = Array.Empty<float[]>();
    /// <summary>The values the forecasts are scored against.</summary>
    [JsonPropertyName("actual")] public float[] Actual { get; init; } = Array.Empty<float>();
    [JsonPropertyName("smape")] public double Smape { get; init; }
    /// <summary>Null when an actual value is zero (MAPE is undefined there).</summary>
    [JsonPropertyName("mape")] public double? Mape { get; init; }
    [JsonPropertyName("seasonal_naive_mase")] public double SeasonalNaiveMase { get; init; }
    [JsonPropertyName("seasonal_naive_smape")] public double SeasonalNaiveSmape { get; init; }
    [JsonPropertyName("seasonal_naive_mape")] public double? SeasonalNaiveMape { get; init; }
    [JsonPropertyName("lost_to_naive")] public bool LostToNaive { get; init; }
    [JsonPropertyName("seed_spread")] public double SeedSpread { get; init; }
    [JsonPropertyName("train_seconds")] public double TrainSeconds { get; init; }
    [JsonPropertyName("interval_coverage")] public double? IntervalCoverage { get; init; }
    [JsonPropertyName("scaled_pinball_loss")] public double? ScaledPinballLoss { get; init; }
    [JsonPropertyName("coverage_if_widened")] public Dictionary<string, double> CoverageIfWidened { get; init; } = new();
    [JsonPropertyName("baselines_mase")] public Dictionary<string, double> BaselinesMase { get; init; } = new();
}
