using System.Globalization;

namespace MlNetRnn.Onnx.Model;

/// <summary>
/// A per-feature affine scaling <c>scaled = (raw − Center) / Scale</c> that the exported graph applies to its inputs, or
/// inverts (<c>raw = scaled · Scale + Center</c>) on its outputs, so the <c>.onnx</c> file takes and returns raw values.
/// </summary>
public sealed record AffineScaling
{
    /// <summary>Creates a scaling; both arrays have one value per feature.</summary>
    /// <exception cref="ArgumentException">The arrays differ in length, are empty, or a scale is zero or not finite.</exception>
    public AffineScaling(float[] center, float[] scale)
    {
        ArgumentNullException.ThrowIfNull(center);
        ArgumentNullException.ThrowIfNull(scale);
        if (center.Length == 0 || center.Length != scale.Length)
            throw new ArgumentException($"Scaling needs one center and one scale per feature; got {center.Length} centers and {scale.Length} scales.");
        for (int i = 0; i < scale.Length; i++)
        {
            if (!float.IsFinite(center[i]))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Scaling center {i} is {center[i]}; it must be finite."));
            if (!float.IsFinite(scale[i]) || scale[i] == 0)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Scaling scale {i} is {scale[i]}; it must be finite and non-zero."));
        }
        Center = center;
        Scale = scale;
    }

    /// <summary>Subtracted from each raw feature.</summary>
    public float[] Center { get; }

    /// <summary>Each centred feature is divided by this.</summary>
    public float[] Scale { get; }

    /// <summary>Number of features.</summary>
    public int Count => Center.Length;

    /// <inheritdoc />
    public bool Equals(AffineScaling? other) =>
        other is not null && Center.AsSpan().SequenceEqual(other.Center) && Scale.AsSpan().SequenceEqual(other.Scale);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Count, Center.Length > 0 ? Center[0] : 0f, Scale.Length > 0 ? Scale[0] : 0f);
}
