using System.Globalization;
using Microsoft.ML;

namespace MlNetRnn.Transforms.Series;

/// <summary>Reads a scalar float column of an <see cref="IDataView"/> (one row per time step) into an array, in row order.</summary>
internal static class SeriesColumnReader
{
    /// <summary>
    /// Reads every value of <paramref name="columnName"/> in cursor order, rejecting NaN and infinity.
    /// </summary>
    /// <exception cref="ArgumentException">The column is missing, is not Single, or holds a non-finite value (the row is named).</exception>
    public static float[] Read(IDataView data, string columnName)
    {
        ArgumentNullException.ThrowIfNull(data);
        var column = SchemaValidation.RequireScalarSingle(data.Schema, columnName, "series");
        var values = new List<float>();
        using var cursor = data.GetRowCursor(new[] { column });
        var getter = cursor.GetGetter<float>(column);
        float value = 0;
        while (cursor.MoveNext())
        {
            getter(ref value);
            if (!float.IsFinite(value))
                throw new ArgumentException(
                    $"The series column '{columnName}' has {value.ToString(CultureInfo.InvariantCulture)} at row {values.Count}. " +
                    "Recurrent training needs finite values: fill or drop missing values first (e.g. mlContext.Transforms.ReplaceMissingValues).");
            values.Add(value);
        }
        return values.ToArray();
    }
}
