using MlNetRnn.Onnx;
using MlNetRnn.Transforms;

namespace MlNetRnn.Trainers;

/// <summary>
/// Options of <see cref="ForecasterTrainer"/>. Defaults suit a short monthly series; set <see cref="Horizon"/> to the number of steps
/// you need (it defaults to one). Every range is checked when the trainer is created.
/// </summary>
public sealed class ForecasterOptions
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

    /// <summary>Recurrent cell. Default LSTM.</summary>
    public RecurrentCellKind Cell { get; set; } = RecurrentCellKind.Lstm;

    /// <summary>Hidden units per layer and direction, 1 to 4096. Default 32.</summary>
    public int HiddenSize { get; set; } = 32;

    /// <summary>Stacked recurrent layers, 1 to 16. Default 1.</summary>
    public int NumberOfLayers { get; set; } = 1;

    /// <summary>Whether each layer also reads the window backwards. Default false.</summary>
    public bool Bidirectional { get; set; }

    /// <summary>Dropout between stacked layers, in [0, 1). Has no effect with one layer. Default 0.</summary>
    public double Dropout { get; set; }

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

    /// <summary>Maximum training epochs, 1 to 100000. Default 300.</summary>
    public int Epochs { get; set; } = 300;

    /// <summary>Windows per mini-batch, 1 to 65536. Default 16.</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>Adam learning rate, in (0, 1]. Default 0.005.</summary>
    public double LearningRate { get; set; } = 0.005;

    /// <summary>Maximum global gradient norm; 0 disables clipping. Default 1.</summary>
    public double GradientClipNorm { get; set; } = 1.0;

    /// <summary>
    /// Epochs without validation improvement before training stops; the best epoch's weights are restored (then replaced by the refit's,
    /// see <see cref="RefitOnAllWindows"/>); 0 disables early stopping. Default 40.
    /// </summary>
    public int Patience { get; set; } = 40;

    /// <summary>Fraction of windows, the most recent ones, held out for validation and early stopping, in [0, 0.5]. Default 0.1.</summary>
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>
    /// After early stopping has chosen the epoch count on the validation windows, train again from the same initial weights on
    /// every window (the most recent included) for that many epochs, and keep those weights. Recent data matter most in
    /// forecasting; the validation losses in the history stay those of the first pass. No effect without validation. Default true.
    /// </summary>
    public bool RefitOnAllWindows { get; set; } = true;

    /// <summary>Shuffle training windows every epoch. Default true.</summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>Seed for weight initialisation, shuffling and dropout; null draws one from the MLContext's seed. Default null.</summary>
    public int? Seed { get; set; }

    /// <summary>Where training runs: Cpu, Cuda(id) (error without CUDA) or Auto (CUDA if present, else CPU with a logged note). Default Cpu.</summary>
    public ExecutionDevice Device { get; set; } = ExecutionDevice.Cpu;

    /// <summary>Where ONNX Runtime scoring runs: Cpu, Cuda(id) (error without the CUDA provider) or Auto. Default Cpu.</summary>
    public ExecutionDevice InferenceDevice { get; set; } = ExecutionDevice.Cpu;

    /// <summary>Receives one report per epoch. Default null.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

    /// <summary>Cancels training between batches. Default none.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>A shallow copy, so a trainer is not affected by later changes to the caller's object.</summary>
    internal ForecasterOptions Clone() => (ForecasterOptions)MemberwiseClone();

    /// <summary>Checks every range; the message names the option and the value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">A column name is empty.</exception>
    internal void Validate()
    {
        static void Range(bool ok, string name, object value, string range)
        {
            if (!ok)
                throw new ArgumentOutOfRangeException(name, value, $"{name} must be {range}; got {value}.");
        }
        Range(Window >= 1 && Window <= 10000, nameof(Window), Window, "between 1 and 10000");
        Range(Horizon >= 1 && Horizon <= 1000, nameof(Horizon), Horizon, "between 1 and 1000");
        Range(HiddenSize >= 1 && HiddenSize <= 4096, nameof(HiddenSize), HiddenSize, "between 1 and 4096");
        Range(NumberOfLayers >= 1 && NumberOfLayers <= 16, nameof(NumberOfLayers), NumberOfLayers, "between 1 and 16");
        Range(Dropout >= 0 && Dropout < 1, nameof(Dropout), Dropout, "in [0, 1)");
        Range(Epochs >= 1 && Epochs <= 100000, nameof(Epochs), Epochs, "between 1 and 100000");
        Range(BatchSize >= 1 && BatchSize <= 65536, nameof(BatchSize), BatchSize, "between 1 and 65536");
        Range(LearningRate > 0 && LearningRate <= 1, nameof(LearningRate), LearningRate, "in (0, 1]");
        Range(GradientClipNorm >= 0 && double.IsFinite(GradientClipNorm), nameof(GradientClipNorm), GradientClipNorm, "a finite value >= 0");
        Range(Patience >= 0, nameof(Patience), Patience, ">= 0");
        Range(ValidationFraction >= 0 && ValidationFraction <= 0.5, nameof(ValidationFraction), ValidationFraction, "in [0, 0.5]");
        Range(Enum.IsDefined(Cell), nameof(Cell), Cell, "a defined RecurrentCellKind");
        Range(Enum.IsDefined(Scaling), nameof(Scaling), Scaling, "a defined SeriesScalingKind");
        if (SeriesColumnName is { Length: 0 })
            throw new ArgumentException("SeriesColumnName must be null (windows given) or a column name, not empty.");
        foreach (var (name, value) in new[] { (nameof(FeatureColumnName), FeatureColumnName), (nameof(LabelColumnName), LabelColumnName), (nameof(ScoreColumnName), ScoreColumnName) })
        {
            if (string.IsNullOrWhiteSpace(value))
                throw new ArgumentException($"{name} must not be empty.");
        }
        ArgumentNullException.ThrowIfNull(Device, nameof(Device));
        ArgumentNullException.ThrowIfNull(InferenceDevice, nameof(InferenceDevice));
    }
}
