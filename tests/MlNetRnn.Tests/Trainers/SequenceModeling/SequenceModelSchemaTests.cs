using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace MlNetRnn.Tests.Trainers.SequenceModeling;

/// <summary>What the estimators promise before fitting: ML.NET's columns for each label kind.</summary>
public sealed class SequenceModelSchemaTests
{
    private sealed class Row
    {
        public bool Flag { get; set; }
        public float Value { get; set; }
        public float Class { get; set; }

        [VectorType(6)]
        public float[] Features { get; set; } = new float[6];
    }

    [Fact]
    public void TheOutputSchemaHasMlNetsColumnsForEachKind()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row(), new Row { Flag = true, Class = 1 } });
        var keyed = ml.Transforms.Conversion.MapValueToKey("Key", "Class").Fit(data).Transform(data);
        // ML.NET builds a SchemaShape from a schema with an internal (BestFriend) factory; estimators see what it makes.
        var create = typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic, new[] { typeof(DataViewSchema) })!;
        var shape = (SchemaShape)create.Invoke(null, new object[] { keyed.Schema })!;

        var binary = ml.Rnn().SequenceClassifier(labelColumnName: "Flag", featuresPerStep: 2).GetOutputSchema(shape);
        Assert.Equal(BooleanDataViewType.Instance, binary.First(c => c.Name == "PredictedLabel").ItemType);
        Assert.Equal(NumberDataViewType.Single, binary.First(c => c.Name == "Probability").ItemType);
        Assert.Equal(SchemaShape.Column.VectorKind.Scalar, binary.First(c => c.Name == "Score").Kind);

        var multiclass = ml.Rnn().SequenceClassifier(labelColumnName: "Key", featuresPerStep: 2).GetOutputSchema(shape);
        Assert.True(multiclass.First(c => c.Name == "PredictedLabel").IsKey);
        Assert.NotEqual(SchemaShape.Column.VectorKind.Scalar, multiclass.First(c => c.Name == "Score").Kind);
        Assert.DoesNotContain(multiclass, c => c.Name == "Probability");

        var regression = ml.Rnn().SequenceRegressor(labelColumnName: "Value", featuresPerStep: 3).GetOutputSchema(shape);
        Assert.Equal(SchemaShape.Column.VectorKind.Scalar, regression.First(c => c.Name == "Score").Kind);
        Assert.DoesNotContain(regression, c => c.Name == "PredictedLabel");

        var missing = Assert.Throws<ArgumentException>(() => { ml.Rnn().SequenceRegressor("Pixels").GetOutputSchema(shape); });
        Assert.Contains("'Pixels'", missing.Message);
    }
}
