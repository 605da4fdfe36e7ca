using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetRnn.Transforms.Data;

/// <summary>
/// Turns an <see cref="IDataView"/> cursor over fixed-size float vector columns into dense batches,
/// the form both training and batch scoring consume.
/// </summary>
internal static class DenseBatchReader
{
    /// <summary>
    /// Streams rows in batches of up to <paramref name="batchSize"/>. Each batch owns fresh arrays, so callers may keep them.
    /// </summary>
    /// <param name="data">The data to read.</param>
    /// <param name="featureColumnName">A vector-of-Single column with <paramref name="featureWidth"/> values per row.</param>
    /// <param name="featureWidth">Expected values per feature row.</param>
    /// <param name="labelColumnName">Optional vector-of-Single label column.</param>
    /// <param name="labelWidth">Expected values per label row (ignored without a label column).</param>
    /// <param name="batchSize">Rows per batch (at least 1).</param>
    /// <exception cref="ArgumentException">A column is missing or mistyped, or a value is not finite (row and column are named).</exception>
    public static IEnumerable<DenseBatch> ReadBatches(IDataView data, string featureColumnName, int featureWidth,
        string? labelColumnName, int labelWidth, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Batch size must be at least 1.");
        var featureColumn = SchemaValidation.RequireSingleVector(data.Schema, featureColumnName, "feature", featureWidth);
        DataViewSchema.Column? labelColumn = labelColumnName is null
            ? null
            : SchemaValidation.RequireSingleVector(data.Schema, labelColumnName, "label", labelWidth);
        return ReadBatchesCore(data, featureColumn, featureWidth, labelColumn, labelColumn is null ? 0 : labelWidth, batchSize);
    }

    /// <summary>Reads all rows into one batch.</summary>
    /// <inheritdoc cref="ReadBatches" path="/param"/>
    /// <exception cref="ArgumentException">A column is missing or mistyped, or a value is not finite.</exception>
    public static DenseBatch ReadAll(IDataView data, string featureColumnName, int featureWidth, string? labelColumnName, int labelWidth)
    {
        var features = new List<float>();
        var labels = labelColumnName is null ? null : new List<float>();
        int rows = 0;
        foreach (var batch in ReadBatches(data, featureColumnName, featureWidth, labelColumnName, labelWidth, 1024))
        {
            features.AddRange(batch.Features.AsSpan(0, batch.Rows * featureWidth));
            labels?.AddRange(batch.Labels!.AsSpan(0, batch.Rows * labelWidth));
            rows += batch.Rows;
        }
        return new DenseBatch(features.ToArray(), featureWidth, labels?.ToArray(), labels is null ? 0 : labelWidth, rows);
    }

    private static IEnumerable<DenseBatch> ReadBatchesCore(IDataView data, DataViewSchema.Column featureColumn, int featureWidth,
        DataViewSchema.Column? labelColumn, int labelWidth, int batchSize)
    {
        var active = labelColumn is null ? new[] { featureColumn } : new[] { featureColumn, labelColumn.Value };
        using var cursor = data.GetRowCursor(active);
        var featureGetter = cursor.GetGetter<VBuffer<float>>(featureColumn);
        var labelGetter = labelColumn is null ? null : cursor.GetGetter<VBuffer<float>>(labelColumn.Value);
        VBuffer<float> buffer = default;
        long row = 0;
        while (true)
        {
            var features = new float[batchSize * featureWidth];
            var labels = labelColumn is null ? null : new float[batchSize * labelWidth];
            int n = 0;
            while (n < batchSize && cursor.MoveNext())
            {
                featureGetter(ref buffer);
                CopyChecked(buffer, features.AsSpan(n * featureWidth, featureWidth), featureColumn.Name, row);
                if (labelGetter is not null)
                {
                    labelGetter(ref buffer);
                    CopyChecked(buffer, labels.AsSpan(n * labelWidth, labelWidth), labelColumn!.Value.Name, row);
                }
                n++;
                row++;
            }
            if (n == 0)
                yield break;
            yield return new DenseBatch(features, featureWidth, labels, labelWidth, n);
            if (n < batchSize)
                yield break;
        }
    }

    private static void CopyChecked(in VBuffer<float> source, Span<float> destination, string columnName, long row)
    {
        if (source.Length != destination.Length)
            throw new ArgumentException($"Column '{columnName}' has {source.Length} values at row {row}; expected {destination.Length}.");
        source.CopyTo(destination);
        for (int i = 0; i < destination.Length; i++)
        {
            if (!float.IsFinite(destination[i]))
                throw new ArgumentException(
                    $"Column '{columnName}' has {destination[i].ToString(CultureInfo.InvariantCulture)} at row {row}, slot {i}. " +
                    "Recurrent models need finite inputs: fill or drop missing values first.");
        }
    }
}
