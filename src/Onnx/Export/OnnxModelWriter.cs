using System.Reflection;
using Google.Protobuf;
using MlNetRnn.Onnx.Protobuf;

namespace MlNetRnn.Onnx.Export;

/// <summary>Wraps a graph in a <see cref="ModelProto"/> with the opset, IR version, producer and metadata this library always writes.</summary>
internal static class OnnxModelWriter
{
    /// <summary>ONNX IR version written (pairs with opset 17).</summary>
    public const long IrVersion = 8;

    /// <summary>Default-domain opset: RNN ops resolve to their opset-14 schema, which both ONNX Runtime CPU and CUDA kernels cover.</summary>
    public const long Opset = 17;

    /// <summary>Bumped whenever the graph conventions of exported models change.</summary>
    public const long ModelVersion = 1;

    public static string LibraryVersion { get; } =
        typeof(OnnxModelWriter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0] ?? "0.0.0";

    /// <summary>Version of the <c>ai.onnx.ml</c> operator set, imported only by graphs that use it (LabelEncoder with keys_strings/values_int64).</summary>
    public const long MlOpset = 2;

    public static byte[] Serialize(GraphProto graph, string docString, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "MlNetRnn",
            ProducerVersion = LibraryVersion,
            ModelVersion = ModelVersion,
            DocString = docString,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = Opset });
        if (graph.Node.Any(n => n.Domain == "ai.onnx.ml"))
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "ai.onnx.ml", Version = MlOpset });
        foreach (var (key, value) in metadata)
        {
            if (key == OnnxMetadataKeys.WeightsSha256)
                throw new ArgumentException($"Metadata key '{key}' is computed by the writer.", nameof(metadata));
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }
        model.MetadataProps.Add(new StringStringEntryProto { Key = OnnxMetadataKeys.WeightsSha256, Value = WeightsDigest.Compute(graph) });
        return model.ToByteArray();
    }
}
