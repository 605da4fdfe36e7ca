using Microsoft.ML;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Training;

/// <summary>
/// A fit stopped part-way (cancelled in process here; killed with SIGKILL in <see cref="KillAndResumeTests"/>) and resumed from its
/// checkpoints ends with exactly the weights of an uninterrupted fit with the same seed.
/// </summary>
public sealed class CheckpointResumeTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"mlnetrnn-ckpt-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
            Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public void ForecasterCancelledInTrainingResumesToTheUninterruptedWeights()
    {
        var ml = new MLContext(1);
        var data = TestData.AsView(ml, TestData.AirPassengers());
        string expected = FitForecaster(ml, data, Options(epochs: 12));

        using var cts = new CancellationTokenSource();
        var interrupted = Options(epochs: 12);
        interrupted.CheckpointDirectory = _folder;
        interrupted.CancellationToken = cts.Token;
        interrupted.Progress = new Progress(p => { if (p.Epoch == 5 && p.Stage == TrainingStage.Training) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => FitForecaster(ml, data, interrupted));
        Assert.Contains(Directory.GetFiles(_folder), f => Path.GetFileName(f) == "training.000005.000000.ckpt");

        var resumed = Options(epochs: 12);
        resumed.CheckpointDirectory = _folder;
        resumed.Resume = true;
        var firstEpochs = new List<int>();
        resumed.Progress = new Progress(p => firstEpochs.Add(p.Epoch));
        using var model = ml.Rnn().Forecaster(resumed).Fit(data);
        Assert.Equal(expected, CollectionPressureTests.Digest(model.GetOnnxModel()));
        Assert.Equal(6, firstEpochs[0]);
        Assert.Equal(5, model.History!.ResumedEpochs);
        Assert.Equal(12, model.History.TrainLoss.Count);
    }

    [Fact]
    public void ATornNewestCheckpointIsSkippedForThePreviousOne()
    {
        var ml = new MLContext(1);
        var data = TestData.AsView(ml, TestData.AirPassengers());
        var plain = Options(epochs: 8);
        plain.RefitOnAllWindows = false;
        string expected = FitForecaster(ml, data, plain);

        using var cts = new CancellationTokenSource();
        var interrupted = Options(epochs: 8);
        interrupted.RefitOnAllWindows = false;
        interrupted.CheckpointDirectory = _folder;
        interrupted.CancellationToken = cts.Token;
        interrupted.Progress = new Progress(p => { if (p.Epoch == 4) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => FitForecaster(ml, data, interrupted));
        // A power cut mid-write: the newest file lost its tail.
        string newest = Path.Combine(_folder, "training.000004.000000.ckpt");
        byte[] bytes = File.ReadAllBytes(newest);
        File.WriteAllBytes(newest, bytes[..(bytes.Length / 2)]);

        var resumed = Options(epochs: 8);
        resumed.RefitOnAllWindows = false;
        resumed.CheckpointDirectory = _folder;
        resumed.Resume = true;
        using var model = ml.Rnn().Forecaster(resumed).Fit(data);
        Assert.Equal(expected, CollectionPressureTests.Digest(model.GetOnnxModel()));
        Assert.Equal(3, model.History!.ResumedEpochs);
    }

    [Fact]
    public void ACheckpointOfOtherSettingsIsRefusedWithTheDifferences()
    {
        var ml = new MLContext(1);
        var data = TestData.AsView(ml, TestData.AirPassengers());
        var first = Options(epochs: 3);
        first.CheckpointDirectory = _folder;
        FitForecaster(ml, data, first);

        var other = Options(epochs: 3);
        other.HiddenSize = 12;
        other.LearningRate = 0.01;
        other.CheckpointDirectory = _folder;
        other.Resume = true;
        var ex = Assert.Throws<InvalidOperationException>(() => FitForecaster(ml, data, other));
        Assert.Contains("other settings or data", ex.Message);
        Assert.Contains("HiddenSize: 8 → 12", ex.Message);
        Assert.Contains("LearningRate: 0.005 → 0.01", ex.Message);

        // Other data is refused too, by its digest.
        var sameOptions = Options(epochs: 3);
        sameOptions.CheckpointDirectory = _folder;
        sameOptions.Resume = true;
        var shorter = TestData.AsView(ml, TestData.AirPassengers()[..120]);
        var dataEx = Assert.Throws<InvalidOperationException>(() => FitForecaster(ml, shorter, sameOptions));
        Assert.Contains("data: ", dataEx.Message);
    }

    [Fact]
    public void ResumingAnEmptyFolderStartsFromTheBeginning()
    {
        var ml = new MLContext(1);
        var data = TestData.AsView(ml, TestData.AirPassengers());
        string expected = FitForecaster(ml, data, Options(epochs: 4));
        var resumed = Options(epochs: 4);
        resumed.CheckpointDirectory = _folder;
        resumed.Resume = true;
        Assert.Equal(expected, FitForecaster(ml, data, resumed));
    }

    [Fact]
    public void ResumeWithoutAFolderAndAFolderThatIsAFileAreRefused()
    {
        var ml = new MLContext(1);
        var options = Options(epochs: 2);
        options.Resume = true;
        var ex = Assert.Throws<ArgumentException>(() => ml.Rnn().Forecaster(options));
        Assert.Contains("Resume needs CheckpointDirectory", ex.Message);

        string file = Path.Combine(Path.GetTempPath(), $"mlnetrnn-file-{Guid.NewGuid():N}");
        File.WriteAllText(file, "x");
        try
        {
            var onFile = Options(epochs: 2);
            onFile.CheckpointDirectory = file;
            var io = Assert.Throws<IOException>(() => FitForecaster(ml, TestData.AsView(ml, TestData.AirPassengers()), onFile));
            Assert.Contains("is a file", io.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void TextClassifierCancelledResumesToTheUninterruptedWeights()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(Sentiment.Load("yelp_labelled.txt").Take(200).ToArray());
        TextClassifierOptions Make() => new() { EmbeddingSize = 8, HiddenSize = 8, Epochs = 5, Patience = 0, BatchSize = 16, MaxLength = 15, Seed = 4 };
        string expected;
        using (var plain = ml.Rnn().TextClassifier(Make()).Fit(data))
            expected = CollectionPressureTests.Digest(plain.GetOnnxModel());

        using var cts = new CancellationTokenSource();
        var interrupted = Make();
        interrupted.CheckpointDirectory = _folder;
        interrupted.CancellationToken = cts.Token;
        interrupted.Progress = new Progress(p => { if (p.Epoch == 2) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => ml.Rnn().TextClassifier(interrupted).Fit(data));

        var resumed = Make();
        resumed.CheckpointDirectory = _folder;
        resumed.Resume = true;
        using var model = ml.Rnn().TextClassifier(resumed).Fit(data);
        Assert.Equal(expected, CollectionPressureTests.Digest(model.GetOnnxModel()));
        Assert.Equal(2, model.History!.ResumedEpochs);
    }

    [Fact]
    public void LanguageModelCancelledMidEpochResumesWithItsCarriedStateAndDropout()
    {
        var ml = new MLContext(1);
        string corpus = string.Concat(Enumerable.Repeat("to be or not to be, that is the question. ", 40));
        LanguageModelOptions Make() => new()
        {
            EmbeddingSize = 8, HiddenSize = 16, NumberOfLayers = 2, Dropout = 0.3, SequenceLength = 10, BatchSize = 4, Epochs = 3, Patience = 0, Seed = 9,
        };
        string expected;
        using (var plain = ml.Rnn().LanguageModel(Make()).Fit(corpus))
            expected = CollectionPressureTests.Digest(plain.GetOnnxModel());

        using var cts = new CancellationTokenSource();
        var interrupted = Make();
        interrupted.CheckpointDirectory = _folder;
        interrupted.CancellationToken = cts.Token;
        interrupted.Progress = new LanguageProgress(p => { if (p.Epoch == 2 && p.Batch == 5 && !p.EndOfEpoch) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => ml.Rnn().LanguageModel(interrupted).Fit(corpus));
        Assert.True(File.Exists(Path.Combine(_folder, "training.000001.000005.ckpt")), string.Join(", ", Directory.GetFiles(_folder)));

        var resumed = Make();
        resumed.CheckpointDirectory = _folder;
        resumed.Resume = true;
        var batches = new List<(int Epoch, int Batch)>();
        resumed.Progress = new LanguageProgress(p => batches.Add((p.Epoch, p.Batch)));
        using var model = ml.Rnn().LanguageModel(resumed).Fit(corpus);
        Assert.Equal(expected, CollectionPressureTests.Digest(model.GetOnnxModel()));
        Assert.Equal((2, 6), batches[0]);
    }

    internal static ForecasterOptions Options(int epochs)
    {
        var options = ForecasterTestOptions.Small(epochs: epochs);
        options.Patience = 0;
        options.BatchSize = 16;
        return options;
    }

    private static string FitForecaster(MLContext ml, IDataView data, ForecasterOptions options)
    {
        using var model = ml.Rnn().Forecaster(options).Fit(data);
        return CollectionPressureTests.Digest(model.GetOnnxModel());
    }

    private sealed class Progress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    private sealed class LanguageProgress(Action<LanguageModelProgress> report) : IProgress<LanguageModelProgress>
    {
        public void Report(LanguageModelProgress value) => report(value);
    }
}
