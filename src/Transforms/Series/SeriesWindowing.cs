using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetRnn.Transforms.Series;

/// <summary>
/// Turns a series view (one row per time step) into a windows view (one row per window) with a
/// <c>float[window]</c> input column, a <c>float[horizon]</c> target column and the window's start row.
/// </summary>
public static class SeriesWindowing
{
    /// <summary>Name of the column holding the row index (in the series) of each window's first value.</summary>
    public const string WindowStartColumnName = "WindowStart";

    /// <summary>
    /// Windows the scalar float column <paramref name="seriesColumnName"/> of <paramref name="series"/>.
    /// Only complete windows (with all <paramref name="horizon"/> targets present) are produced.
    /// </summary>
    /// <param name="mlContext">The ML.NET context that owns the new view.</param>
    /// <param name="series">Rows in time order.</param>
    /// <param name="seriesColumnName">A scalar Single column.</param>
    /// <param name="window">Input window length (at least 1).</param>
    /// <param name="horizon">Targets per window (at least 1).</param>
    /// <param name="featureColumnName">Name of the output window column.</param>
    /// <param name="labelColumnName">Name of the output target column.</param>
    /// <exception cref="ArgumentException">The column is missing or mistyped, holds NaN/infinity, or is shorter than window + horizon.</exception>
    public static IDataView CreateWindows(MLContext mlContext, IDataView series, string seriesColumnName, int window, int horizon,
        string featureColumnName = "Features", string labelColumnName = "Label")
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        SlidingWindows.ValidateSizes(window, horizon);
        float[] values = SeriesColumnReader.Read(series, seriesColumnName);
        return CreateWindows(mlContext, values, window, horizon, featureColumnName, labelColumnName, $"series column '{seriesColumnName}'");
    }

    /// <summary>Windows an in-memory series.</summary>
    /// <inheritdoc cref="CreateWindows(MLContext, IDataView, string, int, int, string, string)"/>
    /// <param name="mlContext">The ML.NET context that owns the new view.</param>
    /// <param name="values">The series in time order.</param>
    /// <param name="window">Input window length (at least 1).</param>
    /// <param name="horizon">Targets per window (at least 1).</param>
    /// <param name="featureColumnName">Name of the output window column.</param>
    /// <param name="labelColumnName">Name of the output target column.</param>
    /// <param name="seriesName">Name used in error messages.</param>
    public static IDataView CreateWindows(MLContext mlContext, float[] values, int window, int horizon,
        string featureColumnName = "Features", string labelColumnName = "Label", string seriesName = "series")
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(values);
        SlidingWindows.ValidateSizes(window, horizon);
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
                throw new ArgumentException($"The {seriesName} has a non-finite value ({values[i]}) at row {i}; fill or drop missing values first.");
        }
        int count = SlidingWindows.Count(values.Length, window, horizon);
        if (count == 0)
            throw new ArgumentException(
                $"The {seriesName} has {values.Length} values, but one window needs window + horizon = {window} + {horizon} = {window + horizon}. " +
                "Provide a longer series or reduce the window or horizon.");

        var definition = SchemaDefinition.Create(typeof(WindowRow));
        definition[nameof(WindowRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, window);
        definition[nameof(WindowRow.Features)].ColumnName = featureColumnName;
        definition[nameof(WindowRow.Label)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, horizon);
        definition[nameof(WindowRow.Label)].ColumnName = labelColumnName;
        definition[nameof(WindowRow.WindowStart)].ColumnName = WindowStartColumnName;
        // Rows are produced lazily from the series array, so memory stays O(series) however many windows there are.
        return mlContext.Data.LoadFromEnumerable(EnumerateWindows(values, window, horizon, count), definition);
    }

    /// <summary>A view with one row per value of <paramref name="values"/> in a Single column named <paramref name="seriesColumnName"/>.</summary>
    public static IDataView SeriesView(MLContext mlContext, float[] values, string seriesColumnName)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(values);
        var definition = SchemaDefinition.Create(typeof(ValueRow));
        definition[nameof(ValueRow.Value)].ColumnName = seriesColumnName;
        return mlContext.Data.LoadFromEnumerable(values.Select(v => new ValueRow { Value = v }), definition);
    }

    private static IEnumerable<WindowRow> EnumerateWindows(float[] values, int window, int horizon, int count)
    {
        for (int i = 0; i < count; i++)
        {
            yield return new WindowRow
            {
                Features = values.AsSpan(i, window).ToArray(),
                Label = values.AsSpan(i + window, horizon).ToArray(),
                WindowStart = i,
            };
        }
    }

    /// <summary>Row type behind the series view; its column name is set through a schema definition.</summary>
    private sealed class ValueRow
    {
        public float Value { get; set; }
    }

    /// <summary>Row type behind the windows view; its column names and sizes are set through a schema definition.</summary>
    private sealed class WindowRow
    {
        public float[] Features { get; set; } = Array.Empty<float>();

        public float[] Label { get; set; } = Array.Empty<float>();

        public long WindowStart { get; set; }
    }
}
