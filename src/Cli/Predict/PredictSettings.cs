
namespace MlNetRnn.Cli.Predict;

/// <summary>Everything the <c>predict</c> command was asked to do.</summary>
internal sealed record PredictSettings
{
    /// <summary>The saved model: a <c>model.zip</c> or <c>model.onnx</c> written by this library.</summary>
    public string ModelPath { get; init; } = "";

    /// <summary>The data to score: a series CSV (forecaster), a table with a text column (classifier) or a text file (language model).</summary>
    public string DataPath { get; init; } = "";

    /// <summary>The column to read; null for the task's default (<c>value</c> for a series, <c>text</c> for texts).</summary>
    public string? Column { get; init; }

    /// <summary>Texts scored per ONNX Runtime call.</summary>
    public int BatchSize { get; init; } = 256;

    public string OutputDirectory { get; init; } = Path.Combine("out", "predict");
}
