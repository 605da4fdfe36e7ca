using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetRnn.Trainers.SequenceModeling;

/// <summary>
/// The rows of a float-sequence data set: each row's valid values (its steps one after another, padding cut off), the label as a
/// float per row (0/1, a 0-based class, or the value), the classes' names, and how many unlabelled rows were skipped.
/// </summary>
/// <param name="Rows">Each labelled row's values, <c>steps · FeaturesPerStep</c> of them.</param>
/// <param name="Labels">One label per row.</param>
/// <param name="Width">The feature vector's size, or 0 when it is variable.</param>
/// <param name="AnyLength">Whether rows may differ in length (a variable-size vector or a lengths column): the model then takes a lengths input.</param>
/// <param name="Kind">Binary, multiclass or regression.</param>
/// <param name="LabelNames">Class names in key order (empty for regression).</param>
/// <param name="Skipped">Rows skipped for a missing label.</param>
internal sealed record SequenceRows(float[][] Rows, float[] Labels, int Width, bool AnyLength, SequenceModelKind Kind, string[] LabelNames, int Skipped)
{
    /// <summary>Labelled rows read.</summary>
    public int Count => Labels.Length;

    /// <summary>Which kind of model the label column asks for; checks the feature column's type and size against the options' FeaturesPerStep.</summary>
    /// <exception cref="ArgumentException">A column is missing, mistyped, or the vector's size is not whole steps; the label does not suit the estimator.</exception>
    public static (SequenceModelKind Kind, int Width, string[] LabelNames) Inspect(DataViewSchema schema, SequenceModelOptions o, bool regression)
    {
        var features = SchemaValidation.RequireColumn(schema, o.FeatureColumnName, "feature");
        if (features.Type is not VectorDataViewType { ItemType: var item } vector || item != NumberDataViewType.Single)
            throw new ArgumentException($"The feature column '{o.FeatureColumnName}' must be a vector of Single holding each row's steps one after another, but it is " +
                                        $"{SchemaValidation.Describe(features.Type)}. Build it with mlContext.Transforms.Concatenate(\"{o.FeatureColumnName}\", ...) or load it as float[].");
        if (vector.Size % o.FeaturesPerStep != 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The feature column '{o.FeatureColumnName}' holds {vector.Size} values per row, which is not a whole number of steps of FeaturesPerStep = {o.FeaturesPerStep}. " +
                $"Set FeaturesPerStep to the number of values per step (a divisor of {vector.Size})."));
        if (o.LengthColumnName is { } lengthName)
        {
            var length = SchemaValidation.RequireColumn(schema, lengthName, "length");
            if (!NumberGetters.Types.Contains(length.Type))
                throw new ArgumentException($"The length column '{lengthName}' is {SchemaValidation.Describe(length.Type)}; it must be a number (Single, Double, Int32, Int64 or UInt32) " +
                                            "holding each row's count of valid steps.");
        }
        var label = SchemaValidation.RequireColumn(schema, o.LabelColumnName, "label");
        if (regression)
        {
            if (label.Type != NumberDataViewType.Single)
                throw new ArgumentException($"The label column '{o.LabelColumnName}' is {SchemaValidation.Describe(label.Type)}; SequenceRegressor needs a Single label " +
                                            $"(convert it with mlContext.Transforms.Conversion.ConvertType(\"{o.LabelColumnName}\", outputKind: DataKind.Single)). For a Boolean or key label use SequenceClassifier.");
            return (SequenceModelKind.Regression, vector.Size, Array.Empty<string>());
        }
        if (label.Type is BooleanDataViewType)
            return (SequenceModelKind.BinaryClassification, vector.Size, new[] { "false", "true" });
        if (label.Type is KeyDataViewType key)
        {
            var names = SchemaValidation.KeyNames(label, (int)key.Count);
            if (names.Length < 2)
                throw new ArgumentException($"The label column '{o.LabelColumnName}' has {names.Length} class; a classifier needs at least 2.");
            if (names.Distinct(StringComparer.Ordinal).Count() != names.Length)
                throw new ArgumentException($"The label column '{o.LabelColumnName}' has repeated key values ({string.Join(", ", names)}); give each class a distinct name.");
            return (SequenceModelKind.MulticlassClassification, vector.Size, names);
        }
        throw new ArgumentException(
            $"The label column '{o.LabelColumnName}' is {SchemaValidation.Describe(label.Type)}. SequenceClassifier needs a Boolean label (binary) or a key " +
            $"(multiclass: mlContext.Transforms.Conversion.MapValueToKey(\"{o.LabelColumnName}\")); for a Single label use SequenceRegressor.");
    }

    /// <summary>Reads every labelled row; rows with a missing key or a NaN label are skipped and counted.</summary>
    /// <exception cref="ArgumentException">
    /// A valid feature is NaN or infinite (the message names the row, step and feature), a label is infinite, a variable-size row is
    /// empty or not whole steps, or a length is not a whole number of steps the row holds.
    /// </exception>
    public static SequenceRows Read(IDataView data, SequenceModelOptions o, bool regression)
    {
        var (kind, width, names) = Inspect(data.Schema, o, regression);
        var featureColumn = data.Schema[o.FeatureColumnName];
        var labelColumn = data.Schema[o.LabelColumnName];
        var lengthColumn = o.LengthColumnName is { } lengthName ? data.Schema[lengthName] : (DataViewSchema.Column?)null;
        var rows = new List<float[]>();
        var labels = new List<float>();
        int skipped = 0;
        long row = -1;
        var needed = new List<DataViewSchema.Column> { featureColumn, labelColumn };
        if (lengthColumn is { } lc)
            needed.Add(lc);
        using var cursor = data.GetRowCursor(needed);
        var featureGetter = cursor.GetGetter<VBuffer<float>>(featureColumn);
        ValueGetter<bool>? boolGetter = kind == SequenceModelKind.BinaryClassification ? cursor.GetGetter<bool>(labelColumn) : null;
        ValueGetter<uint>? keyGetter = kind == SequenceModelKind.MulticlassClassification ? cursor.GetGetter<uint>(labelColumn) : null;
        ValueGetter<float>? floatGetter = kind == SequenceModelKind.Regression ? cursor.GetGetter<float>(labelColumn) : null;
        var lengthGetter = lengthColumn is { } column ? NumberGetters.AsDouble(cursor, column) : null;
        VBuffer<float> buffer = default;
        bool b = false;
        uint k = 0;
        float f = 0;
        while (cursor.MoveNext())
        {
            row++;
            float y;
            if (boolGetter is not null)
            {
                boolGetter(ref b);
                y = b ? 1 : 0;
            }
            else if (keyGetter is not null)
            {
                keyGetter(ref k);
                if (k == 0)
                {
                    skipped++;
                    continue;
                }
                y = k - 1;
            }
            else
            {
                floatGetter!(ref f);
                if (float.IsNaN(f))
                {
                    skipped++;
                    continue;
                }
                if (!float.IsFinite(f))
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Row {row}: the label column '{o.LabelColumnName}' is {f}; labels must be finite."));
                y = f;
            }
            featureGetter(ref buffer);
            int values = buffer.Length;
            if (width == 0 && (values == 0 || values % o.FeaturesPerStep != 0))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Row {row}: the feature column '{o.FeatureColumnName}' holds {values} values, which is not a whole, non-zero number of steps of FeaturesPerStep = {o.FeaturesPerStep}. " +
                    $"Each row needs at least one step, and each step all its features: drop empty rows and check FeaturesPerStep."));
            int steps = values / o.FeaturesPerStep;
            if (lengthGetter is not null)
                steps = StepLengths.Require(lengthGetter(), steps, row, o.LengthColumnName!, o.FeatureColumnName);
            var rowValues = new float[steps * o.FeaturesPerStep];
            int at = 0;
            foreach (var value in buffer.DenseValues())
            {
                if (at == rowValues.Length)
                    break;
                if (!float.IsFinite(value))
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"Row {row}: the feature column '{o.FeatureColumnName}' holds {value} at position {at} (step {at / o.FeaturesPerStep}, feature {at % o.FeaturesPerStep}). " +
                        $"Every feature must be a finite number: fill or drop missing values first (e.g. mlContext.Transforms.ReplaceMissingValues)."));
                rowValues[at++] = value;
            }
            rows.Add(rowValues);
            labels.Add(y);
        }
        bool anyLength = width == 0 || lengthColumn is not null;
        return new SequenceRows(rows.ToArray(), labels.ToArray(), width, anyLength, kind, names, skipped);
    }
}
