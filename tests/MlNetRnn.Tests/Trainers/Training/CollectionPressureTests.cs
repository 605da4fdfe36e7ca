using Microsoft.ML;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Trainers.Training;

/// <summary>
/// Training must be immune to the finalizer thread: TorchSharp 0.107's own <c>Adam.step</c> fails within seconds under this pressure
/// (<c>c10/core/Scalar.h</c> asserts in <c>addcdiv_</c>), because its implicit scalar temporaries can be finalized mid-call.
/// Each family here trains under forced collections and must end with the very weights of a quiet run.
/// </summary>
[Collection(CollectionPressureCollection.Name)]
public sealed class CollectionPressureTests
{
    [Fact]
    public void AdamStepsUnderForcedCollectionsMatchAQuietRun()
    {
        float[] quiet = TrainLinear(pressure: false);
        float[] stressed = TrainLinear(pressure: true);
        Assert.Equal(quiet, stressed);
    }

    [Fact]
    public void ForecasterTrainsUnderForcedCollections()
    {
        var ml = new MLContext(1);
        // About 130 Adam steps (8 epochs of 8-window batches) per fit; the Adam test above takes 3,000 steps on its own.
        var options = ForecasterTestOptions.Small(epochs: 8);
        options.BatchSize = 8;
        string Fit()
        {
            using var model = ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, TestData.AirPassengers()));
            return Digest(model.GetOnnxModel());
        }
        string quiet = Fit();
        using var pressure = new CollectionPressure();
        Assert.Equal(quiet, Fit());
        Assert.True(pressure.Collections > 0);
    }

    [Fact]
    public void TextClassifierTrainsUnderForcedCollections()
    {
        var ml = new MLContext(1);
        var reviews = Sentiment.Load("yelp_labelled.txt").Take(300).ToArray();
        var data = ml.Data.LoadFromEnumerable(reviews);
        var options = new TextClassifierOptions { EmbeddingSize = 8, HiddenSize = 8, Epochs = 3, BatchSize = 8, MaxLength = 20, Seed = 3 };
        string Fit()
        {
            using var model = ml.Rnn().TextClassifier(options).Fit(data);
            return Digest(model.GetOnnxModel());
        }
        string quiet = Fit();
        using var pressure = new CollectionPressure();
        Assert.Equal(quiet, Fit());
    }

    [Fact]
    public void LanguageModelTrainsUnderForcedCollections()
    {
        var ml = new MLContext(1);
        string corpus = string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 60));
        var options = new LanguageModelOptions { EmbeddingSize = 8, HiddenSize = 16, NumberOfLayers = 2, Dropout = 0.2, SequenceLength = 20, BatchSize = 4, Epochs = 3, Seed = 5 };
        string Fit()
        {
            using var model = ml.Rnn().LanguageModel(options).Fit(corpus);
            return Digest(model.GetOnnxModel());
        }
        string quiet = Fit();
        using var pressure = new CollectionPressure();
        Assert.Equal(quiet, Fit());
    }

    internal static string Digest(byte[] onnx) => OnnxModelInfo.Read(onnx).Metadata[OnnxMetadataKeys.WeightsSha256];

    private static float[] TrainLinear(bool pressure)
    {
        lock (TorchGate.Lock)
        {
        torch.manual_seed(1);
        using var layer = nn.Linear(32, 32);
        using var adam = new AdamOptimizer(layer.parameters(), 0.01);
        using var x = torch.randn(16, 32);
        using var y = torch.randn(16, 32);
        using var stress = pressure ? new CollectionPressure() : null;
        for (int step = 0; step < 3000; step++)
        {
            using var scope = torch.NewDisposeScope();
            adam.ZeroGrad();
            var loss = nn.functional.mse_loss(layer.call(x), y);
            loss.backward();
            adam.Step();
        }
        return layer.weight!.detach().data<float>().ToArray();
        }
    }
}

/// <summary>Forced collections slow every thread in the process: these tests run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CollectionPressureCollection
{
    public const string Name = "Collection pressure";
}
