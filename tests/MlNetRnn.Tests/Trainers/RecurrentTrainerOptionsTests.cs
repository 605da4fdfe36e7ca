using Microsoft.ML;
using MlNetRnn.Trainers;
using Xunit;

namespace MlNetRnn.Tests.Trainers;

/// <summary>The shared settings are checked once, with one message, whichever family's options carry them.</summary>
public sealed class RecurrentTrainerOptionsTests
{
    public static TheoryData<Func<RecurrentTrainerOptions>> Families => new()
    {
        () => new ForecasterOptions { SeriesColumnName = "Value" },
        () => new TextClassifierOptions(),
        () => new LanguageModelOptions(),
    };

    [Theory]
    [MemberData(nameof(Families))]
    public void ASharedOptionOutOfRangeGivesTheSameMessageInEveryFamily(Func<RecurrentTrainerOptions> make)
    {
        var options = make();
        options.LearningRateDecay = 1.5;
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Create(options));
        Assert.Equal("LearningRateDecay", ex.ParamName);
        Assert.StartsWith("LearningRateDecay must be in (0, 1]; got 1.5.", ex.Message);

        options = make();
        options.MinimumLearningRate = 1;
        var floor = Assert.Throws<ArgumentOutOfRangeException>(() => Create(options));
        Assert.Contains("MinimumLearningRate must be in [0, LearningRate", floor.Message);
    }

    [Fact]
    public void EachFamilyKeepsItsOwnDefaults()
    {
        var forecaster = new ForecasterOptions();
        var classifier = new TextClassifierOptions();
        var language = new LanguageModelOptions();
        Assert.Equal((32, 1, 300, 0.005, 40), (forecaster.HiddenSize, forecaster.NumberOfLayers, forecaster.Epochs, forecaster.LearningRate, forecaster.Patience));
        Assert.Equal((64, 2, 20, 0.003, 3, 0.3), (classifier.HiddenSize, classifier.NumberOfLayers, classifier.Epochs, classifier.LearningRate, classifier.Patience, classifier.Dropout));
        Assert.Equal((256, 2, 50, 0.002, 5.0), (language.HiddenSize, language.NumberOfLayers, language.Epochs, language.LearningRate, language.GradientClipNorm));
        Assert.Equal(LearningRateScheduleKind.StepDecay, language.LearningRateSchedule);
        Assert.Equal(0.95, language.LearningRateDecay);
        Assert.Equal(LearningRateScheduleKind.Constant, forecaster.LearningRateSchedule);
    }

    [Fact]
    public void TheFingerprintHoldsWhatChangesTrainingAndNothingElse()
    {
        var options = new ForecasterOptions { SeriesColumnName = "Value", HiddenSize = 12, CheckpointDirectory = "somewhere", Resume = true };
        var fingerprint = options.Fingerprint();
        Assert.Equal("12", fingerprint["HiddenSize"]);
        Assert.Equal("0.005", fingerprint["LearningRate"]);
        Assert.Equal("Value", fingerprint["SeriesColumnName"]);
        foreach (var excluded in new[] { "Progress", "CancellationToken", "CheckpointDirectory", "Resume", "InferenceDevice" })
            Assert.False(fingerprint.ContainsKey(excluded), excluded);
    }

    [Fact]
    public void AScheduleChosenInTheOptionsChangesTraining()
    {
        var ml = new MLContext(1);
        var data = TestData.AsView(ml, TestData.AirPassengers());
        var constant = ForecasterTestOptions.Small(epochs: 6);
        var decayed = ForecasterTestOptions.Small(epochs: 6);
        decayed.LearningRateSchedule = LearningRateScheduleKind.StepDecay;
        decayed.LearningRateDecay = 0.1;
        decayed.LearningRateDecayEpochs = 1;
        using var a = ml.Rnn().Forecaster(constant).Fit(data);
        using var b = ml.Rnn().Forecaster(decayed).Fit(data);
        // The first epoch runs at the same rate in both; afterwards the decayed run's steps are ten times smaller.
        Assert.Equal(a.History!.TrainLoss[0], b.History!.TrainLoss[0]);
        Assert.NotEqual(a.History.TrainLoss[^1], b.History.TrainLoss[^1]);
    }

    private static object Create(RecurrentTrainerOptions options) => options switch
    {
        ForecasterOptions f => new MLContext(1).Rnn().Forecaster(f),
        TextClassifierOptions t => new MLContext(1).Rnn().TextClassifier(t),
        LanguageModelOptions l => new MLContext(1).Rnn().LanguageModel(l),
        _ => throw new ArgumentException("unknown family"),
    };
}
