namespace MlNetRnn.Transforms.Data;

/// <summary>
/// A block of rows read from an <see cref="Microsoft.ML.IDataView"/> as dense row-major matrices:
/// features <c>[Rows, FeatureWidth]</c> and optional labels <c>[Rows, LabelWidth]</c>.
/// </summary>
internal sealed class DenseBatch
{
    /// <summary>Creates a batch over the given buffers.</summary>
    public DenseBatch(float[] features, int featureWidth, float[]? labels, int labelWidth, int rows)
    {
        Features = features;
        FeatureWidth = featureWidth;
        Labels = labels;
        LabelWidth = labelWidth;
        Rows = rows;
    }

    /// <summary>Feature values, row-major; only the first <c>Rows * FeatureWidth</c> entries are valid.</summary>
    public float[] Features { get; }

    /// <summary>Number of feature values per row.</summary>
    public int FeatureWidth { get; }

    /// <summary>Label values, row-major, or null when no label column was read.</summary>
    public float[]? Labels { get; }

    /// <summary>Number of label values per row (0 when there are no labels).</summary>
    public int LabelWidth { get; }

    /// <summary>Number of valid rows in this batch.</summary>
    public int Rows { get; }
}
