using System.Globalization;
using Microsoft.ML.Data;

namespace MlNetRnn.Tests.Trainers.SequenceModeling;

/// <summary>The handwritten digits (data/sequences/digits.csv): 8×8 counts read row by row, 8 steps of 8 features.</summary>
internal static class Digits
{
    public sealed class Row
    {
        public float Label { get; set; }

        [VectorType(64)]
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    public static Row[] Load() =>
        File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "data", "sequences", "digits.csv")).Skip(1)
            .Select(l => l.Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray())
            .Select(v => new Row { Label = v[0], Features = v[1..] })
            .ToArray();
}
