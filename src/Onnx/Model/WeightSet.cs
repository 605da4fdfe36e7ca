namespace MlNetRnn.Onnx.Model;

/// <summary>
/// Named weights of a trained network, keyed by PyTorch/TorchSharp parameter names
/// (for example <c>rnn.weight_ih_l0</c>, <c>rnn.bias_hh_l1_reverse</c>, <c>head.weight</c>), in PyTorch layouts.
/// </summary>
public sealed class WeightSet
{
    private readonly Dictionary<string, NamedTensor> _tensors = new(StringComparer.Ordinal);

    /// <summary>Creates a weight set from tensors with unique names.</summary>
    public WeightSet(IEnumerable<NamedTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        foreach (var t in tensors)
        {
            if (!_tensors.TryAdd(t.Name, t))
                throw new ArgumentException($"Duplicate weight name '{t.Name}'.", nameof(tensors));
        }
    }

    /// <summary>All tensors, in insertion order of their names.</summary>
    public IReadOnlyCollection<NamedTensor> Tensors => _tensors.Values;

    /// <summary>Returns the tensor called <paramref name="name"/>, checking its shape.</summary>
    /// <exception cref="KeyNotFoundException">The weight is missing.</exception>
    /// <exception cref="ArgumentException">The weight has another shape.</exception>
    public NamedTensor Get(string name, params long[] expectedShape)
    {
        if (!_tensors.TryGetValue(name, out var tensor))
            throw new KeyNotFoundException($"Weight '{name}' is missing. Present: {string.Join(", ", _tensors.Keys)}.");
        if (expectedShape.Length > 0 && !tensor.Shape.AsSpan().SequenceEqual(expectedShape))
            throw new ArgumentException($"Weight '{name}' has shape [{string.Join(", ", tensor.Shape)}], expected [{string.Join(", ", expectedShape)}].");
        return tensor;
    }

    /// <summary>Whether a weight with this name exists.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);
}
