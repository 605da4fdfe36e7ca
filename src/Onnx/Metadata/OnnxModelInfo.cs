using Google.Protobuf;
using MlNetRnn.Onnx.Protobuf;

namespace MlNetRnn.Onnx.Metadata;

/// <summary>Header facts of an ONNX model read straight from its protobuf: versions, producer, I/O names, metadata.</summary>
public sealed class OnnxModelInfo
{
    private OnnxModelInfo(ModelProto model)
    {
        IrVersion = model.IrVersion;
        Opset = model.OpsetImport.FirstOrDefault(o => o.Domain.Length == 0)?.Version ?? 0;
        ProducerName = model.ProducerName;
        ProducerVersion = model.ProducerVersion;
        DocString = model.DocString;
        Metadata = model.MetadataProps.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        InputNames = model.Graph?.Input.Select(i => i.Name).ToArray() ?? Array.Empty<string>();
        OutputNames = model.Graph?.Output.Select(o => o.Name).ToArray() ?? Array.Empty<string>();
        InitializerNames = model.Graph?.Initializer.Select(t => t.Name).ToArray() ?? Array.Empty<string>();
        OperatorTypes = model.Graph?.Node.Select(n => n.OpType).ToArray() ?? Array.Empty<string>();
    }

    /// <summary>The model's IR version.</summary>
    public long IrVersion { get; }
    /// <summary>The default-domain opset version.</summary>
    public long Opset { get; }
    /// <summary>Producer name ("MlNetRnn" for models of this library).</summary>
    public string ProducerName { get; }
    /// <summary>Producer version.</summary>
    public string ProducerVersion { get; }
    /// <summary>Human-readable summary of the model.</summary>
    public string DocString { get; }
    /// <summary>Model-level <c>metadata_props</c>.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
    /// <summary>Graph input names, in order.</summary>
    public IReadOnlyList<string> InputNames { get; }
    /// <summary>Graph output names, in order.</summary>
    public IReadOnlyList<string> OutputNames { get; }
    /// <summary>Names of the graph's constant initializers.</summary>
    public IReadOnlyList<string> InitializerNames { get; }
    /// <summary>Operator type of each node, in graph order.</summary>
    public IReadOnlyList<string> OperatorTypes { get; }

    /// <summary>Parses model bytes.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a parseable ONNX model.</exception>
    public static OnnxModelInfo Read(byte[] modelBytes)
    {
        ArgumentNullException.ThrowIfNull(modelBytes);
        try
        {
            var model = ModelProto.Parser.ParseFrom(modelBytes);
            if (model.Graph is null)
                throw new InvalidDataException("The ONNX model has no graph.");
            return new OnnxModelInfo(model);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new InvalidDataException($"The bytes are not a valid ONNX model ({modelBytes.Length} bytes): {ex.Message}", ex);
        }
    }

    /// <summary>Reads an ONNX file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a parseable ONNX model.</exception>
    public static OnnxModelInfo ReadFile(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"ONNX model file '{path}' does not exist.", path);
        try
        {
            return Read(File.ReadAllBytes(path));
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"'{path}': {ex.Message}", ex);
        }
    }
}
