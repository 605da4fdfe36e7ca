
namespace MlNetRnn.Cli.Classify;

/// <summary>Everything the <c>classify</c> command was asked to do.</summary>
internal sealed record ClassifySettings
{
    /// <summary>The <c>--embeddings</c> value that turns pretrained vectors off.</summary>
    public const string NoEmbeddings = "none";

    public string? DataPath { get; init; }
    public string TextColumn { get; init; } = "text";
    public string LabelColumn { get; init; } = "label";
    public RecurrentCellKind Cell { get; init; } = RecurrentCellKind.Gru;
    public int Hidden { get; init; } = 64;
    public int Embedding { get; init; } = 64;

    /// <summary>Whether <c>--embedding</c> was given (with vectors, the width otherwise follows them).</summary>
    public bool EmbeddingGiven { get; init; }

    /// <summary>Vectors file, <see cref="NoEmbeddings"/>, or null for the embedded GloVe vectors.</summary>
    public string? Embeddings { get; init; }
    public WordVectorTraining VectorTraining { get; init; } = WordVectorTraining.FineTune;
    public double VectorLearningRateScale { get; init; } = 0.1;
    public int VectorFrozenEpochs { get; init; }
    public int Layers { get; init; } = 2;
    public bool Bidirectional { get; init; } = true;
    // Mean + max pooling and word dropout 0.2 were chosen with --tuning (inner validation splits), never on the test splits.
    public SequencePooling Pooling { get; init; } = SequencePooling.MeanMax;
    public double Dropout { get; init; } = 0.3;
    public bool Wide { get; init; }
    /// <summary>Add the n-gram naive Bayes part (<see cref="TextClassifierOptions.NgramNaiveBayes"/>; on by default, chosen with --tuning).</summary>
    public bool Ngrams { get; init; } = true;
    /// <summary>The n-gram part's weight; null chooses it on the validation texts.</summary>
    public double? NgramWeight { get; init; }
    // Five networks from consecutive seeds, averaged in one graph: chosen with --tuning (inner splits: 0.854 vs 0.846 accuracy with
    // the GloVe vectors, 0.782 vs 0.729 without); about 45 s per split on 2 cores instead of 9.
    public int Members { get; init; } = 5;

    /// <summary>Train on packed sequences instead of masked padding.</summary>
    public bool Packed { get; init; }
    public double WordDropout { get; init; } = 0.2;
    public int VectorVocabulary { get; init; }
    public int MaxLength { get; init; } = 100;
    public int Epochs { get; init; } = 20;
    public double TestFraction { get; init; } = 0.2;
    public int Seed { get; init; } = 1;

    /// <summary>Seeded 80/20 splits to train and score on (seeds Seed, Seed+1, ...).</summary>
    public int Splits { get; init; } = 5;

    /// <summary>Score on an inner 20% of each training part instead of the test split (for choosing settings).</summary>
    public bool Tuning { get; init; }

    /// <summary>Checkpoint folder and resume flag.</summary>
    public CheckpointSettings Checkpoint { get; init; } = CheckpointSettings.None;
    public ExecutionDevice Device { get; init; } = ExecutionDevice.Cpu;
    public string OutputDirectory { get; init; } = Path.Combine("out", "classify");
}
