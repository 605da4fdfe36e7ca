using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Trainers.Network;

/// <summary>
/// The masked-padding stack against packed sequences: the same weights give the same head outputs and final states (last step,
/// mean, mean + max; uni- and bidirectional; 1 and 2 layers; every cell) on ragged batches whose padding holds real token ids, and
/// the same gradients after one backward pass.
/// </summary>
public sealed class MaskedPaddingTests
{
    public static TheoryData<RecurrentCellKind, int, bool, SequencePooling> Cases()
    {
        var data = new TheoryData<RecurrentCellKind, int, bool, SequencePooling>();
        foreach (var cell in Enum.GetValues<RecurrentCellKind>())
        foreach (int layers in new[] { 1, 2 })
        foreach (bool bi in new[] { false, true })
        foreach (var pooling in new[] { SequencePooling.LastStep, SequencePooling.Mean, SequencePooling.MeanMax })
            data.Add(cell, layers, bi, pooling);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MaskedPaddingGivesThePackedValuesAndGradients(RecurrentCellKind cell, int layers, bool bidirectional, SequencePooling pooling)
    {
        const int vocabulary = 13, steps = 9;
        var description = new SequenceModelDescription(new RecurrentArchitecture(cell, 4, 5, layers, bidirectional), 2)
        {
            VocabularySize = vocabulary, Pooling = pooling, WideTokens = true,
        };
        long[] lengths = { 9, 1, 4, 7, 2 };
        var random = new Random(7);
        // Padding positions hold ordinary ids: only the masking keeps them out.
        long[] ids = Enumerable.Range(0, lengths.Length * steps).Select(_ => (long)random.Next(1, vocabulary)).ToArray();
        lock (TorchGate.Lock)
        {
            torch.manual_seed(3);
            using var packed = new RecurrentSequenceNetwork(description);
            using var masked = new RecurrentSequenceNetwork(description, maskedPadding: true);
            masked.LoadWeights(packed.ExportWeights());
            Assert.Equal(packed.ExportWeights().Tensors.Select(t => t.Name).Order(), masked.ExportWeights().Tensors.Select(t => t.Name).Order());

            var (packedOut, packedHidden, packedGrads) = Run(packed, ids, lengths, steps);
            var (maskedOut, maskedHidden, maskedGrads) = Run(masked, ids, lengths, steps);

            AssertClose(packedOut, maskedOut, "head output");
            AssertClose(packedHidden, maskedHidden, "final hidden states");
            foreach (var (name, grad) in packedGrads)
                AssertClose(grad, maskedGrads[name], $"gradient of {name}");
        }
    }

    private static (float[] Output, float[] Hidden, Dictionary<string, float[]> Gradients) Run(RecurrentSequenceNetwork network, long[] ids, long[] lengths, int steps)
    {
        using var scope = torch.NewDisposeScope();
        network.train();
        // No dropout is configured, so training mode only switches autograd bookkeeping.
        var x = torch.tensor(ids, new long[] { lengths.Length, steps });
        using var result = network.Forward(x, torch.tensor(lengths));
        result.Output.pow(2).sum().backward();
        var names = network.ExportWeights().Tensors.Select(t => t.Name).ToArray();
        var gradients = network.parameters().Zip(names)
            .ToDictionary(p => p.Second, p => p.First.grad!.contiguous().data<float>().ToArray());
        return (result.Output.detach().contiguous().data<float>().ToArray(), result.FinalHidden.detach().contiguous().data<float>().ToArray(), gradients);
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5, $"{what}: value {i} packed {expected[i]} masked {actual[i]}");
    }

    [Fact]
    public void AMaskedNetworkRefusesAnInitialState()
    {
        lock (TorchGate.Lock)
        {
            var description = new SequenceModelDescription(new RecurrentArchitecture(RecurrentCellKind.Gru, 2, 3, 1, false), 1);
            using var network = new RecurrentSequenceNetwork(description, maskedPadding: true);
            using var x = torch.zeros(1, 2, 2);
            using var h0 = torch.zeros(1, 1, 3);
            Assert.Throws<NotSupportedException>(() => network.Forward(x, null, h0));
        }
    }
}
