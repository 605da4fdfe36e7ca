using MlNetRnn.Onnx;
using MlNetRnn.Transforms;

namespace MlNetRnn.Trainers;

/// <summary>
/// Options of <see cref="LanguageModelTrainer"/>: a character (or word) language model trained with truncated
/// back-propagation through time. Defaults are the classic char-RNN: a 2-layer LSTM with 256 hidden units over 100-character
/// sequences in batches of 64. Every range is checked when the trainer is created.
/// </summary>
public sealed class LanguageModelOptions
{
    /// <summary>Text column (String) whose rows, joined with newlines in row order, form the corpus. Default "Text".</summary>
    public string TextColumnName { get; set; } = "Text";

    /// <summary>Characters or words. Default characters.</summary>
    public TextUnit Unit { get; set; } = TextUnit.Character;

    /// <summary>Tokens seen fewer times are left out of the vocabulary and become the unknown token (word models). Default 1.</summary>
    public int MinimumFrequency { get; set; } = 1;

    /// <summary>Most tokens in the vocabulary, specials included; 0 for no limit. Default 0.</summary>
    public int MaximumVocabularySize { get; set; }

    /// <summary>Embedding width, 1 to 4096. Default 64.</summary>
    public int EmbeddingSize { get; set; } = 64;

    /// <summary>Recurrent cell. Default LSTM.</summary>
    public RecurrentCellKind Cell { get; set; } = RecurrentCellKind.Lstm;

    /// <summary>Hidden units per layer, 1 to 4096. Default 256.</summary>
    public int HiddenSize { get; set; } = 256;

    /// <summary>Stacked layers, 1 to 16. Default 2.</summary>
    public int NumberOfLayers { get; set; } = 2;

    /// <summary>Dropout between stacked layers while training, in [0, 1). Default 0.</summary>
    public double Dropout { get; set; }

    /// <summary>Steps per truncated back-propagation window, 1 to 10000; the state is carried (detached) from one window to the next. Default 100.</summary>
    public int SequenceLength { get; set; } = 100;

    /// <summary>Parallel streams the corpus is cut into, 1 to 65536. Default 64.</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>Most passes over the training part, 1 to 100000. Default 50.</summary>
    public int Epochs { get; set; } = 50;

    /// <summary>Wall-clock training budget; training stops after the batch that exceeds it (the partial epoch is validated and counted). Null for none. Default null.</summary>
    public TimeSpan? TimeBudget { get; set; }

    /// <summary>Adam learning rate, in (0, 1]. Default 0.002.</summary>
    public double LearningRate { get; set; } = 0.002;

    /// <summary>Learning-rate schedule: the rate is multiplied by this after every epoch, in (0, 1]. Default 0.95.</summary>
    public double LearningRateDecay { get; set; } = 0.95;

    /// <summary>Gradient-norm clipping threshold; 0 disables clipping. Default 5.</summary>
    public double GradientClipNorm { get; set; } = 5;

    /// <summary>Fraction of the corpus, taken from its end, held out for validation, in [0, 0.5]. Default 0.1.</summary>
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>Epochs without a better validation loss before training stops (best weights restored); 0 disables early stopping. Default 3.</summary>
    public int Patience { get; set; } = 3;

    /// <summary>Seed for initialisation and dropout; null draws one from the MLContext. Default null.</summary>
    public int? Seed { get; set; }

    /// <summary>Where training runs: Cpu, Cuda(id) or Auto. Default Cpu.</summary>
    public ExecutionDevice Device { get; set; } = ExecutionDevice.Cpu;

    /// <summary>Where ONNX Runtime generation and scoring run: Cpu, Cuda(id) or Auto. Default Cpu.</summary>
    public ExecutionDevice InferenceDevice { get; set; } = ExecutionDevice.Cpu;

    /// <summary>Receives a report after every batch and after every epoch's validation. Default null.</summary>
    public IProgress<LanguageModelProgress>? Progress { get; set; }

    /// <summary>Cancels training between batches. Default none.</summary>
    public CancellationToken CancellationToken { get; set; }

    internal LanguageModelOptions Clone() => (LanguageModelOptions)MemberwiseClone();

    internal void Validate()
    {
        static void Range(bool ok, string name, object value, string range)
        {
            if (!ok)
                throw new ArgumentOutOfRangeException(name, value, $"{name} must be {range}; got {value}.");
        }
        Range(MinimumFrequency >= 1, nameof(MinimumFrequency), MinimumFrequency, ">= 1");
        Range(MaximumVocabularySize == 0 || MaximumVocabularySize >= 2, nameof(MaximumVocabularySize), MaximumVocabularySize, "0 (no limit) or >= 2");
        Range(EmbeddingSize >= 1 && EmbeddingSize <= 4096, nameof(EmbeddingSize), EmbeddingSize, "between 1 and 4096");
        Range(HiddenSize >= 1 && HiddenSize <= 4096, nameof(HiddenSize), HiddenSize, "between 1 and 4096");
        Range(NumberOfLayers >= 1 && NumberOfLayers <= 16, nameof(NumberOfLayers), NumberOfLayers, "between 1 and 16");
        Range(Dropout >= 0 && Dropout < 1, nameof(Dropout), Dropout, "in [0, 1)");
        Range(SequenceLength >= 1 && SequenceLength <= 10000, nameof(SequenceLength), SequenceLength, "between 1 and 10000");
        Range(BatchSize >= 1 && BatchSize <= 65536, nameof(BatchSize), BatchSize, "between 1 and 65536");
        Range(Epochs >= 1 && Epochs <= 100000, nameof(Epochs), Epochs, "between 1 and 100000");
        Range(TimeBudget is null || TimeBudget > TimeSpan.Zero, nameof(TimeBudget), TimeBudget!, "positive or null");
        Range(LearningRate > 0 && LearningRate <= 1, nameof(LearningRate), LearningRate, "in (0, 1]");
        Range(LearningRateDecay > 0 && LearningRateDecay <= 1, nameof(LearningRateDecay), LearningRateDecay, "in (0, 1]");
        Range(GradientClipNorm >= 0 && double.IsFinite(GradientClipNorm), nameof(GradientClipNorm), GradientClipNorm, "a finite value >= 0");
        Range(ValidationFraction >= 0 && ValidationFraction <= 0.5, nameof(ValidationFraction), ValidationFraction, "in [0, 0.5]");
        Range(Patience >= 0, nameof(Patience), Patience, ">= 0");
        Range(Enum.IsDefined(Cell), nameof(Cell), Cell, "a defined RecurrentCellKind");
        Range(Enum.IsDefined(Unit), nameof(Unit), Unit, "a defined TextUnit");
        if (string.IsNullOrWhiteSpace(TextColumnName))
            throw new ArgumentException("TextColumnName must not be empty.");
        ArgumentNullException.ThrowIfNull(Device, nameof(Device));
        ArgumentNullException.ThrowIfNull(InferenceDevice, nameof(InferenceDevice));
    }
}
