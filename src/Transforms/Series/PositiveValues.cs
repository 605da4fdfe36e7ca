using System.Globalization;
using Microsoft.ML;

namespace MlNetRnn.Transforms.Series;

/// <summary>Checks for models that log-transform their input: every value must be &gt; 0, or ln gives NaN silently.</summary>
internal static class PositiveValues
{
    /// <summary>Throws naming the first value ≤ 0 and its position.</summary>
    /// <exception cref="ArgumentException">A value is ≤ 0.</exception>
    public static void Require(ReadOnlySpan<float> values, string source)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!(values[i] > 0f))
                throw new ArgumentException(Message(source, $"position {i}", values[i]));
        }
    }

    /// <summary>Reads a <c>float[width]</c> column once and throws naming the first value ≤ 0 with its row and slot.</summary>
    /// <exception cref="ArgumentException">The column is missing or mistyped, or a value is ≤ 0.</exception>
    public static void RequireInColumn(IDataView data, string columnName, int width)
    {
        long row = 0;
        foreach (var batch in DenseBatchReader.ReadBatches(data, columnName, width, null, 0, 1024))
        {
            var values = batch.Features.AsSpan(0, batch.Rows * width);
            for (int i = 0; i < values.Length; i++)
            {
                if (!(values[i] > 0f))
                    throw new ArgumentException(Message($"column '{columnName}'", $"row {row + i / width}, slot {i % width}", values[i]));
            }
            row += batch.Rows;
        }
    }

    private static string Message(string source, string where, float value) =>
        $"The {source} has {value.ToString(CultureInfo.InvariantCulture)} at {where}, but this model log-transforms its input and needs every value > 0. " +
        "Remove or shift such values, or train without LogTransform.";
}
