namespace MlNetRnn.Onnx.Model;

/// <summary>A dense float32 tensor with a name and a shape, stored row-major.</summary>
public sealed class NamedTensor
{
    /// <summary>Creates a tensor; the data length must equal the product of the shape.</summary>
    /// <exception cref="ArgumentException">The data length does not match the shape.</exception>
    public NamedTensor(string name, long[] shape, float[] data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        long count = 1;
        foreach (long d in shape)
            count *= d;
        if (count != data.Length)
            throw new ArgumentException($"Tensor '{name}' has shape [{string.Join(", ", shape)}] ({count} values) but {data.Length} values were given.");
        Name = name;
        Shape = shape;
        Data = data;
    }

    /// <summary>The tensor's name (a PyTorch parameter name such as <c>rnn.weight_ih_l0</c>).</summary>
    public string Name { get; }

    /// <summary>The tensor's dimensions.</summary>
    public long[] Shape { get; }

    /// <summary>The values, row-major.</summary>
    public float[] Data { get; }
}
