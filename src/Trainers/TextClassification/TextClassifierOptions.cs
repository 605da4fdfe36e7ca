
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

    private int _embeddingSize = 64;
    private bool _embeddingSizeGiven;

    /// <summary>Embedding width, 1 to 4096. Default 64; with <see cref="WordVectors"/> the vectors' dimension (setting another value is an error).</summary>
    public int EmbeddingSize
    {
        get => WordVectors is { } vectors && !_embeddingSizeGiven ? vectors.Dimension : _embeddingSize;
        set
        {
            _embeddingSize = value;
            _embeddingSizeGiven = true;
        }
    }

    /// <summary>
    /// Pretrained word vectors (<see cref="Transforms.Text.WordVectors.Load(string, int?, Func{string, string}?)"/>: GloVe, word2vec or fastText text) that the embedding rows of the
    /// words they cover start from; words without a vector get trained rows. They are matched after the classifier's own
    /// normalisation (lower-casing when <see cref="LowerCase"/>, punctuation removed), and only the rows of the model's vocabulary
    /// are stored in the ONNX graph. A training word with a vector joins the vocabulary even when seen once. Default null (the
    /// embedding learns from the training texts alone).
    /// </summary>
    public WordVectors? WordVectors { get; set; }

    /// <summary>Whether the pretrained rows are fine-tuned (default) or frozen.</summary>
    public WordVectorTraining WordVectorTraining { get; set; } = WordVectorTraining.FineTune;

    /// <summary>Learning-rate multiplier of the pretrained rows when fine-tuned, in (0, 1]. Default 0.1: the vectors move, but slower than the rows learned from scratch.</summary>
    public double WordVectorLearningRateScale { get; set; } = 0.1;

    /// <summary>Epochs the pretrained rows stay fixed before fine-tuning starts (the head and the recurrent layers settle first). Default 0.</summary>
    public int WordVectorFrozenEpochs { get; set; }

    /// <summary>Read each text in both directions. Default true.</summary>
    public bool Bidirectional { get; set; } = true;

    /// <summary>How the head reads the words: the final states (each text's own last word; the backward pass starts there), the mean over its words, or the mean and the maximum side by side. Default MeanMax (chosen on inner
    /// validation splits of the review sentences: 0.731 against 0.681 for Mean without word vectors, with word dropout 0.2).</summary>
    public SequencePooling Pooling { get; set; } = SequencePooling.MeanMax;

    /// <summary>
    /// Networks trained from seeds <c>Seed</c>, <c>Seed + 1</c>, … and averaged inside one ONNX graph (the mean of their logits), 1 to 20.
    /// Each costs a full training run and its own weights; the average is steadier from split to split than any one of them. Default 1.
    /// </summary>
    public int EnsembleSize { get; set; } = 1;

    /// <summary>
    /// Train on padded batches with each text's steps masked (the backward direction starts at each text's own last word) instead of
    /// packed sequences: the same values, and faster on the CPU, where libtorch runs packed batches step by step. Default true.
    /// </summary>
    public bool MaskedPadding { get; set; } = true;

    /// <summary>
    /// Probability that a training word is replaced by the unknown word in each batch, in [0, 0.5]: the model cannot lean on any one
    /// word, and learns what to make of words it has never seen. Scoring never drops words. Default 0.2 (on inner validation
    /// splits of the review sentences it added 4 points of accuracy with GloVe vectors, 5 without).
    /// </summary>
    public double WordDropout { get; set; } = 0.2;

    /// <summary>
    /// With <see cref="WordVectors"/>: the most frequent words of the vectors file (up to this many) join the vocabulary even when no
    /// training text uses them, keeping their pretrained rows, so a text's unseen words still carry meaning. They cost
    /// <c>4 × dimension</c> bytes each in the ONNX graph. Bounded by <see cref="MaximumVocabularySize"/>. Default 0.
    /// </summary>
    public int WordVectorVocabulary { get; set; }

    /// <summary>
    /// Adds a wide part to the head: a learned weight per vocabulary word and class, averaged over the text's words and added to the
    /// logits (a linear bag-of-words model trained jointly, inside the same ONNX graph). Default false.
    /// </summary>
    public bool WideTokens { get; set; }

    /// <summary>
    /// Adds an n-gram part to the head: multinomial naive Bayes over the text's words and adjacent word pairs (every training word,
    /// not only the embedding's vocabulary; the 100,000 most frequent pairs), counted on the training texts and added to the networks' logits inside the same ONNX
    /// graph, with a weight and a scale of the networks' logits chosen on the validation texts (weight 0 leaves it out). It costs
    /// no training time. Default true (on inner validation splits of the review sentences, one network without word vectors: 0.799
    /// accuracy against 0.731; five networks with GloVe vectors: 0.856 against 0.854). Ignored when no training text has a word.
    /// </summary>
    public bool NgramNaiveBayes { get; set; } = true;

    /// <summary>
    /// Weight of the n-gram part's logits, in [0, 10]; null (the default) chooses it from 0, 0.1, 0.2, 0.3, 0.5, 0.7 and 1 by the
    /// cross-entropy on the validation texts (<see cref="NgramFallbackWeight"/> when <c>ValidationFraction</c> is 0).
    /// </summary>
    public double? NgramWeight { get; set; }

    /// <summary>The n-gram part's weight when it is not given and there are no validation texts to choose it on.</summary>
    public const double NgramFallbackWeight = 0.3;

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
        Require(Pooling != SequencePooling.EveryStep && Enum.IsDefined(Pooling), nameof(Pooling), Pooling, "LastStep, Mean or MeanMax");
        Require(Enum.IsDefined(WordVectorTraining), nameof(WordVectorTraining), WordVectorTraining, "FineTune or Frozen");
        Require(WordVectorLearningRateScale > 0 && WordVectorLearningRateScale <= 1, nameof(WordVectorLearningRateScale), WordVectorLearningRateScale, "in (0, 1]");
        Require(EnsembleSize >= 1 && EnsembleSize <= 20, nameof(EnsembleSize), EnsembleSize, "between 1 and 20");
        Require(WordDropout >= 0 && WordDropout <= 0.5, nameof(WordDropout), WordDropout, "in [0, 0.5]");
        Require(WordVectorVocabulary >= 0, nameof(WordVectorVocabulary), WordVectorVocabulary, ">= 0");
        Require(NgramWeight is null || (NgramWeight >= 0 && NgramWeight <= 10), nameof(NgramWeight), NgramWeight, "null (chosen on the validation texts) or in [0, 10]");
        Require(WordVectorFrozenEpochs >= 0, nameof(WordVectorFrozenEpochs), WordVectorFrozenEpochs, ">= 0");
        if (WordVectors is { } vectors && EmbeddingSize != vectors.Dimension)
            throw new ArgumentException($"EmbeddingSize is {EmbeddingSize}, but the word vectors from {vectors.Source} have {vectors.Dimension} values per word. " +
                                        $"Leave EmbeddingSize unset (it follows the vectors) or set it to {vectors.Dimension}.", nameof(EmbeddingSize));
        RequireColumn(TextColumnName, nameof(TextColumnName));
        RequireColumn(LabelColumnName, nameof(LabelColumnName));
    }
}
