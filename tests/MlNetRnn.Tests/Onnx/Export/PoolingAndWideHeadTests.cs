using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace MlNetRnn.Tests.Onnx.Export;

/// <summary>
/// The mean + max pooling and the wide bag-of-tokens part against hand computations: a one-unit tanh RNN whose state is
/// tanh(x_t) (no recurrence), so every pooled value can be written down; ragged rows check that padding never reaches the mean,
/// the max or the wide average.
/// </summary>
public sealed class PoolingAndWideHeadTests
{
    // One feature, one hidden unit: h_t = tanh(1·x_t + 0·h_{t-1}).
    private static readonly RecurrentArchitecture s_arch = new(RecurrentCellKind.RnnTanh, 1, 1, 1, false, true);

    private static WeightSet Weights(float[] head, float[]? embedding = null, float[]? wide = null)
    {
        var tensors = new List<NamedTensor>
        {
            new("rnn.weight_ih_l0", new long[] { 1, 1 }, new[] { 1f }),
            new("rnn.weight_hh_l0", new long[] { 1, 1 }, new[] { 0f }),
            new("rnn.bias_ih_l0", new long[] { 1 }, new[] { 0f }),
            new("rnn.bias_hh_l0", new long[] { 1 }, new[] { 0f }),
            new("head.weight", new long[] { 1, head.Length }, head),
            new("head.bias", new long[] { 1 }, new[] { 0.5f }),
        };
        if (embedding is not null)
            tensors.Add(new NamedTensor("embedding.weight", new long[] { embedding.Length, 1 }, embedding));
        if (wide is not null)
            tensors.Add(new NamedTensor("wide.weight", new long[] { wide.Length, 1 }, wide));
        return new WeightSet(tensors);
    }

    [Fact]
    public void MeanMaxIsTheMeanAndTheMaximumOverEachRowsOwnSteps()
    {
        var description = new SequenceModelDescription(s_arch, 1) { Pooling = SequencePooling.MeanMax, UsesLengths = true };
        var weights = Weights(new[] { 1f, 10f });
        // Every valid value is negative: a padded step read as 0 would be the maximum.
        float[] x = { -0.2f, -1.5f, -0.7f, /* row 2 */ -2f, 9f, 9f };
        int[] lengths = { 3, 1 };

        using var session = new InferenceSession(SequenceOnnxExporter.Export(description, weights));
        var output = OnnxTestRunner.Run(session,
            new[] { TestInput.Of(SequenceOnnxNames.Input, x, new long[] { 2, 3, 1 }), TestInput.Of(SequenceOnnxNames.Lengths, lengths, new long[] { 2 }) },
            new[] { (SequenceOnnxNames.Output, new long[] { 2, 1 }) })[SequenceOnnxNames.Output];

        double Expected(params float[] valid)
        {
            var h = valid.Select(v => Math.Tanh(v)).ToArray();
            return 0.5 + 1 * h.Average() + 10 * h.Max();
        }
        Assert.Equal(Expected(-0.2f, -1.5f, -0.7f), output[0], 5);
        Assert.Equal(Expected(-2f), output[1], 5);

        // The TorchSharp twin computes the same on packed rows.
        var torch = SequenceParityGridTests.Torch(description, weights, TestInput.Of(SequenceOnnxNames.Input, x, new long[] { 2, 3, 1 }), 2, 3, lengths, null, null);
        Assert.Equal(output[0], torch.Output[0], 5);
        Assert.Equal(output[1], torch.Output[1], 5);
    }

    [Fact]
    public void TheWidePartAddsTheMeanOfTheValidTokensWeightsToTheLogit()
    {
        // Tokens 0..3 embed to 0.1, -0.4, 0.8, 2.0; the wide weights are 1, 2, 4, 8 (token 3 only ever appears as padding).
        float[] embedding = { 0.1f, -0.4f, 0.8f, 2f };
        float[] wide = { 1f, 2f, 4f, 8f };
        var description = new SequenceModelDescription(s_arch, 1) { VocabularySize = 4, Pooling = SequencePooling.Mean, UsesLengths = true, WideTokens = true };
        var weights = Weights(new[] { 3f }, embedding, wide);
        long[] ids = { 0, 1, 2, /* row 2 */ 2, 3, 3 };
        int[] lengths = { 3, 1 };

        byte[] model = SequenceOnnxExporter.Export(description, weights);
        Assert.Equal("true", OnnxModelInfo.Read(model).Metadata[OnnxMetadataKeys.WideTokens]);
        using var session = new InferenceSession(model);
        var output = OnnxTestRunner.Run(session,
            new[] { TestInput.Of(SequenceOnnxNames.Tokens, ids, new long[] { 2, 3 }), TestInput.Of(SequenceOnnxNames.Lengths, lengths, new long[] { 2 }) },
            new[] { (SequenceOnnxNames.Output, new long[] { 2, 1 }) })[SequenceOnnxNames.Output];

        double row1 = 0.5 + 3 * new[] { 0.1, -0.4, 0.8 }.Average(Math.Tanh) + (1 + 2 + 4) / 3.0;
        double row2 = 0.5 + 3 * Math.Tanh(0.8) + 4;
        Assert.Equal(row1, output[0], 5);
        Assert.Equal(row2, output[1], 5);

        var torch = SequenceParityGridTests.Torch(description, weights, TestInput.Of(SequenceOnnxNames.Tokens, ids, new long[] { 2, 3 }), 2, 3, lengths, null, null);
        Assert.Equal(output[0], torch.Output[0], 5);
        Assert.Equal(output[1], torch.Output[1], 5);

        // The importer reads the wide weights back and re-exports the same bytes.
        var imported = OnnxModelImporter.Import(model);
        Assert.True(imported.Sequence!.WideTokens);
        Assert.Equal(wide, imported.Weights.Get("wide.weight", 4, 1).Data);
        Assert.Equal(model, imported.Export());
    }

    [Fact]
    public void AWidePartNeedsTokenInputAndAPooledHead()
    {
        var features = new SequenceModelDescription(s_arch, 1) { Pooling = SequencePooling.Mean, WideTokens = true };
        Assert.Contains("token input", Assert.Throws<ArgumentException>(features.Validate).Message);
        var everyStep = new SequenceModelDescription(s_arch, 1) { VocabularySize = 4, Pooling = SequencePooling.EveryStep, WideTokens = true };
        Assert.Contains("pooled head", Assert.Throws<ArgumentException>(everyStep.Validate).Message);
    }
}
