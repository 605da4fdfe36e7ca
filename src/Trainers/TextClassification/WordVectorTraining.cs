namespace MlNetRnn.Trainers.TextClassification;

/// <summary>How the embedding rows that start from pretrained word vectors train (rows of words without a vector always train).</summary>
public enum WordVectorTraining
{
    /// <summary>
    /// The pretrained rows move at <see cref="TextClassifierOptions.WordVectorLearningRateScale"/> times the learning rate, after
    /// <see cref="TextClassifierOptions.WordVectorFrozenEpochs"/> epochs in which they stay fixed.
    /// </summary>
    FineTune = 0,

    /// <summary>The pretrained rows never change: words share what the vectors learned from billions of words, and a small data set cannot overfit them.</summary>
    Frozen = 1,
}
