using System.Runtime.InteropServices;
using Google.Protobuf;
using MlNetRnn.Onnx.Protobuf;

namespace MlNetRnn.Onnx.Export;

/// <summary>
/// Builds an ONNX <see cref="GraphProto"/> in topological order: typed inputs and outputs, constant
/// initializers (never listed as graph inputs, so ONNX Runtime can fold and prepack them), and nodes
/// with unique names.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly GraphProto _graph = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _nodeCounter;

    public OnnxGraphBuilder(string name, string docString)
    {
        _graph.Name = name;
        _graph.DocString = docString;
    }

    public GraphProto Graph => _graph;

    /// <summary>Declares a graph input; each dim is an <see cref="int"/>/<see cref="long"/> (fixed) or a <see cref="string"/> (symbolic).</summary>
    public string AddInput(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        Reserve(name);
        _graph.Input.Add(MakeValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Declares a graph output; each dim is an <see cref="int"/>/<see cref="long"/> (fixed) or a <see cref="string"/> (symbolic).</summary>
    public void AddOutput(string name, TensorProto.Types.DataType type, params object[] dims) =>
        _graph.Output.Add(MakeValueInfo(name, type, dims));

    /// <summary>Adds a float32 initializer stored as little-endian raw data.</summary>
    public string AddFloat(string name, long[] dims, ReadOnlySpan<float> values) => AddTensor(name, dims, values, TensorProto.Types.DataType.Float);

    /// <summary>Adds a float32 scalar (rank-0) initializer.</summary>
    public string AddFloatScalar(string name, float value) => AddFloat(name, Array.Empty<long>(), new[] { value });

    /// <summary>Adds an int64 initializer (shapes, axes, indices).</summary>
    public string AddInt64(string name, long[] dims, ReadOnlySpan<long> values) => AddTensor(name, dims, values, TensorProto.Types.DataType.Int64);

    /// <summary>Adds a rank-0 int64 initializer once: a second call with the same name and value returns the existing one.</summary>
    /// <exception cref="InvalidOperationException">The name holds another value or another kind of tensor.</exception>
    public string SharedInt64Scalar(string name, long value)
    {
        var existing = _graph.Initializer.FirstOrDefault(t => t.Name == name);
        if (existing is null)
            return AddInt64Scalar(name, value);
        if (existing.DataType != (int)TensorProto.Types.DataType.Int64 || existing.Dims.Count != 0 || BitConverter.ToInt64(existing.RawData.Span) != value)
            throw new InvalidOperationException($"ONNX initializer '{name}' already holds another value than the int64 scalar {value}.");
        return name;
    }

    /// <summary>A 1-D int64 initializer shared by name: added on first use, reused after (an error if the name holds other values).</summary>
    public string SharedInt64Vector(string name, params long[] values)
    {
        var existing = _graph.Initializer.FirstOrDefault(t => t.Name == name);
        if (existing is null)
            return AddInt64Vector(name, values);
        if (existing.DataType != (int)TensorProto.Types.DataType.Int64 || existing.Dims.Count != 1
            || !System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(existing.RawData.Span).SequenceEqual(values))
            throw new InvalidOperationException($"ONNX initializer '{name}' already holds other values than [{string.Join(", ", values)}].");
        return name;
    }

    /// <summary>Adds a rank-0 int64 initializer (Gather index, Range bounds).</summary>
    public string AddInt64Scalar(string name, long value) => AddInt64(name, Array.Empty<long>(), new[] { value });

    /// <summary>Adds a 1-D int32 initializer.</summary>
    public string AddInt32Vector(string name, params int[] values)
    {
        if (_graph.Initializer.Any(t => t.Name == name))
            return name;
        return AddTensor(name, new long[] { values.Length }, (ReadOnlySpan<int>)values, TensorProto.Types.DataType.Int32);
    }

    /// <summary>Adds a 1-D int64 initializer.</summary>
    public string AddInt64Vector(string name, params long[] values) => AddInt64(name, new long[] { values.Length }, values);

    /// <summary>
    /// Adds a node. Outputs are given as names; an empty string in <paramref name="inputs"/> marks an omitted optional input.
    /// </summary>
    public NodeProto AddNode(string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, params AttributeProto[] attributes) =>
        AddNode(string.Empty, opType, inputs, outputs, attributes);

    /// <summary>Adds a node of an operator set other than the default one (e.g. <c>ai.onnx.ml</c>).</summary>
    public NodeProto AddNode(string domain, string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = $"{opType}_{_nodeCounter++}", Domain = domain };
        // Trailing omitted optional inputs are dropped; interior ones stay as "" per the IR spec.
        int last = inputs.Count - 1;
        while (last >= 0 && inputs[last].Length == 0)
            last--;
        for (int i = 0; i <= last; i++)
            node.Input.Add(inputs[i]);
        foreach (var output in outputs)
        {
            if (output.Length > 0)
                Reserve(output);
            node.Output.Add(output);
        }
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return node;
    }

    /// <summary>Adds a single-output node whose output name is <paramref name="output"/>, and returns that name.</summary>
    public string Op(string opType, string output, IReadOnlyList<string> inputs, params AttributeProto[] attributes)
    {
        AddNode(opType, inputs, new[] { output }, attributes);
        return output;
    }

    /// <summary>Returns a value name not used so far, derived from <paramref name="stem"/>.</summary>
    public string Unique(string stem)
    {
        if (!_names.Contains(stem))
            return stem;
        for (int i = 1; ; i++)
        {
            string candidate = $"{stem}_{i}";
            if (!_names.Contains(candidate))
                return candidate;
        }
    }

    public static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, I = value, Type = AttributeProto.Types.AttributeType.Int };

    public static AttributeProto IntsAttribute(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto StringAttribute(string name, string value) =>
        new() { Name = name, S = ByteString.CopyFromUtf8(value), Type = AttributeProto.Types.AttributeType.String };

    public static AttributeProto Int64TensorAttribute(string name, long value)
    {
        var tensor = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(1);
        tensor.Int64Data.Add(value);
        return new AttributeProto { Name = name, T = tensor, Type = AttributeProto.Types.AttributeType.Tensor };
    }

    public static AttributeProto StringsAttribute(string name, params string[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        foreach (var v in values)
            a.Strings.Add(ByteString.CopyFromUtf8(v));
        return a;
    }

    private string AddTensor<T>(string name, long[] dims, ReadOnlySpan<T> values, TensorProto.Types.DataType type)
        where T : unmanaged
    {
        EnsureLittleEndian();
        Reserve(name);
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values)) };
        tensor.Dims.AddRange(dims);
        _graph.Initializer.Add(tensor);
        return name;
    }

    private void Reserve(string name)
    {
        if (!_names.Add(name))
            throw new InvalidOperationException($"ONNX value name '{name}' is defined twice.");
    }

    private static ValueInfoProto MakeValueInfo(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d switch
            {
                string p => new TensorShapeProto.Types.Dimension { DimParam = p },
                int v => new TensorShapeProto.Types.Dimension { DimValue = v },
                long v => new TensorShapeProto.Types.Dimension { DimValue = v },
                _ => throw new ArgumentException($"Unsupported dim {d} for '{name}'."),
            });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    private static void EnsureLittleEndian()
    {
        // ONNX raw_data is little-endian by specification; writing native bytes is only correct on such hosts.
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Writing ONNX tensors requires a little-endian machine.");
    }
}
