namespace MlNetRnn.Cli.Sequence;

/// <summary>Everything the <c>sequence</c> command was asked to do.</summary>
internal sealed record SequenceSettings
{
    /// <summary>A CSV/TSV file with a header row, or null for the embedded handwritten digits.</summary>
    public string? DataPath { get; init; }
    public string LabelColumn { get; init; } = "label";

    /// <summary>Values per step; null: 8 for the embedded digits (8 rows of 8 pixels), 1 for a file.</summary>
    public int? FeaturesPerStep { get; init; }

    /// <summary>Regression of a numeric label instead of classification.</summary>
    public bool Regression { get; init; }
    public RecurrentCellKind Cell { get; init; } = RecurrentCellKind.Gru;
    public int Hidden { get; init; } = 64;
    public int Layers { get; init; } = 1;
    public bool Bidirectional { get; init; } = true;
    public SequencePooling Pooling { get; init; } = new SequenceModelOptions().Pooling;
    // Five networks from consecutive seeds, averaged in one graph: chosen with --tuning (inner splits of the digits' training parts:
    // 0.983 ± 0.004 against 0.975 ± 0.007 for one network); about 5x the training time (about 35 s per split on 2 cores).
    public int Members { get; init; } = 5;
    public int Epochs { get; init; } = 200;
    public double TestFraction { get; init; } = 0.2;
    public int Seed { get; init; } = 1;

    /// <summary>Seeded 80/20 splits (stratified by class for classification) to train and score on: seeds Seed, Seed+1, ...</summary>
    public int Splits { get; init; } = 5;

    /// <summary>Score on an inner 20% of each training part instead of the test split (for choosing settings).</summary>
    public bool Tuning { get; init; }
    public ExecutionDevice Device { get; init; } = ExecutionDevice.Cpu;
    public string OutputDirectory { get; init; } = Path.Combine("out", "sequence");
}
