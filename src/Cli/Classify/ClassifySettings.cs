
namespace MlNetRnn.Cli.Classify;

/// <summary>Everything the <c>classify</c> command was asked to do.</summary>
internal sealed record ClassifySettings
{
    public string? DataPath { get; init; }
    public string TextColumn { get; init; } = "text";
    public string LabelColumn { get; init; } = "label";
    public RecurrentCellKind Cell { get; init; } = RecurrentCellKind.Gru;
    public int Hidden { get; init; } = 64;
    public int Embedding { get; init; } = 64;
    public int Layers { get; init; } = 2;
    public bool Bidirectional { get; init; } = true;
    public SequencePooling Pooling { get; init; } = SequencePooling.Mean;
    public int MaxLength { get; init; } = 100;
    public int Epochs { get; init; } = 20;
    public double TestFraction { get; init; } = 0.2;
    public int Seed { get; init; } = 1;

    /// <summary>Checkpoint folder and resume flag.</summary>
    public CheckpointSettings Checkpoint { get; init; } = CheckpointSettings.None;
    public ExecutionDevice Device { get; init; } = ExecutionDevice.Cpu;
    public string OutputDirectory { get; init; } = Path.Combine("out", "classify");
}
