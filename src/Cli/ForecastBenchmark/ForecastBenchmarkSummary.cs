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
    [JsonPropertyName("smape")] public double Smape { get; init; }
    /// <summary>Null when an actual value is zero (MAPE is undefined there).</summary>
    [JsonPropertyName("mape")] public double? Mape { get; init; }
    [JsonPropertyName("seasonal_naive_mase")] public double SeasonalNaiveMase { get; init; }
    [JsonPropertyName("seasonal_naive_smape")] public double SeasonalNaiveSmape { get; init; }
    [JsonPropertyName("seasonal_naive_mape")] public double? SeasonalNaiveMape { get; init; }
    [JsonPropertyName("lost_to_naive")] public bool LostToNaive { get; init; }
    [JsonPropertyName("seed_spread")] public double SeedSpread { get; init; }
    [JsonPropertyName("train_seconds")] public double TrainSeconds { get; init; }
    [JsonPropertyName("baselines_mase")] public Dictionary<string, double> BaselinesMase { get; init; } = new();
}
