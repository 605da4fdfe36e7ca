using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace MlNetRnn.Tests.Trainers.SequenceModeling;

public sealed class SequenceModelBadInputTests
{
    private sealed class Row63
    {
        public bool Label { get; set; }

        [VectorType(63)]
        public float[] Features { get; set; } = new float[63];
    }

    private sealed class KeyRow
    {
        public float Label { get; set; }

        [VectorType(16)]
        public float[] Features { get; set; } = new float[16];
    }

    private sealed class BoolRow
    {
        public bool Label { get; set; }

        [VectorType(16)]
        public float[] Features { get; set; } = new float[16];
    }

    private sealed class VariableRow
    {
        public bool Label { get; set; }

        [VectorType]
        public float[] Features { get; set; } = new float[16];
    }

    private static readonly MLContext Ml = new(seed: 1);

    private static SequenceModelOptions Small(int perStep = 4) => new() { FeaturesPerStep = perStep, HiddenSize = 4, Epochs = 1, Seed = 1 };

    [Fact]
    public void AVectorThatIsNotWholeStepsNamesTheColumnAndBothSizes()
    {
        var data = Ml.Data.LoadFromEnumerable(new[] { new Row63(), new Row63 { Label = true } });
        var ex = Assert.Throws<ArgumentException>(() => Ml.Rnn().SequenceClassifier(Small(8)).Fit(data));
        Assert.Contains("'Features'", ex.Message);
        Assert.Contains("63", ex.Message);
        Assert.Contains("FeaturesPerStep = 8", ex.Message);
    }

    [Fact]
    public void ANaNFeatureNamesTheRowStepAndFeature()
    {
        var rows = Enumerable.Range(0, 8).Select(i => new BoolRow { Label = i % 2 == 0, Features = new float[16] }).ToArray();
        rows[5].Features[2 * 4 + 3] = float.NaN;
        var ex = Assert.Throws<ArgumentException>(() => Ml.Rnn().SequenceClassifier(Small()).Fit(Ml.Data.LoadFromEnumerable(rows)));
        Assert.Contains("Row 5", ex.Message);
        Assert.Contains("step 2, feature 3", ex.Message);
        Assert.Contains("NaN", ex.Message);
    }

    [Fact]
    public void AFloatLabelToTheClassifierPointsToTheRegressorAndABooleanLabelToTheRegressorPointsBack()
    {
        var floats = Ml.Data.LoadFromEnumerable(new[] { new KeyRow { Label = 1 }, new KeyRow { Label = 2 } });
        var toClassifier = Assert.Throws<ArgumentException>(() => Ml.Rnn().SequenceClassifier(Small()).Fit(floats));
        Assert.Contains("SequenceRegressor", toClassifier.Message);
        Assert.Contains("MapValueToKey", toClassifier.Message);

        var bools = Ml.Data.LoadFromEnumerable(new[] { new BoolRow(), new BoolRow { Label = true } });
        var toRegressor = Assert.Throws<ArgumentException>(() => Ml.Rnn().SequenceRegressor(Small()).Fit(bools));
        Assert.Contains("SequenceClassifier", toRegressor.Message);
        Assert.Contains("Boolean", toRegressor.Message);
    }

    [Fact]
    public void AVariableSizeRowThatIsEmptyOrNotWholeStepsAndAMissingColumnAreRefusedWithWhatToDo()
    {
        var ragged = Ml.Data.LoadFromEnumerable(new[] { new VariableRow(), new VariableRow { Label = true, Features = new float[10] } });
        var ex = Assert.Throws<ArgumentException>(() => Ml.Rnn().SequenceClassifier(Small()).Fit(ragged));
        Assert.Contains("Row 1", ex.Message);
        Assert.Contains("holds 10 values", ex.Message);
        Assert.Contains("FeaturesPerStep = 4", ex.Message);

        var empty = Ml.Data.LoadFromEnumerable(new[] { new VariableRow(), new VariableRow { Label = true, Features = Array.Empty<float>() } });
        var none = Assert.Throws<ArgumentException>(() => Ml.Rnn().SequenceClassifier(Small()).Fit(empty));
        Assert.Contains("Row 1", none.Message);
        Assert.Contains("drop empty rows", none.Message);

        var notNumber = Assert.Throws<ArgumentException>(() => Ml.Rnn().SequenceClassifier(new SequenceModelOptions { FeaturesPerStep = 4, LengthColumnName = "Label" })
            .Fit(Ml.Data.LoadFromEnumerable(new[] { new VariableRow(), new VariableRow { Label = true } })));
        Assert.Contains("length column 'Label'", notNumber.Message);
        var absent = Assert.Throws<ArgumentException>(() => Ml.Rnn().SequenceClassifier(new SequenceModelOptions { FeaturesPerStep = 4, LengthColumnName = "Steps" })
            .Fit(Ml.Data.LoadFromEnumerable(new[] { new VariableRow(), new VariableRow { Label = true } })));
        Assert.Contains("'Steps'", absent.Message);

        var missing = Assert.Throws<ArgumentException>(() => Ml.Rnn().SequenceClassifier(new SequenceModelOptions { FeatureColumnName = "Pixels" })
            .Fit(Ml.Data.LoadFromEnumerable(new[] { new BoolRow(), new BoolRow() })));
        Assert.Contains("'Pixels'", missing.Message);
        Assert.Contains("'Features'", missing.Message);
    }

    [Fact]
    public void OutOfRangeOptionsAreRefusedWhenTheTrainerIsCreated()
    {
        var perStep = Assert.Throws<ArgumentOutOfRangeException>(() => Ml.Rnn().SequenceClassifier(new SequenceModelOptions { FeaturesPerStep = 0 }));
        Assert.Contains("FeaturesPerStep", perStep.Message);
        var pooling = Assert.Throws<ArgumentOutOfRangeException>(() => Ml.Rnn().SequenceRegressor(new SequenceModelOptions { Pooling = SequencePooling.EveryStep }));
        Assert.Contains("Pooling", pooling.Message);
    }

    [Fact]
    public void LoadingAnotherTasksModelIsAClearError()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mlnetrnn-notaseq-{Guid.NewGuid():N}.zip");
        try
        {
            File.WriteAllText(path, "not a zip");
            Assert.ThrowsAny<InvalidDataException>(() => Ml.Rnn().LoadSequenceModel(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
