using System.Globalization;
using System.Reflection;

namespace MlNetRnn.Trainers;

/// <summary>
/// The settings every recurrent trainer shares: the network's size, the optimisation, early stopping, the learning-rate schedule,
/// devices, seeding, cancellation and checkpoints. Each family's options derive from it and set their own defaults (stated on each
/// property as forecaster / text classifier / language model); ranges and messages live here once, checked when a trainer is created.
/// </summary>
public abstract class RecurrentTrainerOptions
{
    /// <summary>Recurrent cell. Default LSTM / GRU / LSTM.</summary>
    public RecurrentCellKind Cell { get; set; } = RecurrentCellKind.Lstm;

    /// <summary>Hidden units per layer (and direction), 1 to 4096. Default 32 / 64 / 256.</summary>
    public int HiddenSize { get; set; } = 32;

    /// <summary>Stacked recurrent layers, 1 to 16. Default 1 / 2 / 2.</summary>
    public int NumberOfLayers { get; set; } = 1;

    /// <summary>Dropout between stacked layers while training, in [0, 1); no effect with one layer. Default 0 / 0.3 / 0.</summary>
    public double Dropout { get; set; }

    /// <summary>Most epochs, 1 to 100000 (early stopping may end sooner). Default 300 / 20 / 50.</summary>
    public int Epochs { get; set; } = 300;

    /// <summary>Rows (windows, texts, parallel streams) per batch, 1 to 65536. Default 16 / 32 / 64.</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>Adam's initial learning rate, in (0, 1]. Default 0.005 / 0.003 / 0.002.</summary>
    public double LearningRate { get; set; } = 0.005;

    /// <summary>How the learning rate changes between epochs. Default Constant / Constant / StepDecay.</summary>
    public LearningRateScheduleKind LearningRateSchedule { get; set; } = LearningRateScheduleKind.Constant;

    /// <summary>Factor of <see cref="LearningRateScheduleKind.StepDecay"/> and <see cref="LearningRateScheduleKind.ReduceOnPlateau"/>, in (0, 1]. Default 0.5 / 0.5 / 0.95.</summary>
    public double LearningRateDecay { get; set; } = 0.5;

    /// <summary>Epochs between step decays, or the plateau's patience, 1 to 100000. Default 10 / 10 / 1.</summary>
    public int LearningRateDecayEpochs { get; set; } = 10;

    /// <summary>Floor of the cosine and plateau schedules, in [0, <see cref="LearningRate"/>]. Default 0.</summary>
    public double MinimumLearningRate { get; set; }

    /// <summary>Largest global gradient norm (larger gradients are rescaled); 0 disables clipping. Default 1 / 1 / 5.</summary>
    public double GradientClipNorm { get; set; } = 1.0;

    /// <summary>
    /// Epochs without a better validation loss before training stops; the best epoch's weights are restored. 0 disables stopping
    /// (the best epoch's weights are still restored). Default 40 / 3 / 3.
    /// </summary>
    public int Patience { get; set; } = 40;

    /// <summary>Fraction held out for validation and early stopping, in [0, 0.5]. Default 0.1.</summary>
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>Seed for initialisation, splitting, batch order and dropout; null draws one from the MLContext. Default null.</summary>
    public int? Seed { get; set; }

    /// <summary>Where training runs: Cpu, Cuda(id) (error without CUDA) or Auto (CUDA if present, else CPU with a logged note). Default Cpu.</summary>
    public ExecutionDevice Device { get; set; } = ExecutionDevice.Cpu;

    /// <summary>Where ONNX Runtime scoring runs: Cpu, Cuda(id) (error without the CUDA provider) or Auto. Default Cpu.</summary>
    public ExecutionDevice InferenceDevice { get; set; } = ExecutionDevice.Cpu;

    /// <summary>Cancels training between batches (a checkpoint is written first when <see cref="CheckpointDirectory"/> is set). Default none.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>
    /// Folder for training checkpoints, written atomically at the end of every epoch and on cancellation: weights, optimizer state,
    /// random states, epoch, history and early-stopping state. Null disables checkpoints. Default null.
    /// </summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>
    /// Continue from the newest valid checkpoint in <see cref="CheckpointDirectory"/> (a torn one is skipped); the result is
    /// bit-identical to an uninterrupted run with the same seed on the CPU. A checkpoint written with other settings or data is
    /// refused with the list of differences. When false, the folder's old checkpoints are replaced. Default false.
    /// </summary>
    public bool Resume { get; set; }

    /// <summary>Checks every shared range and the family's own; the message names the option and the value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">A column name is empty, or Resume is set without a checkpoint folder.</exception>
    internal void Validate()
    {
        Require(HiddenSize >= 1 && HiddenSize <= 4096, nameof(HiddenSize), HiddenSize, "between 1 and 4096");
        Require(NumberOfLayers >= 1 && NumberOfLayers <= 16, nameof(NumberOfLayers), NumberOfLayers, "between 1 and 16");
        Require(Dropout >= 0 && Dropout < 1, nameof(Dropout), Dropout, "in [0, 1)");
        Require(Epochs >= 1 && Epochs <= 100000, nameof(Epochs), Epochs, "between 1 and 100000");
        Require(BatchSize >= 1 && BatchSize <= 65536, nameof(BatchSize), BatchSize, "between 1 and 65536");
        Require(LearningRate > 0 && LearningRate <= 1, nameof(LearningRate), LearningRate, "in (0, 1]");
        Require(Enum.IsDefined(LearningRateSchedule), nameof(LearningRateSchedule), LearningRateSchedule, "a defined LearningRateScheduleKind");
        Require(LearningRateDecay > 0 && LearningRateDecay <= 1, nameof(LearningRateDecay), LearningRateDecay, "in (0, 1]");
        Require(LearningRateDecayEpochs >= 1 && LearningRateDecayEpochs <= 100000, nameof(LearningRateDecayEpochs), LearningRateDecayEpochs, "between 1 and 100000");
        Require(MinimumLearningRate >= 0 && MinimumLearningRate <= LearningRate, nameof(MinimumLearningRate), MinimumLearningRate, $"in [0, LearningRate = {LearningRate}]");
        Require(GradientClipNorm >= 0 && double.IsFinite(GradientClipNorm), nameof(GradientClipNorm), GradientClipNorm, "a finite value >= 0");
        Require(Patience >= 0, nameof(Patience), Patience, ">= 0");
        Require(ValidationFraction >= 0 && ValidationFraction <= 0.5, nameof(ValidationFraction), ValidationFraction, "in [0, 0.5]");
        Require(Enum.IsDefined(Cell), nameof(Cell), Cell, "a defined RecurrentCellKind");
        ArgumentNullException.ThrowIfNull(Device, nameof(Device));
        ArgumentNullException.ThrowIfNull(InferenceDevice, nameof(InferenceDevice));
        if (CheckpointDirectory is { } folder && string.IsNullOrWhiteSpace(folder))
            throw new ArgumentException("CheckpointDirectory must be null (no checkpoints) or a folder path, not empty.");
        if (Resume && CheckpointDirectory is null)
            throw new ArgumentException("Resume needs CheckpointDirectory: set it to the folder of the run to continue.");
        ValidateTask();
    }

    /// <summary>The family's own checks.</summary>
    private protected abstract void ValidateTask();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the option, the allowed range and the value when <paramref name="ok"/> is false.</summary>
    private protected static void Require(bool ok, string name, object? value, string range)
    {
        if (!ok)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be {range}; got {value}.");
    }

    /// <summary>Throws when a column-name option is null or blank.</summary>
    private protected static void RequireColumn(string? value, string name)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new ArgumentException($"{name} must not be empty.");
    }

    /// <summary>The schedule these options describe.</summary>
    internal LearningRateSchedule CreateSchedule() =>
        Training.LearningRateSchedule.Create(LearningRateSchedule, LearningRateDecay, LearningRateDecayEpochs, Epochs, MinimumLearningRate);

    /// <summary>
    /// Every setting that changes what training computes, as text: what a checkpoint must agree with to be resumed. Leaves out the
    /// callbacks, the token, the checkpoint settings themselves, where scoring runs and the time budget.
    /// </summary>
    internal SortedDictionary<string, string> Fingerprint()
    {
        var excluded = new HashSet<string>(StringComparer.Ordinal)
        {
            "Progress", nameof(CancellationToken), nameof(CheckpointDirectory), nameof(Resume), nameof(InferenceDevice), "TimeBudget",
        };
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in GetType().GetProperties(BindingFlags.Instance | BindingFlags.Public).Where(p => p.CanRead && !excluded.Contains(p.Name)))
            result[property.Name] = Convert.ToString(property.GetValue(this), CultureInfo.InvariantCulture) ?? "(null)";
        return result;
    }

    /// <summary>A shallow copy, so a trainer is not affected by later changes to the caller's object.</summary>
    internal T CloneAs<T>() where T : RecurrentTrainerOptions => (T)MemberwiseClone();
}
