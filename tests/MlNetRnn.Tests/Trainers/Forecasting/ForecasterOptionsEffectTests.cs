using Microsoft.ML;
using MlNetRnn.Transforms;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Forecasting;

/// <summary>Each training option changes what is trained or exported (so a silently ignored option fails a test).</summary>
public sealed class ForecasterOptionsEffectTests
{
    private static ForecasterTransformer Fit(Action<ForecasterOptions> configure, float[]? series = null)
    {
        var ml = new MLContext(1);
        var options = ForecasterTestOptions.Small(epochs: 5);
        options.Patience = 0;
        configure(options);
        return ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, series ?? TestData.AirPassengers()));
    }

    [Theory]
    [InlineData(SeriesScalingKind.None, false, false)]
    [InlineData(SeriesScalingKind.MinMax, false, true)]
    [InlineData(SeriesScalingKind.Standard, true, false)]
    [InlineData(SeriesScalingKind.Standard, true, true)]
    public void ScalingLogAndRelativeOptionsReachTheGraphAndKeepParity(SeriesScalingKind kind, bool log, bool relative)
    {
        using var model = Fit(o =>
        {
            o.Scaling = kind;
            o.LogTransform = log;
            o.RelativeToWindow = relative;
        });

        Assert.Equal(kind.ToString(), model.Metadata[OnnxMetadataKeys.ScalerKind]);
        Assert.Equal(log ? "true" : "false", model.Metadata[OnnxMetadataKeys.ScalerLog]);
        Assert.Equal(relative ? "true" : "false", model.Metadata[OnnxMetadataKeys.RelativeToWindow]);
        Assert.True(model.Parity!.Passed);
        var info = OnnxModelInfo.Read(model.GetOnnxModel());
        Assert.Equal(log, info.OperatorTypes.Contains("Log"));
        Assert.Equal(relative, info.OperatorTypes.Contains("ReduceMean"));
        if (kind == SeriesScalingKind.None && !log)
            Assert.Equal((0f, 1f), (model.Scaler.Center, model.Scaler.Scale));
    }

    [Fact]
    public void ShufflingChangesTheBatchesAndSoTheLosses()
    {
        using var shuffled = Fit(o => o.Shuffle = true);
        using var ordered = Fit(o => o.Shuffle = false);

        Assert.NotEqual(shuffled.History!.TrainLoss, ordered.History!.TrainLoss);
    }

    [Fact]
    public void GradientClippingChangesTheUpdates()
    {
        // Adam divides by the running gradient scale, so clipping mostly changes the relative weight of steps, not their size;
        // a clip far below the gradient norms still changes every loss after the first steps.
        using var clipped = Fit(o => o.GradientClipNorm = 1e-3);
        using var free = Fit(o => o.GradientClipNorm = 0);

        Assert.NotEqual(clipped.History!.TrainLoss, free.History!.TrainLoss);
    }

    [Fact]
    public void DropoutBetweenLayersChangesTraining()
    {
        using var plain = Fit(o => o.NumberOfLayers = 2);
        using var dropped = Fit(o => { o.NumberOfLayers = 2; o.Dropout = 0.5; });

        Assert.NotEqual(plain.History!.TrainLoss, dropped.History!.TrainLoss);
    }

    [Fact]
    public void BatchSizeChangesTheNumberOfStepsAndSoTheLosses()
    {
        using var small = Fit(o => o.BatchSize = 4);
        using var large = Fit(o => o.BatchSize = 64);

        Assert.NotEqual(small.History!.TrainLoss, large.History!.TrainLoss);
    }

    [Fact]
    public void RefitTrainsOnEveryWindowForTheBestEpochCountAndReplacesTheWeights()
    {
        using var refit = Fit(o => { o.RefitOnAllWindows = true; o.Epochs = 6; });
        using var kept = Fit(o => { o.RefitOnAllWindows = false; o.Epochs = 6; });

        Assert.Equal(refit.History!.BestEpoch, refit.History.RefitTrainLoss.Count);
        Assert.Empty(kept.History!.RefitTrainLoss);
        Assert.Equal(kept.History.ValidationLoss, refit.History.ValidationLoss); // same first pass
        Assert.NotEqual(kept.Forecast(TestData.AirPassengers()), refit.Forecast(TestData.AirPassengers()));
    }

    [Fact]
    public void ArchitectureOptionsShapeTheExportedStack()
    {
        using var model = Fit(o => { o.Cell = RecurrentCellKind.RnnRelu; o.HiddenSize = 5; o.NumberOfLayers = 3; o.Bidirectional = true; });

        Assert.Equal("RNN_RELU", model.Metadata[OnnxMetadataKeys.Cell]);
        Assert.Equal("5", model.Metadata[OnnxMetadataKeys.HiddenSize]);
        Assert.Equal("3", model.Metadata[OnnxMetadataKeys.NumLayers]);
        Assert.Equal("true", model.Metadata[OnnxMetadataKeys.Bidirectional]);
        Assert.Equal(3, OnnxModelInfo.Read(model.GetOnnxModel()).OperatorTypes.Count(t => t == "RNN"));
    }
}
