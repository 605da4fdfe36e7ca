using MlNetRnn.Trainers.Forecasting;

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
    /// <summary>The window asked for with <c>--window</c>; null to tie it to the season (<see cref="WindowFor"/>).</summary>
    public int? RequestedWindow { get; init; }

    /// <summary>The networks' window used: <see cref="RequestedWindow"/> or the season-tied default, resolved once the season is known.</summary>
    public int Window { get; init; } = 12;

    /// <summary>The linear part's window asked for with <c>--linear-window</c>; null for twice the networks' (<see cref="LinearWindowFor"/>).</summary>
    public int? RequestedLinearWindow { get; init; }

    /// <summary>The linear part's window used, which is the model's input (the networks read its last <see cref="Window"/> values).</summary>
    public int LinearWindow { get; init; } = 12;

    /// <summary>Networks averaged in the one exported graph.</summary>
    public int Members { get; init; } = 5;

    /// <summary>What the networks forecast relative to: the seasonal-naive forecast, the window's level, or both across members.</summary>
    public ForecastReference Reference { get; init; } = ForecastReference.Mixed;

    /// <summary>Whether some member reads the seasonal-naive forecast off the window (so the window must hold a season).</summary>
    public bool UsesSeasonalReference => Reference != ForecastReference.WindowLevel;

    /// <summary>Factor on the interval's conformal offsets.</summary>
    public double IntervalWidening { get; init; } = new ForecasterOptions().IntervalWidening;

    /// <summary>What training minimises.</summary>
    public ForecastLoss Loss { get; init; } = ForecastLoss.AbsoluteError;

    /// <summary>Nominal coverage of the prediction interval; 0 for none.</summary>
    public double Interval { get; init; } = 0.8;
    public int Horizon { get; init; } = 12;
    public int? Season { get; init; }
    public int Epochs { get; init; } = 300;
    public bool LogTransform { get; init; } = true;
    public bool Refit { get; init; } = true;

    /// <summary>Choose the networks' weight against the reference on the validation windows.</summary>
    public bool Shrink { get; init; } = new ForecasterOptions().ShrinkTowardsReference;

    /// <summary>Share of the linear part (Holt-Winters smoothing over the linear window) (<c>--linear-share</c>).</summary>
    public double LinearShare { get; init; } = new ForecasterOptions().LinearShare;

    /// <summary>Rolling-origin backtest folds ending at the hold-out; 0 for none.</summary>
    public int Backtest { get; init; }

    /// <summary>Values between backtest origins; null for the horizon.</summary>
    public int? BacktestStep { get; init; }
    public int Seed { get; init; } = 1;

    /// <summary>Checkpoint folder and resume flag.</summary>
    public CheckpointSettings Checkpoint { get; init; } = CheckpointSettings.None;
    public ExecutionDevice Device { get; init; } = ExecutionDevice.Cpu;
    public string OutputDirectory { get; init; } = Path.Combine("out", "forecast");

    /// <summary>
    /// The window for a series with <paramref name="season"/> and <paramref name="trainingLength"/> training values: the requested one, else
    /// two seasons and at least 12 values (a yearly cycle seen twice; short memory for non-seasonal data), but never so long that
    /// fewer than a third of the training values are left to form windows.
    /// </summary>
    public int WindowFor(int season, int trainingLength)
    {
        if (RequestedWindow is { } requested)
            return requested;
        int window = Math.Max(12, 2 * season);
        int longest = Math.Max(season, (trainingLength - Horizon) * 2 / 3);
        return Math.Max(1, Math.Min(window, longest));
    }

    /// <summary>
    /// The linear part's window for networks reading <paramref name="window"/> values and <paramref name="trainingLength"/> training
    /// values: the requested one, else twice the networks' window (the smoothing gains from the longer history; the networks did not),
    /// but never so long that fewer than a third of the training values are left to form windows, and never shorter than the networks'.
    /// Without a linear part it is the networks' window.
    /// </summary>
    public int LinearWindowFor(int window, int trainingLength)
    {
        if (LinearShare == 0)
            return window;
        if (RequestedLinearWindow is { } requested)
            return requested >= window ? requested
                : throw new ArgumentException($"--linear-window {requested} is shorter than the networks' window ({window}); the networks read the last values of the linear part's window. Use --linear-window {window} or more.");
        // Past the linear part's limit there would be no part to read the longer window.
        return Math.Max(window, Math.Min(Math.Min(2 * window, LinearPart.MaxWindow), (trainingLength - Horizon) * 2 / 3));
    }

    /// <summary>These settings with the season and both windows resolved for a series of <paramref name="trainingLength"/> training values.</summary>
    public ForecastSettings Resolve(int season, int trainingLength)
    {
        int window = WindowFor(season, trainingLength);
        return this with { Season = season, Window = window, LinearWindow = LinearWindowFor(window, trainingLength) };
    }

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
        Window = Math.Max(Window, LinearWindow),
        NetworkWindow = LinearWindow > Window ? Window : 0,
        Horizon = Horizon,
        Season = Season ?? 1,
        Reference = Reference,
        EnsembleSize = Members,
        IntervalCoverage = Interval,
        IntervalWidening = IntervalWidening,
        Loss = Loss,
        Epochs = Epochs,
        LogTransform = logTransform,
        RefitOnAllWindows = Refit,
        ShrinkTowardsReference = Shrink,
        LinearShare = LinearShare,
        Seed = Seed,
        CheckpointDirectory = Checkpoint.Directory,
        Resume = Checkpoint.Resume,
        Device = Device,
        InferenceDevice = Device,
        CancellationToken = cancellationToken,
    };
}
