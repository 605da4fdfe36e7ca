
namespace MlNetRnn.Trainers.TextClassification;

/// <summary>
/// Options of <see cref="TextClassifierTrainer"/>: an embedding and an LSTM/GRU/RNN over the words of a text column, with a
/// sigmoid head for a Boolean label (binary) or a softmax head for a key label (multiclass). Every range is checked when the
/// trainer is created.
/// </summary>
public sealed class TextClassifierOptions : RecurrentTrainerOptions
{
    /// <summary>Creates options with the text classifier's defaults.</summary>
    public TextClassifierOptions()
    {
        Cell = RecurrentCellKind.Gru;
        HiddenSize = 64;
        NumberOfLayers = 2;
        Dropout = 0.3;
        Epochs = 20;
        BatchSize = 32;
        LearningRate = 0.003;
        Patience = 3;
    }

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

    /// <summary>Read each text in both directions. Default true.</summary>
    public bool Bidirectional { get; set; } = true;

    /// <summary>How the head reads the words: the final states (each text's own last word; the backward pass starts there) or the mean over its words. Default Mean.</summary>
    public SequencePooling Pooling { get; set; } = SequencePooling.Mean;

    /// <summary>Receives one report per epoch (losses are cross-entropy). Default null.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

    internal TextClassifierOptions Clone() => CloneAs<TextClassifierOptions>();

    /// <inheritdoc/>
    private protected override void ValidateTask()
    {
        Require(MinimumFrequency >= 1, nameof(MinimumFrequency), MinimumFrequency, ">= 1");
        Require(MaximumVocabularySize == 0 || MaximumVocabularySize >= 4, nameof(MaximumVocabularySize), MaximumVocabularySize, "0 (no limit) or >= 4");
        Require(MaxLength >= 1 && MaxLength <= 10000, nameof(MaxLength), MaxLength, "between 1 and 10000");
        Require(EmbeddingSize >= 1 && EmbeddingSize <= 4096, nameof(EmbeddingSize), EmbeddingSize, "between 1 and 4096");
        Require(Pooling != SequencePooling.EveryStep && Enum.IsDefined(Pooling), nameof(Pooling), Pooling, "LastStep or Mean");
        RequireColumn(TextColumnName, nameof(TextColumnName));
        RequireColumn(LabelColumnName, nameof(LabelColumnName));
    }
}
