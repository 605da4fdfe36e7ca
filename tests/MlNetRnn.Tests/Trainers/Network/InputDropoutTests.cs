using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Trainers.Network;

/// <summary>Dropout on the stack's input (the tagger's token-feature dropout) acts while training only and never reaches the export.</summary>
public sealed class InputDropoutTests
{
    [Fact]
    public void InputDropoutChangesTrainingPassesOnlyAndInferenceMatchesTheNetworkWithout()
    {
        var description = new SequenceModelDescription(new RecurrentArchitecture(RecurrentCellKind.Lstm, 6, 5, 1, true), 3)
        {
            VocabularySize = 11, Pooling = SequencePooling.EveryStep, Activation = HeadActivation.Softmax,
        };
        lock (TorchGate.Lock)
        {
            torch.manual_seed(3);
            using var withDropout = new RecurrentSequenceNetwork(description, inputDropout: 0.5);
            using var without = new RecurrentSequenceNetwork(description);
            without.LoadWeights(withDropout.ExportWeights());
            using var ids = torch.tensor(new long[] { 2, 5, 7, 3, 9, 4, 1, 8 }, new long[] { 2, 4 });

            withDropout.train();
            without.train();
            using var noGrad = torch.no_grad();
            var trainingDropped = withDropout.forward(ids).data<float>().ToArray();
            var trainingPlain = without.forward(ids).data<float>().ToArray();
            Assert.NotEqual(trainingPlain, trainingDropped);

            withDropout.eval();
            without.eval();
            Assert.Equal(without.forward(ids).data<float>().ToArray(), withDropout.forward(ids).data<float>().ToArray());
        }
    }
}
