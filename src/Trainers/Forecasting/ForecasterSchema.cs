using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Transforms;

namespace MlNetRnn.Trainers.Forecasting;

/// <summary>
/// Output-schema propagation for the forecaster. Third-party code cannot construct <see cref="SchemaShape.Column"/>,
/// so the columns are obtained from public ML.NET estimators (CustomMapping, DropColumns) that describe the same shape.
/// </summary>
internal static class ForecasterSchema
{
    public static SchemaShape OutputShape(MLContext mlContext, ForecasterOptions o, SchemaShape input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (o.SeriesColumnName is not null)
        {
            var column = Find(input, o.SeriesColumnName, "series");
            if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.ItemType != NumberDataViewType.Single)
                throw new ArgumentException($"The series column '{o.SeriesColumnName}' must be a scalar Single (float), but it is {Describe(column)}.");
            var inDef = SchemaDefinition.Create(typeof(SeriesRow));
            inDef[nameof(SeriesRow.Value)].ColumnName = o.SeriesColumnName;
            var outDef = SchemaDefinition.Create(typeof(WindowScoreRow));
            outDef[nameof(WindowScoreRow.Features)].ColumnName = o.FeatureColumnName;
            outDef[nameof(WindowScoreRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, o.Window);
            outDef[nameof(WindowScoreRow.Label)].ColumnName = o.LabelColumnName;
            outDef[nameof(WindowScoreRow.Label)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, o.Horizon);
            outDef[nameof(WindowScoreRow.WindowStart)].ColumnName = SeriesWindowing.WindowStartColumnName;
            outDef[nameof(WindowScoreRow.Score)].ColumnName = o.ScoreColumnName;
            outDef[nameof(WindowScoreRow.Score)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, o.Horizon);
            NameIntervalColumns(outDef, o);
            var mapped = mlContext.Transforms.CustomMapping<SeriesRow, WindowScoreRow>((_, _) => { }, null, inDef, outDef).GetOutputSchema(input);
            // Windowing replaces the per-step rows, so the per-step columns do not survive.
            var kept = new HashSet<string> { o.FeatureColumnName, o.LabelColumnName, SeriesWindowing.WindowStartColumnName, o.ScoreColumnName };
            if (o.IntervalCoverage > 0)
                kept.UnionWith(new[] { o.ScoreColumnName + "Lower", o.ScoreColumnName + "Upper" });
            var dropped = input.Select(c => c.Name).Concat(mapped.Select(c => c.Name)).Where(n => !kept.Contains(n)).Distinct().ToArray();
            return dropped.Length == 0 ? mapped : mlContext.Transforms.DropColumns(dropped).GetOutputSchema(mapped);
        }
        else
        {
            var column = Find(input, o.FeatureColumnName, "feature");
            if (column.Kind != SchemaShape.Column.VectorKind.Vector || column.ItemType != NumberDataViewType.Single)
                throw new ArgumentException($"The feature column '{o.FeatureColumnName}' must be a vector of {o.Window} Single values, but it is {Describe(column)}.");
            var inDef = SchemaDefinition.Create(typeof(WindowRow));
            inDef[nameof(WindowRow.Features)].ColumnName = o.FeatureColumnName;
            inDef[nameof(WindowRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, o.Window);
            var outDef = SchemaDefinition.Create(typeof(ScoreRow));
            outDef[nameof(ScoreRow.Score)].ColumnName = o.ScoreColumnName;
            outDef[nameof(ScoreRow.Score)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, o.Horizon);
            NameIntervalColumns(outDef, o);
            var scored = mlContext.Transforms.CustomMapping<WindowRow, ScoreRow>((_, _) => { }, null, inDef, outDef).GetOutputSchema(input);
            return o.IntervalCoverage > 0 ? scored : mlContext.Transforms.DropColumns(o.ScoreColumnName + "Lower", o.ScoreColumnName + "Upper").GetOutputSchema(scored);
        }
    }

    // The interval bounds have the score's shape and are named after it; a model without an interval drops them again.
    private static void NameIntervalColumns(SchemaDefinition outDef, ForecasterOptions o)
    {
        outDef[nameof(ScoreRow.ScoreLower)].ColumnName = o.ScoreColumnName + "Lower";
        outDef[nameof(ScoreRow.ScoreLower)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, o.Horizon);
        outDef[nameof(ScoreRow.ScoreUpper)].ColumnName = o.ScoreColumnName + "Upper";
        outDef[nameof(ScoreRow.ScoreUpper)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, o.Horizon);
    }

    private static SchemaShape.Column Find(SchemaShape input, string name, string role)
    {
        foreach (var c in input)
        {
            if (c.Name == name)
                return c;
        }
        throw new ArgumentException(
            $"The {role} column '{name}' is not in the data. Available columns: {string.Join(", ", input.Select(c => $"'{c.Name}'"))}.");
    }

    private static string Describe(SchemaShape.Column c) =>
        c.Kind == SchemaShape.Column.VectorKind.Scalar ? c.ItemType.RawType.Name : $"{c.Kind} of {c.ItemType.RawType.Name}";

    /// <summary>Schema-only row types for the CustomMapping trick; never instantiated with data.</summary>
    public sealed class SeriesRow
    {
        public float Value { get; set; }
    }

    public sealed class WindowRow
    {
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    public sealed class ScoreRow
    {
        public float[] Score { get; set; } = Array.Empty<float>();

        public float[] ScoreLower { get; set; } = Array.Empty<float>();

        public float[] ScoreUpper { get; set; } = Array.Empty<float>();
    }

    public sealed class WindowScoreRow
    {
        public float[] Features { get; set; } = Array.Empty<float>();

        public float[] Label { get; set; } = Array.Empty<float>();

        public long WindowStart { get; set; }

        public float[] Score { get; set; } = Array.Empty<float>();

        public float[] ScoreLower { get; set; } = Array.Empty<float>();

        public float[] ScoreUpper { get; set; } = Array.Empty<float>();
    }
}
