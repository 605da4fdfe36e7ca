using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetRnn.Trainers.SequenceModeling;

/// <summary>
/// The rows of a float-sequence data set read densely: features <c>[rows, steps · features]</c>, the label as a float per row (0/1,
/// a 0-based class, or the value), the classes' names, and how many unlabelled rows were skipped.
/// </summary>
internal sealed record SequenceRows(float[] Features, float[] Labels, int Width, SequenceModelKind Kind, string[] LabelNames, int Skipped)
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
        if (vector.Size == 0)
            throw new ArgumentException($"The feature column '{o.FeatureColumnName}' is a vector of variable size; the float-sequence estimators need a fixed size " +
                                        "(steps × FeaturesPerStep). Give the column a size ([VectorType(n)] or a TextLoader range), or pad/cut the sequences to one length first.");
        if (vector.Size % o.FeaturesPerStep != 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The feature column '{o.FeatureColumnName}' holds {vector.Size} values per row, which is not a whole number of steps of FeaturesPerStep = {o.FeaturesPerStep}. " +
                $"Set FeaturesPerStep to the number of values per step (a divisor of {vector.Size})."));
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
    /// <exception cref="ArgumentException">A feature is NaN or infinite (the message names the row, step and feature), or a label is infinite.</exception>
    public static SequenceRows Read(IDataView data, SequenceModelOptions o, bool regression)
    {
        var (kind, width, names) = Inspect(data.Schema, o, regression);
        var featureColumn = data.Schema[o.FeatureColumnName];
        var labelColumn = data.Schema[o.LabelColumnName];
        var features = new List<float>();
        var labels = new List<float>();
        int skipped = 0;
        long row = -1;
        using var cursor = data.GetRowCursor(new[] { featureColumn, labelColumn });
        var featureGetter = cursor.GetGetter<VBuffer<float>>(featureColumn);
        ValueGetter<bool>? boolGetter = kind == SequenceModelKind.BinaryClassification ? cursor.GetGetter<bool>(labelColumn) : null;
        ValueGetter<uint>? keyGetter = kind == SequenceModelKind.MulticlassClassification ? cursor.GetGetter<uint>(labelColumn) : null;
        ValueGetter<float>? floatGetter = kind == SequenceModelKind.Regression ? cursor.GetGetter<float>(labelColumn) : null;
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
            int start = features.Count;
            foreach (var value in buffer.DenseValues())
                features.Add(value);
            for (int i = start; i < features.Count; i++)
            {
                if (!float.IsFinite(features[i]))
                {
                    int at = i - start;
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"Row {row}: the feature column '{o.FeatureColumnName}' holds {features[i]} at position {at} (step {at / o.FeaturesPerStep}, feature {at % o.FeaturesPerStep}). " +
                        $"Every feature must be a finite number: fill or drop missing values first (e.g. mlContext.Transforms.ReplaceMissingValues)."));
                }
            }
            labels.Add(y);
        }
        return new SequenceRows(features.ToArray(), labels.ToArray(), width, kind, names, skipped);
    }
}
