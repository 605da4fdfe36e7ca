using Xunit;

namespace MlNetRnn.Tests.Trainers.Training;

public sealed class DivergenceGuardTests
{
    [Fact]
    public void FiniteLossesPass() => DivergenceGuard.Check(3, "validation", 0.25, 0.01, 1);

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    public void ANonFiniteLossNamesTheEpochTheLossAndWhatToChange(double loss, string shown)
    {
        var ex = Assert.Throws<TrainingDivergedException>(() => DivergenceGuard.Check(7, "validation", loss, 0.05, 2));
        Assert.Equal(7, ex.Epoch);
        Assert.Contains("epoch 7", ex.Message);
        Assert.Contains($"validation loss is {shown}", ex.Message);
        Assert.Contains("Lower the learning rate (now 0.05)", ex.Message);
        Assert.Contains("gradient clip norm (now 2)", ex.Message);
    }

    [Fact]
    public void WithoutClippingTheMessageSuggestsTurningItOn()
    {
        var ex = Assert.Throws<TrainingDivergedException>(() => DivergenceGuard.Check(1, "training", double.NaN, 0.5, 0));
        Assert.Contains("turn gradient clipping on", ex.Message);
    }

    [Fact]
    public void AFitThatDivergesSaysSo()
    {
        var ml = new Microsoft.ML.MLContext(1);
        var options = ForecasterTestOptions.Small(epochs: 50);
        options.LearningRate = 1;
        options.GradientClipNorm = 0;
        options.HiddenSize = 64;
        options.Cell = RecurrentCellKind.RnnRelu;
        options.LogTransform = false;
        options.Scaling = SeriesScalingKind.None;
        options.RelativeToWindow = false;
        // Squared error on raw levels: the set-up that blows up (an absolute error on corrections to seasonal naive grows far slower).
        options.Loss = ForecastLoss.SquaredError;
        options.Reference = ForecastReference.WindowLevel;
        var series = TestData.AirPassengers().Select(v => v * 1e6f).ToArray();
        var ex = Assert.Throws<TrainingDivergedException>(() => ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, series)));
        Assert.Contains("Training diverged at epoch", ex.Message);
    }
}
