namespace MlNetRnn.Onnx.Import;

/// <summary>
/// A model read back from an ONNX file this library exported: its architecture and task description, its weights in
/// TorchSharp names and layouts (gate permutations undone), and its metadata.
/// </summary>
public sealed class ImportedRecurrentModel
{
    internal ImportedRecurrentModel(string task, RecurrentArchitecture architecture, SequenceModelDescription? sequence,
        ForecastingModelDescription? forecasting, WeightSet weights, IReadOnlyDictionary<string, string> metadata,
        IReadOnlyList<KeyValuePair<string, string>> extraMetadata)
    {
        Task = task;
        Architecture = architecture;
        Sequence = sequence;
        Forecasting = forecasting;
        Weights = weights;
        Metadata = metadata;
        ExtraMetadata = extraMetadata;
    }

    /// <summary>The <c>task</c> metadata value (<c>forecasting</c>, <c>sequence</c>, <c>classification</c>, <c>charlm</c>, ...).</summary>
    public string Task { get; }

    /// <summary>The recurrent stack.</summary>
    public RecurrentArchitecture Architecture { get; }

    /// <summary>The description of a sequence model; null for a forecaster.</summary>
    public SequenceModelDescription? Sequence { get; }

    /// <summary>The description of a forecaster; null for a sequence model.</summary>
    public ForecastingModelDescription? Forecasting { get; }

    /// <summary>Weights named and laid out as TorchSharp's parameters (<c>rnn.weight_ih_l0</c>, <c>head.weight</c>, ...).</summary>
    public WeightSet Weights { get; }

    /// <summary>Every <c>metadata_props</c> entry of the file.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Entries the exporter did not generate itself (training summary, vocabulary, ...), in file order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ExtraMetadata { get; }

    /// <summary>Exports the imported model again: same description, weights and extra metadata.</summary>
    public byte[] Export() => Forecasting is not null
        ? ForecastingOnnxExporter.Export(Forecasting, Weights, ExtraMetadata)
        : SequenceOnnxExporter.Export(Sequence!, Weights, ExtraMetadata);
}
