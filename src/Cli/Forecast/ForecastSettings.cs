
namespace MlNetRnn.Cli.Forecast;

/// <summary>Everything the <c>forecast</c> command was asked to do.</summary>
internal sealed record ForecastSettings
{
    public string? DataPath { get; init; }
    public string Column { get; init; } = "value";
    public RecurrentCellKind Cell { get; init; } = RecurrentCellKind.Lstm;
    public int Hidden { get; init; } = 32;
    public int Layers { get; init; } = 1;
    public bool Bidirectional { get; init; }
    public int Window { get; init; } = 12;
    public int Horizon { get; init; } = 12;
    public int Season { get; init; } = 12;
    public int Epochs { get; init; } = 300;
    public bool LogTransform { get; init; } = true;
    public bool Refit { get; init; } = true;
    public int Seed { get; init; } = 1;

    /// <summary>Checkpoint folder and resume flag.</summary>
    public CheckpointSettings Checkpoint { get; init; } = CheckpointSettings.None;
    public ExecutionDevice Device { get; init; } = ExecutionDevice.Cpu;
    public string OutputDirectory { get; init; } = Path.Combine("out", "forecast");
}
