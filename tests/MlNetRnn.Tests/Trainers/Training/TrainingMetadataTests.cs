using MlNetRnn.Trainers;
using MlNetRnn.Trainers.Training;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Training;

public sealed class TrainingMetadataTests
{
    [Fact]
    public void AHistoryRoundTripsThroughTheMetadata()
    {
        var history = new TrainingHistory(new[] { 0.5, 0.25, 0.125 }, new[] { 0.6, 0.3, 0.35 }, 2, true, TimeSpan.FromSeconds(1.5),
            new[] { 0.4, 0.2 }, resumedEpochs: 1);
        var metadata = TrainingMetadata.Write(new TrainingRecord(history, 42, "cpu", "no CUDA here", 1234.5)).ToDictionary(kv => kv.Key, kv => kv.Value);

        var read = TrainingMetadata.ReadHistory(metadata)!;
        Assert.Equal(history.TrainLoss, read.TrainLoss);
        Assert.Equal(history.ValidationLoss, read.ValidationLoss);
        Assert.Equal(history.RefitTrainLoss, read.RefitTrainLoss);
        Assert.Equal(2, read.BestEpoch);
        Assert.True(read.StoppedEarly);
        Assert.Equal(1.5, read.Duration.TotalSeconds);
        Assert.Equal(1, read.ResumedEpochs);
        Assert.Equal("cpu", TrainingMetadata.ReadDevice(metadata));
        Assert.Equal(1234.5, TrainingMetadata.ReadTokensPerSecond(metadata));
        Assert.Equal("42", metadata["training.seed"]);
        Assert.Equal("3", metadata["training.epochs_run"]);
        Assert.Equal("no CUDA here", metadata["training.device_note"]);
    }

    [Fact]
    public void AModelWithoutATrainingSummaryHasNoHistory() => Assert.Null(TrainingMetadata.ReadHistory(new Dictionary<string, string>()));

    [Fact]
    public void AMalformedEntryIsNamed()
    {
        var ex = Assert.Throws<InvalidDataException>(() => TrainingMetadata.ReadHistory(new Dictionary<string, string>
        {
            ["training.train_loss"] = "[0.1]",
            ["training.best_epoch"] = "two",
        }));
        Assert.Contains("'training.best_epoch' is 'two'", ex.Message);
        var json = Assert.Throws<InvalidDataException>(() => TrainingMetadata.ReadHistory(new Dictionary<string, string> { ["training.train_loss"] = "[0.1," }));
        Assert.Contains("training.train_loss", json.Message);
    }
}
