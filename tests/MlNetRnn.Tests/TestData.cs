using System.Globalization;
using Microsoft.ML;

namespace MlNetRnn.Tests;

/// <summary>Real data sets copied next to the test assembly (see data/README.md for provenance).</summary>
internal static class TestData
{
    public sealed class SeriesRow
    {
        public float Value { get; set; }
    }

    public sealed class DoubleRow
    {
        public double Value { get; set; }
    }

    public sealed class OtherRow
    {
        public float Other { get; set; }
    }

    public static float[] AirPassengers() => ReadValues("AirPassengers.csv");

    public static float[] Nottem() => ReadValues("nottem.csv");

    public static IDataView AsView(MLContext mlContext, IEnumerable<float> values) =>
        mlContext.Data.LoadFromEnumerable(values.Select(v => new SeriesRow { Value = v }).ToArray());

    private static float[] ReadValues(string file)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "data", file);
        return File.ReadAllLines(path).Skip(1).Where(l => l.Length > 0)
            .Select(l => float.Parse(l.Split(',')[2], CultureInfo.InvariantCulture)).ToArray();
    }
}
