using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using MlNetRnn.Onnx.Protobuf;

namespace MlNetRnn.Onnx.Metadata;

/// <summary>
/// SHA-256 over every initializer (name, data type, dims, raw bytes) in graph order. Written into the model's metadata at
/// export and checked at import, so a truncated or edited weight is caught even when the protobuf still parses.
/// </summary>
internal static class WeightsDigest
{
    public static string Compute(GraphProto graph) => Compute(graph.Initializer.Select(t => (t, t.RawData.Span.ToArray())));

    /// <summary>Digest over initializers with their resolved bytes (external data already read in).</summary>
    public static string Compute(IEnumerable<(TensorProto Tensor, byte[] Bytes)> initializers)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[8];
        foreach (var (tensor, bytes) in initializers)
        {
            // Length-prefixed fields, so no two different initializer lists hash the same byte stream.
            byte[] name = Encoding.UTF8.GetBytes(tensor.Name);
            Append(hash, number, name.Length);
            hash.AppendData(name);
            Append(hash, number, tensor.DataType);
            Append(hash, number, tensor.Dims.Count);
            foreach (long dim in tensor.Dims)
                Append(hash, number, dim);
            Append(hash, number, bytes.Length);
            hash.AppendData(bytes);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void Append(IncrementalHash hash, Span<byte> buffer, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(buffer, value);
        hash.AppendData(buffer);
    }
}
