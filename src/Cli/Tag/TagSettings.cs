namespace MlNetRnn.Cli.Tag;

/// <summary>Everything the <c>tag</c> command was asked to do.</summary>
internal sealed record TagSettings
{
    /// <summary>No pretrained vectors (the <c>--embeddings</c> value).</summary>
    public const string NoEmbeddings = "none";

    /// <summary>Training corpus (word TAB tag), or null for the embedded Brown training part.</summary>
    public string? DataPath { get; init; }

    /// <summary>Test corpus, or null for the embedded Brown test part (required with <see cref="DataPath"/>).</summary>
    public string? TestPath { get; init; }

    /// <summary>Word vectors: null for the embedded GloVe, <see cref="NoEmbeddings"/>, or a file.</summary>
    public string? Embeddings { get; init; }
    public RecurrentCellKind Cell { get; init; } = RecurrentCellKind.Lstm;
    public int Hidden { get; init; } = new SequenceTaggerOptions().HiddenSize;
    public bool CharacterFeatures { get; init; } = true;
    public int Epochs { get; init; } = new SequenceTaggerOptions().Epochs;

    public int Patience { get; init; } = new SequenceTaggerOptions().Patience;
    public LearningRateScheduleKind Schedule { get; init; } = new SequenceTaggerOptions().LearningRateSchedule;
    public double EmbeddingDropout { get; init; } = new SequenceTaggerOptions().EmbeddingDropout;

    /// <summary>Training time limit in minutes (the best epoch so far is kept).</summary>
    public double Minutes { get; init; } = 12;
    public int Seed { get; init; } = 1;
    public ExecutionDevice Device { get; init; } = ExecutionDevice.Cpu;
    public string OutputDirectory { get; init; } = Path.Combine("out", "tag");
}
