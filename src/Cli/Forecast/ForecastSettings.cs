
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
    public int? Season { get; init; }
    public int Epochs { get; init; } = 300;
    public bool LogTransform { get; init; } = true;
    public bool Refit { get; init; } = true;

    /// <summary>Rolling-origin backtest folds ending at the hold-out; 0 for none.</summary>
    public int Backtest { get; init; }

    /// <summary>Values between backtest origins; null for the horizon.</summary>
    public int? BacktestStep { get; init; }
    public int Seed { get; init; } = 1;

    /// <summary>Checkpoint folder and resume flag.</summary>
    public CheckpointSettings Checkpoint { get; init; } = CheckpointSettings.None;
    public ExecutionDevice Device { get; init; } = ExecutionDevice.Cpu;
    public string OutputDirectory { get; init; } = Path.Combine("out", "forecast");

    /// <summary>The library options these settings describe, for a series column named <paramref name="seriesColumn"/>.</summary>
    /// <param name="seriesColumn">The IDataView column holding the series.</param>
    /// <param name="logTransform">Whether to log-transform (the caller checks the values are positive).</param>
    /// <param name="cancellationToken">Cancels training.</param>
    internal ForecasterOptions CreateOptions(string seriesColumn, bool logTransform, CancellationToken cancellationToken) => new()
    {
        SeriesColumnName = seriesColumn,
        Cell = Cell,
        HiddenSize = Hidden,
        NumberOfLayers = Layers,
        Bidirectional = Bidirectional,
        Window = Window,
        Horizon = Horizon,
        Epochs = Epochs,
        LogTransform = logTransform,
        RefitOnAllWindows = Refit,
        Seed = Seed,
        CheckpointDirectory = Checkpoint.Directory,
        Resume = Checkpoint.Resume,
        Device = Device,
        InferenceDevice = Device,
        CancellationToken = cancellationToken,
    };
}
