using MlNetRnn.Transforms.Text;

namespace MlNetRnn.Trainers.Tagging;

/// <summary>
/// Options of <see cref="SequenceTaggerTrainer"/>: a tag per token (part of speech, entities, per-step flags) from a bidirectional
/// LSTM/GRU over word embeddings and each token's spelling (a character convolution). Every range is checked when the trainer is created.
/// </summary>
public sealed class SequenceTaggerOptions : RecurrentTrainerOptions
{
    /// <summary>Creates options with the tagger's defaults.</summary>
    public SequenceTaggerOptions()
    {
        Cell = RecurrentCellKind.Lstm;
        HiddenSize = 128;
        NumberOfLayers = 1;
        Dropout = 0;
        // Chosen on the validation split of the Brown training part (never its test part): halving the rate after an epoch without a
        // better validation loss, a patience of 3 and dropout 0.25 on the token features took the best validation accuracy from 97.42%
        // (constant rate, patience 2, no dropout) to 97.71% (schedule and patience) and 97.84% (with the dropout); docs/PERFORMANCE.md.
        Epochs = 12;
        BatchSize = 32;
        LearningRate = 0.002;
        LearningRateSchedule = LearningRateScheduleKind.ReduceOnPlateau;
        LearningRateDecay = 0.5;
        LearningRateDecayEpochs = 1;
        Patience = 3;
        ValidationFraction = 0.05;
    }

    /// <summary>Tokens column: a vector of String (one sentence per row, any length). Default "Tokens".</summary>
    public string TokensColumnName { get; set; } = "Tokens";

    /// <summary>Tags column: a vector of String or of a key, one tag per token. Default "Tags".</summary>
    public string TagsColumnName { get; set; } = "Tags";

    /// <summary>Output column of the predicted tags (a vector of String, one per token). Default "PredictedTags".</summary>
    public string PredictedTagsColumnName { get; set; } = "PredictedTags";

    /// <summary>Output column of each predicted tag's probability (a vector of Single, one per token). Default "TagProbability".</summary>
    public string TagProbabilityColumnName { get; set; } = "TagProbability";

    /// <summary>Whether the stack reads each sentence both ways. Default true.</summary>
    public bool Bidirectional { get; set; } = true;

    private int _embeddingSize = 100;
    private bool _embeddingSizeGiven;

    /// <summary>Word embedding width, 1 to 4096. Default 100; with <see cref="WordVectors"/> the vectors' dimension (setting another value is an error).</summary>
    public int EmbeddingSize
    {
        get => WordVectors is { } vectors && !_embeddingSizeGiven ? vectors.Dimension : _embeddingSize;
        set
        {
            _embeddingSize = value;
            _embeddingSizeGiven = true;
        }
    }

    /// <summary>A word joins the vocabulary when it occurs this often in the training sentences (or has a pretrained vector). Default 2.</summary>
    public int MinimumFrequency { get; set; } = 2;

    /// <summary>
    /// Pretrained word vectors (GloVe, word2vec or fastText text) that the embedding rows start from, matched on the lower-cased word
    /// (tokens keep their case for the vocabulary and the spelling features). Only the model vocabulary's rows travel in the graph.
    /// Default null.
    /// </summary>
    public WordVectors? WordVectors { get; set; }

    /// <summary>Learning-rate multiplier of the pretrained rows, in (0, 1]. Default 0.1.</summary>
    public double WordVectorLearningRateScale { get; set; } = 0.1;

    /// <summary>Whether tokens' spelling feeds the network (a character convolution; what tags words never seen in training). Default true.</summary>
    public bool CharacterFeatures { get; set; } = true;

    /// <summary>Character embedding width, 1 to 256. Default 24.</summary>
    public int CharacterEmbeddingSize { get; set; } = 24;

    /// <summary>Character convolution filters (spelling values per token), 1 to 1024. Default 64.</summary>
    public int CharacterFilters { get; set; } = 64;

    /// <summary>Characters each filter reads, odd, 1 to 9. Default 3.</summary>
    public int CharacterKernelWidth { get; set; } = 3;

    /// <summary>
    /// Probability that a training token's word id is replaced by the unknown id (its spelling stays), in [0, 0.5]: teaches the
    /// network to tag from spelling and context when a word is new. Default 0.05.
    /// </summary>
    public double WordDropout { get; set; } = 0.05;

    /// <summary>
    /// Dropout on each token's features (word embedding and spelling) as the recurrent stack reads them, while training, in [0, 0.9).
    /// Default 0.25.
    /// </summary>
    public double EmbeddingDropout { get; set; } = 0.25;

    /// <summary>Training stops after this much time (then keeps the best epoch's weights); null for no limit. Default null.</summary>
    public TimeSpan? TimeBudget { get; set; }

    /// <summary>Per-epoch progress (losses, the kept epoch); null for none.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

    internal SequenceTaggerOptions Clone() => CloneAs<SequenceTaggerOptions>();

    /// <inheritdoc/>
    private protected override void ValidateTask()
    {
        Require(EmbeddingSize >= 1 && EmbeddingSize <= 4096, nameof(EmbeddingSize), EmbeddingSize, "between 1 and 4096");
        Require(MinimumFrequency >= 1, nameof(MinimumFrequency), MinimumFrequency, ">= 1");
        Require(WordVectorLearningRateScale > 0 && WordVectorLearningRateScale <= 1, nameof(WordVectorLearningRateScale), WordVectorLearningRateScale, "in (0, 1]");
        Require(CharacterEmbeddingSize >= 1 && CharacterEmbeddingSize <= 256, nameof(CharacterEmbeddingSize), CharacterEmbeddingSize, "between 1 and 256");
        Require(CharacterFilters >= 1 && CharacterFilters <= 1024, nameof(CharacterFilters), CharacterFilters, "between 1 and 1024");
        Require(CharacterKernelWidth >= 1 && CharacterKernelWidth <= 9 && CharacterKernelWidth % 2 == 1, nameof(CharacterKernelWidth), CharacterKernelWidth, "odd, between 1 and 9");
        Require(WordDropout >= 0 && WordDropout <= 0.5, nameof(WordDropout), WordDropout, "in [0, 0.5]");
        Require(EmbeddingDropout >= 0 && EmbeddingDropout < 0.9, nameof(EmbeddingDropout), EmbeddingDropout, "in [0, 0.9)");
        Require(TimeBudget is null || TimeBudget > TimeSpan.Zero, nameof(TimeBudget), TimeBudget, "positive or null");
        if (WordVectors is { } vectors && EmbeddingSize != vectors.Dimension)
            throw new ArgumentException($"EmbeddingSize is {EmbeddingSize}, but the word vectors from {vectors.Source} have {vectors.Dimension} values per word. " +
                                        $"Leave EmbeddingSize unset (it follows the vectors) or set it to {vectors.Dimension}.", nameof(EmbeddingSize));
        RequireColumn(TokensColumnName, nameof(TokensColumnName));
        RequireColumn(TagsColumnName, nameof(TagsColumnName));
        RequireColumn(PredictedTagsColumnName, nameof(PredictedTagsColumnName));
        RequireColumn(TagProbabilityColumnName, nameof(TagProbabilityColumnName));
    }
}
