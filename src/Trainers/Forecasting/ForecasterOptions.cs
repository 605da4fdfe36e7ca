using MlNetRnn.Transforms;

namespace MlNetRnn.Trainers.Forecasting;

/// <summary>
/// Options of <see cref="ForecasterTrainer"/>. Defaults suit a short monthly series; set <see cref="Horizon"/> to the number of steps
/// you need (it defaults to one). Every range is checked when the trainer is created.
/// </summary>
public sealed class ForecasterOptions : RecurrentTrainerOptions
{
    /// <summary>
    /// Scalar Single column holding the series, one row per time step in time order. When set (the usual case),
    /// <c>Fit</c> and <c>Transform</c> cut the series into windows themselves. When null, the data must already hold
    /// windows in <see cref="FeatureColumnName"/> and targets in <see cref="LabelColumnName"/>. Default: null.
    /// </summary>
    public string? SeriesColumnName { get; set; }

    /// <summary>Window column: <c>float[Window]</c> per row (made by the trainer from the series, or given). Default "Features".</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>Target column: <c>float[Horizon]</c> per row, the values that follow each window. Default "Label".</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Output column: <c>float[Horizon]</c> forecasts in original units. Default "Score".</summary>
    public string ScoreColumnName { get; set; } = "Score";

    /// <summary>Whether each layer also reads the window backwards. Default false.</summary>
    public bool Bidirectional { get; set; }

    /// <summary>Past values the network sees per forecast, 1 to 10000. Default 12.</summary>
    public int Window { get; set; } = 12;

    /// <summary>Future values forecast at once (direct multi-output), 1 to 1000. Default 1.</summary>
    public int Horizon { get; set; } = 1;

    /// <summary>Scaling fitted on the training part of the series and embedded in the ONNX graph. Default Standard.</summary>
    public SeriesScalingKind Scaling { get; set; } = SeriesScalingKind.Standard;

    /// <summary>Apply the natural log before scaling (series must be positive); good for multiplicative growth and seasonality. Default false.</summary>
    public bool LogTransform { get; set; }

    /// <summary>
    /// Express each window and its targets relative to the window's mean (in scaled space), so the network learns
    /// shape rather than level and extrapolates trends. Default true.
    /// </summary>
    public bool RelativeToWindow { get; set; } = true;

    /// <summary>
    /// After early stopping has chosen the epoch count on the validation windows, train again from the same initial weights on
    /// every window (the most recent included) for that many epochs, and keep those weights. Recent data matter most in
    /// forecasting; the validation losses in the history stay those of the first pass. No effect without validation. Default true.
    /// </summary>
    public bool RefitOnAllWindows { get; set; } = true;

    /// <summary>Shuffle training windows every epoch. Default true.</summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>Receives one report per epoch. Default null.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

    internal ForecasterOptions Clone() => CloneAs<ForecasterOptions>();

    /// <inheritdoc/>
    private protected override void ValidateTask()
    {
        Require(Window >= 1 && Window <= 10000, nameof(Window), Window, "between 1 and 10000");
        Require(Horizon >= 1 && Horizon <= 1000, nameof(Horizon), Horizon, "between 1 and 1000");
        Require(Enum.IsDefined(Scaling), nameof(Scaling), Scaling, "a defined SeriesScalingKind");
        if (SeriesColumnName is { Length: 0 })
            throw new ArgumentException("SeriesColumnName must be null (windows given) or a column name, not empty.");
        RequireColumn(FeatureColumnName, nameof(FeatureColumnName));
        RequireColumn(LabelColumnName, nameof(LabelColumnName));
        RequireColumn(ScoreColumnName, nameof(ScoreColumnName));
    }
}
