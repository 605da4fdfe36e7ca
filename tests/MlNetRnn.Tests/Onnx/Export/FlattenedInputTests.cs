using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace MlNetRnn.Tests.Onnx.Export;

/// <summary>A flattened float input (<c>[batch, steps · features]</c>, what an ML.NET vector column holds) against the same model fed <c>[batch, steps, features]</c>.</summary>
public sealed class FlattenedInputTests
{
    [Theory]
    [InlineData(SequencePooling.LastStep)]
    [InlineData(SequencePooling.MeanMax)]
    public void TheFlatGraphEqualsTheStepGraphAndTorchSharpOnTheSameRows(SequencePooling pooling)
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Gru, 3, 5, 2, true);
        var weights = RandomWeights.Create(arch, 4, seed: 11, pooling: pooling);
        var scaling = new AffineScaling(new[] { 1f, -2f, 0.5f }, new[] { 2f, 0.5f, 3f });
        var steps = new SequenceModelDescription(arch, 4) { Pooling = pooling, Activation = HeadActivation.Softmax, InputScaling = scaling };
        var flat = steps with { FlattenedSteps = 6 };
        var random = new Random(3);
        var x = Enumerable.Range(0, 5 * 6 * 3).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();

        using var stepSession = new InferenceSession(SequenceOnnxExporter.Export(steps, weights));
        using var flatSession = new InferenceSession(SequenceOnnxExporter.Export(flat, weights));
        var expected = OnnxTestRunner.Run(stepSession, new[] { TestInput.Of(SequenceOnnxNames.Input, x, new long[] { 5, 6, 3 }) },
            new[] { (SequenceOnnxNames.Probabilities, new long[] { 5, 4 }) })[SequenceOnnxNames.Probabilities];
        var actual = OnnxTestRunner.Run(flatSession, new[] { TestInput.Of(SequenceOnnxNames.Input, x, new long[] { 5, 18 }) },
            new[] { (SequenceOnnxNames.Probabilities, new long[] { 5, 4 }) })[SequenceOnnxNames.Probabilities];
        Assert.Equal(expected, actual);
        Assert.Equal(new long[] { -1, 18 }, flatSession.InputMetadata[SequenceOnnxNames.Input].Dimensions.Select(d => (long)d));

        // TorchSharp on the scaled [batch, steps, features] rows gives the same probabilities.
        var scaled = x.Select((v, i) => (v - scaling.Center[i % 3]) / scaling.Scale[i % 3]).ToArray();
        var torch = SequenceParityGridTests.Torch(steps with { InputScaling = null }, weights, TestInput.Of(SequenceOnnxNames.Input, scaled, new long[] { 5, 6, 3 }), 5, 6, null, null, null);
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(torch.Output[i] - actual[i]) <= 1e-5 + 1e-4 * Math.Abs(torch.Output[i]), $"value {i}: onnx {actual[i]} torch {torch.Output[i]}");
    }

    [Theory]
    [InlineData(RecurrentCellKind.Gru, SequencePooling.LastStep)]
    [InlineData(RecurrentCellKind.Lstm, SequencePooling.MeanMax)]
    public void AnyStepsWithLengthsEqualsTorchSharpOnRaggedRowsAndIgnoresThePadding(RecurrentCellKind cell, SequencePooling pooling)
    {
        var arch = new RecurrentArchitecture(cell, 3, 5, 1, true);
        var weights = RandomWeights.Create(arch, 2, seed: 5, pooling: pooling);
        var scaling = new AffineScaling(new[] { 1f, -2f, 0.5f }, new[] { 2f, 0.5f, 3f });
        var description = new SequenceModelDescription(arch, 2)
        {
            Pooling = pooling, Activation = HeadActivation.Sigmoid, InputScaling = scaling, FlattenedAnySteps = true, UsesLengths = true,
        };
        int[] lengths = { 7, 1, 4 };
        const int longest = 7;
        var random = new Random(8);
        var x = Enumerable.Range(0, 3 * longest * 3).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        using var session = new InferenceSession(SequenceOnnxExporter.Export(description, weights));
        Assert.Equal(new long[] { -1, -1 }, session.InputMetadata[SequenceOnnxNames.Input].Dimensions.Select(d => (long)d));
        float[] Score(float[] values) => OnnxTestRunner.Run(session,
            new[] { TestInput.Of(SequenceOnnxNames.Input, values, new long[] { 3, longest * 3 }), TestInput.Of(SequenceOnnxNames.Lengths, lengths, new long[] { 3 }) },
            new[] { (SequenceOnnxNames.Probabilities, new long[] { 3, 2 }) })[SequenceOnnxNames.Probabilities];
        var actual = Score(x);

        var scaled = x.Select((v, i) => (v - scaling.Center[i % 3]) / scaling.Scale[i % 3]).ToArray();
        var torch = SequenceParityGridTests.Torch(description with { InputScaling = null, FlattenedAnySteps = false },
            weights, TestInput.Of(SequenceOnnxNames.Input, scaled, new long[] { 3, longest, 3 }), 3, longest, lengths, null, null);
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(torch.Output[i] - actual[i]) <= 1e-5 + 1e-4 * Math.Abs(torch.Output[i]), $"value {i}: onnx {actual[i]} torch {torch.Output[i]}");

        // Whatever lies past a row's length is never read.
        var repadded = (float[])x.Clone();
        for (int row = 0; row < 3; row++)
        for (int i = lengths[row] * 3; i < longest * 3; i++)
            repadded[row * longest * 3 + i] = 1000f + i;
        Assert.Equal(actual, Score(repadded));

        // A row scored alone, unpadded, gives its own value.
        using var single = new InferenceSession(SequenceOnnxExporter.Export(description with { UsesLengths = false }, weights));
        var alone = OnnxTestRunner.Run(single, new[] { TestInput.Of(SequenceOnnxNames.Input, x.AsSpan(3 * longest * 3 - longest * 3, lengths[2] * 3).ToArray(), new long[] { 1, lengths[2] * 3 }) },
            new[] { (SequenceOnnxNames.Probabilities, new long[] { 1, 2 }) })[SequenceOnnxNames.Probabilities];
        Assert.Equal(actual[4], alone[0], 5);
        Assert.Equal(actual[5], alone[1], 5);

        var imported = OnnxModelImporter.Import(SequenceOnnxExporter.Export(description, weights));
        Assert.True(imported.Sequence!.FlattenedAnySteps);
        Assert.Equal(SequenceOnnxExporter.Export(description, weights), imported.Export());
    }

    [Fact]
    public void AnyStepsNeedFloatInputAndNoFixedSteps()
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Lstm, 2, 3, 1, false);
        var ex = Assert.Throws<ArgumentException>(() => new SequenceModelDescription(arch, 1) { FlattenedAnySteps = true, FlattenedSteps = 4 }.Validate());
        Assert.Contains("FlattenedAnySteps", ex.Message);
    }

    [Fact]
    public void TheImporterReadsTheFlattenedStepsBack()
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Lstm, 2, 3, 1, false);
        var description = new SequenceModelDescription(arch, 1) { FlattenedSteps = 4, Task = "float_sequence" };
        var bytes = SequenceOnnxExporter.Export(description, RandomWeights.Create(arch, 1, seed: 2));
        var imported = OnnxModelImporter.Import(bytes);
        Assert.Equal(4, imported.Sequence!.FlattenedSteps);
        Assert.Equal(bytes, imported.Export());
    }

    [Fact]
    public void FlattenedStepsNeedFloatInput()
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Lstm, 2, 3, 1, false);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SequenceModelDescription(arch, 1) { FlattenedSteps = 4, VocabularySize = 10 }.Validate());
        Assert.Contains("FlattenedSteps", ex.Message);
    }
}
