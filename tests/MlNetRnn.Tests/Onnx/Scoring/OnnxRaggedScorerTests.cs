using Xunit;

namespace MlNetRnn.Tests.Onnx.Scoring;

/// <summary>Batched scoring of float rows of different lengths: each row equals itself scored alone, batches of any size agree, bad rows are named.</summary>
public sealed class OnnxRaggedScorerTests
{
    private static readonly RecurrentArchitecture Arch = new(RecurrentCellKind.Gru, 2, 5, 1, true);

    private static byte[] Model(bool lengths) => SequenceOnnxExporter.Export(
        new SequenceModelDescription(Arch, 3) { Activation = HeadActivation.Softmax, FlattenedAnySteps = true, UsesLengths = lengths },
        RandomWeights.Create(Arch, 3, seed: 4));

    [Fact]
    public void EveryRowScoresAsItWouldAloneWhateverTheBatchSize()
    {
        var random = new Random(6);
        var rows = Enumerable.Range(0, 11).Select(_ => Enumerable.Range(0, 2 * random.Next(1, 9)).Select(_ => (float)random.NextDouble()).ToArray()).ToArray();
        using var batched = new OnnxRaggedScorer(Model(true), 2, SequenceOnnxNames.Probabilities, new OnnxScoringOptions { BatchSize = 4 });
        using var single = new OnnxRaggedScorer(Model(true), 2, SequenceOnnxNames.Probabilities, new OnnxScoringOptions { BatchSize = 1 });
        var all = batched.Score(rows.Select(r => (ReadOnlyMemory<float>)r).ToArray());
        var one = single.Score(rows.Select(r => (ReadOnlyMemory<float>)r).ToArray());
        Assert.Equal(11 * 3, all.Length);
        for (int i = 0; i < all.Length; i++)
            Assert.Equal(one[i], all[i], 5);
    }

    [Fact]
    public void AGraphWithoutLengthsAndRowsThatAreEmptyNotWholeStepsOrNotFiniteAreRefusedByName()
    {
        var graph = Assert.Throws<ArgumentException>(() => new OnnxRaggedScorer(Model(false), 2, SequenceOnnxNames.Probabilities));
        Assert.Contains("'lengths'", graph.Message);
        using var scorer = new OnnxRaggedScorer(Model(true), 2, SequenceOnnxNames.Probabilities);
        ReadOnlyMemory<float>[] Rows(params float[][] rows) => rows.Select(r => (ReadOnlyMemory<float>)r).ToArray();
        Assert.Contains("Row 1 holds 3 values", Assert.Throws<ArgumentException>(() => scorer.Score(Rows(new float[] { 1, 2 }, new float[] { 1, 2, 3 }))).Message);
        Assert.Contains("Row 0 holds 0 values", Assert.Throws<ArgumentException>(() => scorer.Score(Rows(Array.Empty<float>()))).Message);
        Assert.Contains("Row 0, step 1, feature 0 is NaN", Assert.Throws<ArgumentException>(() => scorer.Score(Rows(new float[] { 1, 2, float.NaN, 4 }))).Message);
    }
}
