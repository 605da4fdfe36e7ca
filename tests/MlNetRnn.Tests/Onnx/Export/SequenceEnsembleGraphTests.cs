using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace MlNetRnn.Tests.Onnx.Export;

/// <summary>
/// A sequence model's ensemble graph: each member's logits come from its own embedding, stack, head and wide part, and the graph's
/// output is the activation of their mean, which is checked against each member run alone through TorchSharp.
/// </summary>
public sealed class SequenceEnsembleGraphTests
{
    [Theory]
    [InlineData(SequencePooling.MeanMax, HeadActivation.Sigmoid, 1)]
    [InlineData(SequencePooling.LastStep, HeadActivation.Softmax, 3)]
    public void TheGraphIsTheActivationOfTheMembersMeanLogits(SequencePooling pooling, HeadActivation activation, int outputs)
    {
        const int vocabulary = 9, steps = 6, members = 3;
        var arch = new RecurrentArchitecture(RecurrentCellKind.Gru, 4, 3, 2, true);
        var single = new SequenceModelDescription(arch, outputs)
        {
            VocabularySize = vocabulary, Pooling = pooling, Activation = HeadActivation.Linear, UsesLengths = true, WideTokens = true,
        };
        var memberWeights = Enumerable.Range(0, members)
            .Select(k => RandomWeights.Create(arch, outputs, 20 + k, vocabularySize: vocabulary, pooling: pooling, wide: true)).ToArray();
        var ensemble = single with { Members = members, Activation = activation };
        var weights = new WeightSet(memberWeights.SelectMany((w, k) => w.Tensors.Select(t => new NamedTensor($"member{k}." + t.Name, t.Shape, t.Data))));

        int[] lengths = { 6, 2, 4 };
        var random = new Random(2);
        long[] ids = Enumerable.Range(0, lengths.Length * steps).Select(_ => (long)random.Next(vocabulary)).ToArray();
        var tokens = TestInput.Of(SequenceOnnxNames.Tokens, ids, new long[] { lengths.Length, steps });

        byte[] model = SequenceOnnxExporter.Export(ensemble, weights);
        using var session = new InferenceSession(model);
        var actual = OnnxTestRunner.Run(session, new[] { tokens, TestInput.Of(SequenceOnnxNames.Lengths, lengths, new long[] { lengths.Length }) },
            new[] { (SequenceOnnxNames.Probabilities, new long[] { lengths.Length, outputs }) })[SequenceOnnxNames.Probabilities];

        // Each member alone (linear head: its logits), then the activation of their mean, by hand.
        var logits = memberWeights.Select(w => SequenceParityGridTests.Torch(single, w, tokens, lengths.Length, steps, lengths, null, null).Output).ToArray();
        for (int row = 0; row < lengths.Length; row++)
        {
            var mean = Enumerable.Range(0, outputs).Select(o => logits.Average(l => (double)l[row * outputs + o])).ToArray();
            double[] expected = activation == HeadActivation.Sigmoid
                ? mean.Select(m => 1 / (1 + Math.Exp(-m))).ToArray()
                : mean.Select(m => Math.Exp(m) / mean.Sum(Math.Exp)).ToArray();
            for (int o = 0; o < outputs; o++)
                Assert.True(Math.Abs(expected[o] - actual[row * outputs + o]) < 1e-5, $"row {row} output {o}: onnx {actual[row * outputs + o]} expected {expected[o]}");
        }

        // Metadata, import and byte-for-byte re-export.
        Assert.Equal("3", OnnxModelInfo.Read(model).Metadata[OnnxMetadataKeys.SequenceMembers]);
        var imported = OnnxModelImporter.Import(model);
        Assert.Equal(members, imported.Sequence!.Members);
        Assert.Equal(memberWeights[2].Get("rnn.weight_hh_l1_reverse").Data, imported.Weights.Get("member2.rnn.weight_hh_l1_reverse").Data);
        Assert.Equal(model, imported.Export());
    }

    [Fact]
    public void AnEnsembleCannotExposeStatesOrScoreEveryStep()
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Lstm, 2, 3, 1, false);
        Assert.Throws<ArgumentException>(new SequenceModelDescription(arch, 1) { Members = 2, ExposesState = true }.Validate);
        Assert.Throws<ArgumentException>(new SequenceModelDescription(arch, 1) { Members = 2, Pooling = SequencePooling.EveryStep }.Validate);
        Assert.Throws<ArgumentOutOfRangeException>(new SequenceModelDescription(arch, 1) { Members = 0 }.Validate);
    }
}
