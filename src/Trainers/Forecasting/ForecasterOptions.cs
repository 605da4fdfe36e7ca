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

    /// <summary>Past values the forecaster reads per forecast (the model's input), 1 to 10000. Default 12.</summary>
    public int Window { get; set; } = 12;

    /// <summary>
    /// How many of the window's most recent values the networks read, 1 to <see cref="Window"/>; 0 (the default) for all of them. The
    /// linear part (<see cref="LinearShare"/>) always reads the whole window, so a window longer than the networks' gives the smoothing
    /// more history without lengthening the networks' sequences or costing them training windows (a series trains the networks on every
    /// window of <c>NetworkWindow</c> values, the linear part on every window of <c>Window</c> values).
    /// </summary>
    public int NetworkWindow { get; set; }

    /// <summary>The values the networks read: <see cref="NetworkWindow"/>, or the whole <see cref="Window"/> when it is 0.</summary>
    internal int NetworkWindowOrWindow => NetworkWindow == 0 ? Window : NetworkWindow;

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
    /// Most recent windows a series trains on, or 0 for all. A longer series drops its oldest values, so the fit's cost stays bounded
    /// (and the recent past, which matters most for the forecast, is what the network learns). Counted in windows of <see cref="Window"/>
    /// values; networks reading a shorter <see cref="NetworkWindow"/> get as many more as it is shorter. Series mode only. Default 500.
    /// </summary>
    public int MaxTrainingWindows { get; set; } = 500;

    /// <summary>What training minimises in scaled space (and early stopping watches). Default <see cref="ForecastLoss.AbsoluteError"/>.</summary>
    public ForecastLoss Loss { get; set; } = ForecastLoss.AbsoluteError;

    /// <summary>
    /// Seasonal period of the series in steps (12 for monthly data with a yearly cycle, 4 for quarterly, 1 for none), 1 to 10000. Used by
    /// <see cref="Reference"/> and the linear part; must not exceed the networks' window (<see cref="NetworkWindow"/>) unless the reference is <see cref="ForecastReference.WindowLevel"/>. Default 1.
    /// </summary>
    public int Season { get; set; } = 1;

    /// <summary>
    /// What each network forecasts relative to: the window's level, the seasonal-naive forecast read off the window (an untrained
    /// correction is then the seasonal-naive forecast, a strong start that early stopping keeps unless the validation windows show the
    /// correction helps), or both across the ensemble's members. Default <see cref="ForecastReference.Mixed"/>.
    /// </summary>
    public ForecastReference Reference { get; set; } = ForecastReference.Mixed;

    /// <summary>How many of the members (the first ones) correct the seasonal-naive forecast under <see cref="Reference"/>.</summary>
    internal int SeasonalMembers => Reference switch
    {
        ForecastReference.SeasonalNaive => EnsembleSize,
        ForecastReference.Mixed => (EnsembleSize + 1) / 2,
        _ => 0,
    };

    /// <summary>
    /// Networks trained from seeds <c>Seed</c>, <c>Seed + 1</c>, ... and averaged (in scaled space) inside the one exported ONNX graph,
    /// 1 to 100. More members cost proportionally more training and scoring time and reduce the dependence on the seed. Default 1.
    /// </summary>
    public int EnsembleSize { get; set; } = 1;

    /// <summary>
    /// Nominal coverage of the prediction interval the graph also returns (<c>{Score}Lower</c>, <c>{Score}Upper</c>), in (0, 1), or 0 for
    /// none. The band is split-conformal: the rank-corrected quantile of the validation windows' absolute residuals per horizon step, taken before the
    /// refit, in scaled space, symmetric around the point. Without validation windows the training residuals are used and the band is too narrow. Default 0.8.
    /// </summary>
    public double IntervalCoverage { get; set; } = 0.8;

    /// <summary>
    /// Factor applied to the interval's conformal offsets (in scaled space), 1 to 10. Validation windows sit just before the forecast
    /// origin and their errors understate those of a forecast further out in a series that keeps changing; the default widening was
    /// measured on the forecasting benchmark's validation origins (never on its reported hold-outs): there, 1 gave 75% coverage of the
    /// nominal 80% and 1.25 gave 79.5%. Default 1.25.
    /// </summary>
    public double IntervalWidening { get; set; } = 1.25;

    /// <summary>
    /// After early stopping has chosen the epoch count on the validation windows, train again from the same initial weights on
    /// every window (the most recent included) for that many epochs, and keep those weights. Recent data matter most in
    /// forecasting; the validation losses in the history stay those of the first pass. No effect without validation. Default true.
    /// </summary>
    public bool RefitOnAllWindows { get; set; } = true;

    /// <summary>
    /// Choose, on the validation windows, how much of the networks' correction to add to the reference: the forecast becomes
    /// <c>reference + w · mean(networks)</c> with <c>w</c> the one of 1, 0.5 and 0 with the lowest validation MAE (1 on a tie), so a
    /// series where the networks only add noise falls back towards seasonal naive / the window's level. Needs validation windows and
    /// a reference (<see cref="Reference"/> not WindowLevel without <see cref="RelativeToWindow"/>). With a linear part
    /// (<see cref="LinearShare"/>) the weight is judged on the blend the model ships. Default false.
    /// </summary>
    public bool ShrinkTowardsReference { get; set; }

    /// <summary>
    /// Share of a linear part in the forecast, in [0, 1): the forecast is <c>(1 − share) · networks + share · linear</c> in scaled space,
    /// inside the same ONNX graph (one more <c>Gemm</c>). The part is additive Holt-Winters exponential smoothing with a damped trend,
    /// run over the whole window (<see cref="HoltWintersSmoothing"/>; linear in the window for fixed parameters), its level, trend, damping
    /// and seasonal smoothing chosen from a grid by the lowest squared error of its forecasts on the training windows. It fits in well
    /// under a second for the usual windows; windows over 1,000 values get no linear part. Combining the networks with a classical method
    /// made the forecaster more robust on series nobody tuned it on (docs/PERFORMANCE.md has the measurements). 0 leaves the part out.
    /// Default 0.8.
    /// </summary>
    public double LinearShare { get; set; } = 0.8;

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
        Require(Season >= 1 && Season <= 10000, nameof(Season), Season, "between 1 and 10000");
        Require(Enum.IsDefined(Reference), nameof(Reference), Reference, "a defined ForecastReference");
        Require(NetworkWindow >= 0 && NetworkWindow <= Window, nameof(NetworkWindow), NetworkWindow, $"0 (the whole window) or between 1 and the window ({Window})");
        if (Reference != ForecastReference.WindowLevel)
            Require(Season <= NetworkWindowOrWindow, nameof(Season), Season, $"at most the networks' window ({NetworkWindowOrWindow}) when the seasonal-naive reference is used (it is read off that window); raise Window/NetworkWindow or use Reference = WindowLevel");
        Require(MaxTrainingWindows >= 0, nameof(MaxTrainingWindows), MaxTrainingWindows, "0 (all windows) or more");
        // Checked as the float the graph stores, so a share that rounds to 1 is refused before training rather than at export.
        Require(LinearShare >= 0 && (float)LinearShare < 1, nameof(LinearShare), LinearShare, "in [0, 1) (0: no linear part)");
        Require(IntervalWidening >= 1 && IntervalWidening <= 10, nameof(IntervalWidening), IntervalWidening, "between 1 and 10");
        Require(Enum.IsDefined(Loss), nameof(Loss), Loss, "a defined ForecastLoss");
        Require(EnsembleSize >= 1 && EnsembleSize <= 100, nameof(EnsembleSize), EnsembleSize, "between 1 and 100");
        Require(IntervalCoverage == 0 || (IntervalCoverage > 0 && IntervalCoverage < 1), nameof(IntervalCoverage), IntervalCoverage, "0 (no interval) or in (0, 1)");
        Require(Enum.IsDefined(Scaling), nameof(Scaling), Scaling, "a defined SeriesScalingKind");
        if (SeriesColumnName is { Length: 0 })
            throw new ArgumentException("SeriesColumnName must be null (windows given) or a column name, not empty.");
        RequireColumn(FeatureColumnName, nameof(FeatureColumnName));
        RequireColumn(LabelColumnName, nameof(LabelColumnName));
        RequireColumn(ScoreColumnName, nameof(ScoreColumnName));
    }
}
