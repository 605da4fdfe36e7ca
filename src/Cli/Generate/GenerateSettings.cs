
namespace MlNetRnn.Cli.Generate;

/// <summary>Everything the <c>generate</c> command was asked to do.</summary>
internal sealed record GenerateSettings
{
    public string? CorpusPath { get; init; }
    public string? ModelPath { get; init; }
    public double Minutes { get; init; } = 3;
    public int Epochs { get; init; } = 50;
    public RecurrentCellKind Cell { get; init; } = RecurrentCellKind.Lstm;
    public int Hidden { get; init; } = 256;
    public int Layers { get; init; } = 2;
    public int Embedding { get; init; } = 64;
    public int SequenceLength { get; init; } = 100;
    public int BatchSize { get; init; } = 64;
    public string Prime { get; init; } = "ROMEO:";
    public int Length { get; init; } = 500;
    public double Temperature { get; init; } = 0.8;
    public int TopK { get; init; }
    public int Seed { get; init; } = 1;

    /// <summary>Checkpoint folder and resume flag.</summary>
    public CheckpointSettings Checkpoint { get; init; } = CheckpointSettings.None;
    public ExecutionDevice Device { get; init; } = ExecutionDevice.Cpu;
    public string OutputDirectory { get; init; } = Path.Combine("out", "generate");
}
