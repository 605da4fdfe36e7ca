using System.Globalization;

namespace MlNetRnn.Transforms.Series;

/// <summary>
/// An affine scaler for a univariate series, with an optional natural-log transform applied first:
/// <c>z = (f(x) - Center) / Scale</c> where <c>f</c> is <c>ln</c> when <see cref="Log"/> is set, else the identity.
/// </summary>
/// <remarks>
/// All arithmetic is done in single precision, in the same order as the ONNX graph that embeds the
/// scaler (Log, Sub, Div and Mul, Add, Exp), so in-graph and in-library scaling agree to the last bits.
/// </remarks>
public sealed class SeriesScaler
{
    /// <summary>Creates a scaler from already-known parameters.</summary>
    /// <param name="kind">The scaling kind the parameters came from (informational).</param>
    /// <param name="log">Whether <c>ln</c> is applied before the affine map.</param>
    /// <param name="center">Subtracted after the log transform.</param>
    /// <param name="scale">Divisor after centering; must be positive and finite.</param>
    public SeriesScaler(SeriesScalingKind kind, bool log, float center, float scale)
    {
        if (!float.IsFinite(center))
            throw new ArgumentOutOfRangeException(nameof(center), center, "The scaler center must be finite.");
        if (!float.IsFinite(scale) || scale <= 0f)
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scaler scale must be positive and finite.");
        Kind = kind;
        Log = log;
        Center = center;
        Scale = scale;
    }

    /// <summary>The scaling kind the parameters were fitted with.</summary>
    public SeriesScalingKind Kind { get; }

    /// <summary>Whether the natural logarithm is applied before the affine map (values must then be positive).</summary>
    public bool Log { get; }

    /// <summary>The value subtracted after the log transform.</summary>
    public float Center { get; }

    /// <summary>The divisor applied after centering.</summary>
    public float Scale { get; }

    /// <summary>The identity scaler.</summary>
    public static SeriesScaler Identity { get; } = new(SeriesScalingKind.None, false, 0f, 1f);

    /// <summary>
    /// Fits a scaler on the given values.
    /// </summary>
    /// <param name="values">Training values, in original units. Must be finite, and positive when <paramref name="log"/> is set.</param>
    /// <param name="kind">Scaling to fit.</param>
    /// <param name="log">Apply <c>ln</c> before scaling.</param>
    /// <param name="seriesName">Name used in error messages (the column or file the values came from).</param>
    /// <exception cref="ArgumentException">The values are empty, non-finite, or not positive while <paramref name="log"/> is set.</exception>
    public static SeriesScaler Fit(ReadOnlySpan<float> values, SeriesScalingKind kind, bool log, string seriesName = "series")
    {
        if (values.IsEmpty)
            throw new ArgumentException($"Cannot fit a scaler on an empty {seriesName}.", nameof(values));
        double sum = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
        for (int i = 0; i < values.Length; i++)
        {
            float raw = values[i];
            if (!float.IsFinite(raw))
                throw new ArgumentException($"The {seriesName} has a non-finite value ({raw.ToString(CultureInfo.InvariantCulture)}) at position {i}; remove or impute it before training.", nameof(values));
            if (log && raw <= 0f)
                throw new ArgumentException($"The {seriesName} has a value {raw.ToString(CultureInfo.InvariantCulture)} at position {i}, but the log transform needs values > 0. Turn the log transform off or shift the series.", nameof(values));
            double v = log ? MathF.Log(raw) : raw;
            sum += v;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        switch (kind)
        {
            case SeriesScalingKind.None:
                return new SeriesScaler(kind, log, 0f, 1f);
            case SeriesScalingKind.MinMax:
            {
                double range = max - min;
                return new SeriesScaler(kind, log, (float)min, range > 0 ? (float)range : 1f);
            }
            case SeriesScalingKind.Standard:
            {
                double mean = sum / values.Length;
                double sq = 0;
                for (int i = 0; i < values.Length; i++)
                {
                    double v = (log ? MathF.Log(values[i]) : values[i]) - mean;
                    sq += v * v;
                }
                double std = Math.Sqrt(sq / values.Length);
                return new SeriesScaler(kind, log, (float)mean, std > 0 ? (float)std : 1f);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown scaling kind.");
        }
    }

    /// <summary>Maps one value from original units to the scaled space.</summary>
    public float Transform(float value) => ((Log ? MathF.Log(value) : value) - Center) / Scale;

    /// <summary>Maps one value from the scaled space back to original units.</summary>
    public float Inverse(float scaled)
    {
        float v = scaled * Scale + Center;
        return Log ? MathF.Exp(v) : v;
    }

    /// <summary>Transforms <paramref name="source"/> into <paramref name="destination"/> (same length).</summary>
    public void Transform(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException("Destination is shorter than source.", nameof(destination));
        for (int i = 0; i < source.Length; i++)
            destination[i] = Transform(source[i]);
    }

    /// <summary>Inverse-transforms <paramref name="source"/> into <paramref name="destination"/> (same length).</summary>
    public void Inverse(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException("Destination is shorter than source.", nameof(destination));
        for (int i = 0; i < source.Length; i++)
            destination[i] = Inverse(source[i]);
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Kind}(log={Log}, center={Center}, scale={Scale})");
}
