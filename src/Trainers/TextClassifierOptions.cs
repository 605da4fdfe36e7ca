using MlNetRnn.Onnx;

namespace MlNetRnn.Trainers;

/// <summary>
/// Options of <see cref="TextClassifierTrainer"/>: an embedding and an LSTM/GRU/RNN over the words of a text column, with a
/// sigmoid head for a Boolean label (binary) or a softmax head for a key label (multiclass). Every range is checked when the
/// trainer is created.
/// </summary>
public sealed class TextClassifierOptions
{
    /// <summary>Text column: String, or a vector of String tokens (each token is normalised and split at whitespace too). Default "Text".</summary>
    public string TextColumnName { get; set; } = "Text";

    /// <summary>Label column: Boolean for binary classification, a key (from <c>MapValueToKey</c>) for multiclass. Default "Label".</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Lower-case the text before splitting it into words. Default true.</summary>
    public bool LowerCase { get; set; } = true;

    /// <summary>Words seen fewer times in the training split map to the unknown id. Default 2 (a word seen once teaches the embedding nothing it can reuse).</summary>
    public int MinimumFrequency { get; set; } = 2;

    /// <summary>Most ids in the vocabulary (the three special ones included); 0 for no limit. Default 20000.</summary>
    public int MaximumVocabularySize { get; set; } = 20000;

    /// <summary>Words kept per text (later ones are dropped), 1 to 10000. Default 100.</summary>
    public int MaxLength { get; set; } = 100;

    /// <summary>Embedding width, 1 to 4096. Default 64.</summary>
    public int EmbeddingSize { get; set; } = 64;

    /// <summary>Recurrent cell. Default GRU.</summary>
    public RecurrentCellKind Cell { get; set; } = RecurrentCellKind.Gru;

    /// <summary>Hidden units per layer and direction, 1 to 4096. Default 64.</summary>
    public int HiddenSize { get; set; } = 64;

    /// <summary>Stacked layers, 1 to 16. Default 2.</summary>
    public int NumberOfLayers { get; set; } = 2;

    /// <summary>Read each text in both directions. Default true.</summary>
    public bool Bidirectional { get; set; } = true;

    /// <summary>Dropout between stacked layers while training, in [0, 1). Default 0.3.</summary>
    public double Dropout { get; set; } = 0.3;

    /// <summary>How the head reads the words: the final states (each text's own last word; the backward pass starts there) or the mean over its words. Default Mean.</summary>
    public SequencePooling Pooling { get; set; } = SequencePooling.Mean;

    /// <summary>Most epochs, 1 to 100000. Default 20.</summary>
    public int Epochs { get; set; } = 20;

    /// <summary>Texts per batch (batches group texts of similar length), 1 to 65536. Default 32.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Adam learning rate, in (0, 1]. Default 0.003.</summary>
    public double LearningRate { get; set; } = 0.003;

    /// <summary>Gradient-norm clipping threshold; 0 disables it. Default 1.</summary>
    public double GradientClipNorm { get; set; } = 1;

    /// <summary>Fraction of the rows (drawn with the seed) held out for early stopping, in [0, 0.5]. Default 0.1.</summary>
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>Epochs without a better validation loss before stopping (best weights restored); 0 disables early stopping. Default 3.</summary>
    public int Patience { get; set; } = 3;

    /// <summary>Seed for initialisation, the validation split and batch order; null draws one from the MLContext. Default null.</summary>
    public int? Seed { get; set; }

    /// <summary>Where training runs. Default Cpu.</summary>
    public ExecutionDevice Device { get; set; } = ExecutionDevice.Cpu;

    /// <summary>Where ONNX Runtime scoring runs (ML.NET's OnnxTransformer). Default Cpu.</summary>
    public ExecutionDevice InferenceDevice { get; set; } = ExecutionDevice.Cpu;

    /// <summary>Receives one report per epoch (losses are cross-entropy). Default null.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

    /// <summary>Cancels training between batches. Default none.</summary>
    public CancellationToken CancellationToken { get; set; }

    internal TextClassifierOptions Clone() => (TextClassifierOptions)MemberwiseClone();

    internal void Validate()
    {
        static void Range(bool ok, string name, object value, string range)
        {
            if (!ok)
                throw new ArgumentOutOfRangeException(name, value, $"{name} must be {range}; got {value}.");
        }
        Range(MinimumFrequency >= 1, nameof(MinimumFrequency), MinimumFrequency, ">= 1");
        Range(MaximumVocabularySize == 0 || MaximumVocabularySize >= 4, nameof(MaximumVocabularySize), MaximumVocabularySize, "0 (no limit) or >= 4");
        Range(MaxLength >= 1 && MaxLength <= 10000, nameof(MaxLength), MaxLength, "between 1 and 10000");
        Range(EmbeddingSize >= 1 && EmbeddingSize <= 4096, nameof(EmbeddingSize), EmbeddingSize, "between 1 and 4096");
        Range(HiddenSize >= 1 && HiddenSize <= 4096, nameof(HiddenSize), HiddenSize, "between 1 and 4096");
        Range(NumberOfLayers >= 1 && NumberOfLayers <= 16, nameof(NumberOfLayers), NumberOfLayers, "between 1 and 16");
        Range(Dropout >= 0 && Dropout < 1, nameof(Dropout), Dropout, "in [0, 1)");
        Range(Pooling != SequencePooling.EveryStep && Enum.IsDefined(Pooling), nameof(Pooling), Pooling, "LastStep or Mean");
        Range(Epochs >= 1 && Epochs <= 100000, nameof(Epochs), Epochs, "between 1 and 100000");
        Range(BatchSize >= 1 && BatchSize <= 65536, nameof(BatchSize), BatchSize, "between 1 and 65536");
        Range(LearningRate > 0 && LearningRate <= 1, nameof(LearningRate), LearningRate, "in (0, 1]");
        Range(GradientClipNorm >= 0 && double.IsFinite(GradientClipNorm), nameof(GradientClipNorm), GradientClipNorm, "a finite value >= 0");
        Range(ValidationFraction >= 0 && ValidationFraction <= 0.5, nameof(ValidationFraction), ValidationFraction, "in [0, 0.5]");
        Range(Patience >= 0, nameof(Patience), Patience, ">= 0");
        Range(Enum.IsDefined(Cell), nameof(Cell), Cell, "a defined RecurrentCellKind");
        if (string.IsNullOrWhiteSpace(TextColumnName) || string.IsNullOrWhiteSpace(LabelColumnName))
            throw new ArgumentException("TextColumnName and LabelColumnName must not be empty.");
        ArgumentNullException.ThrowIfNull(Device, nameof(Device));
        ArgumentNullException.ThrowIfNull(InferenceDevice, nameof(InferenceDevice));
    }
}
