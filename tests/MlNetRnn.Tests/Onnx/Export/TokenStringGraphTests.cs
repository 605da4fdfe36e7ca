using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using Xunit;

namespace MlNetRnn.Tests.Onnx.Export;

/// <summary>
/// Graphs that take string tokens: the in-graph vocabulary lookup (unknown strings → the unknown id), truncation to MaxSteps and the
/// begin token must equal doing the same in C# before a TorchSharp pass over ids.
/// </summary>
public sealed class TokenStringGraphTests
{
    private static readonly string[] s_vocabulary = { "<pad>", "<unk>", "<s>", "the", "film", "was", "great", "bad", "not", "plot" };

    [Theory]
    [InlineData(SequencePooling.LastStep, RecurrentCellKind.Gru, true)]
    [InlineData(SequencePooling.Mean, RecurrentCellKind.Lstm, false)]
    public void InGraphLookupTruncationAndBeginTokenMatchTorchSharpOnIds(SequencePooling pooling, RecurrentCellKind cell, bool bidirectional)
    {
        const int maxSteps = 5, classes = 3;
        var arch = new RecurrentArchitecture(cell, 4, 6, 2, bidirectional);
        var weights = RandomWeights.Create(arch, classes, 21, vocabularySize: s_vocabulary.Length);
        var description = new SequenceModelDescription(arch, classes)
        {
            Task = "classification", VocabularySize = s_vocabulary.Length, TokenStrings = s_vocabulary, UnknownTokenId = 1, MaxSteps = maxSteps, BeginTokenId = 2,
            UsesLengths = true, Pooling = pooling, Activation = HeadActivation.Softmax, PredictedIndexOutput = true,
        };
        byte[] model = SequenceOnnxExporter.Export(description, weights);

        string[][] rows =
        {
            new[] { "the", "film", "was", "not", "great", "the", "plot", "was", "bad" }, // longer than MaxSteps
            new[] { "zzz", "great" },                                                   // an unknown word
            Array.Empty<string>(),                                                      // empty text: only the begin token
        };
        int width = rows.Max(r => r.Length);
        var strings = new DenseTensor<string>(new[] { rows.Length, width });
        for (int r = 0; r < rows.Length; r++)
        for (int t = 0; t < width; t++)
            strings[r, t] = t < rows[r].Length ? rows[r][t] : string.Empty;
        var lengths = new DenseTensor<int>(rows.Select(r => r.Length).ToArray(), new[] { rows.Length });

        using var session = new InferenceSession(model);
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor("tokens", strings), NamedOnnxValue.CreateFromTensor("lengths", lengths) });
        float[] probabilities = results.First(r => r.Name == "probabilities").AsEnumerable<float>().ToArray();
        long[] predicted = results.First(r => r.Name == "predicted_index").AsEnumerable<long>().ToArray();

        // The same thing in C#: begin token, then the first MaxSteps tokens as ids, then a packed TorchSharp pass.
        var ids = rows.Select(r => new[] { 2L }.Concat(r.Take(maxSteps).Select(w => (long)Math.Max(1, Array.IndexOf(s_vocabulary, w)))).ToArray()).ToArray();
        int steps = ids.Max(r => r.Length);
        var flat = ids.SelectMany(r => r.Concat(Enumerable.Repeat(0L, steps - r.Length))).ToArray();
        var input = TestInput.Of("tokens", flat, new long[] { rows.Length, steps });
        var torchDescription = description with { TokenStrings = null, UnknownTokenId = -1, MaxSteps = 0, BeginTokenId = -1, PredictedIndexOutput = false };
        var expected = SequenceParityGridTests.Torch(torchDescription, weights, input, rows.Length, steps, ids.Select(r => r.Length).ToArray(), null, null);

        Assert.Equal(expected.Output.Length, probabilities.Length);
        for (int i = 0; i < probabilities.Length; i++)
            Assert.True(Math.Abs(probabilities[i] - expected.Output[i]) <= 1e-5 + 1e-4 * Math.Abs(expected.Output[i]), $"value {i}: onnx {probabilities[i]} torch {expected.Output[i]}");
        for (int r = 0; r < rows.Length; r++)
        {
            var row = probabilities.AsSpan(r * classes, classes).ToArray();
            Assert.Equal(Array.IndexOf(row, row.Max()), (int)predicted[r]);
        }

        var imported = OnnxModelImporter.Import(model);
        Assert.Equal(s_vocabulary, imported.Sequence!.TokenStrings);
        Assert.Equal((maxSteps, 2, 1, true), (imported.Sequence.MaxSteps, imported.Sequence.BeginTokenId, imported.Sequence.UnknownTokenId, imported.Sequence.PredictedIndexOutput));
        Assert.Equal(model, imported.Export());
    }

    [Fact]
    public void RowsScoredAloneOrPaddedInABatchGetTheSameProbabilities()
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Lstm, 4, 6, 1, true);
        var weights = RandomWeights.Create(arch, 1, 5, vocabularySize: s_vocabulary.Length);
        byte[] model = SequenceOnnxExporter.Export(new SequenceModelDescription(arch, 1)
        {
            VocabularySize = s_vocabulary.Length, TokenStrings = s_vocabulary, UnknownTokenId = 1, BeginTokenId = 2, UsesLengths = true, Activation = HeadActivation.Sigmoid,
        }, weights);
        using var session = new InferenceSession(model);
        float Score(string[][] batch, int row)
        {
            int width = Math.Max(1, batch.Max(r => r.Length));
            var t = new DenseTensor<string>(new[] { batch.Length, width });
            for (int r = 0; r < batch.Length; r++)
            for (int c = 0; c < width; c++)
                t[r, c] = c < batch[r].Length ? batch[r][c] : "great"; // padding with a real word: it must still not count
            using var results = session.Run(new[]
            {
                NamedOnnxValue.CreateFromTensor("tokens", t),
                NamedOnnxValue.CreateFromTensor("lengths", new DenseTensor<int>(batch.Select(r => r.Length).ToArray(), new[] { batch.Length })),
            });
            return results.First(r => r.Name == "probabilities").AsEnumerable<float>().ElementAt(row);
        }
        var shortSentence = new[] { "not", "bad" };
        var longSentence = new[] { "the", "plot", "was", "bad", "the", "film", "was", "not", "great" };

        float alone = Score(new[] { shortSentence }, 0);
        float inBatch = Score(new[] { longSentence, shortSentence, Array.Empty<string>() }, 1);

        Assert.Equal(alone, inBatch, 6);
    }
}

/// <summary>In-graph input scaling and output unscaling of a float-feature sequence model equal doing both in C# around TorchSharp.</summary>
public sealed class AffineScalingGraphTests
{
    [Fact]
    public void ScalingInsideTheGraphEqualsScalingOutside()
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Lstm, 3, 5, 2, true);
        var weights = RandomWeights.Create(arch, 2, 8);
        var inputScaling = new AffineScaling(new[] { 10f, -3f, 0.5f }, new[] { 4f, 0.25f, 2f });
        var outputScaling = new AffineScaling(new[] { 100f, -7f }, new[] { 15f, 0.5f });
        foreach (var pooling in new[] { SequencePooling.LastStep, SequencePooling.Mean, SequencePooling.EveryStep })
        {
            var description = new SequenceModelDescription(arch, 2) { Pooling = pooling, InputScaling = inputScaling, OutputScaling = outputScaling };
            byte[] model = SequenceOnnxExporter.Export(description, weights);
            const int batch = 2, steps = 6;
            var random = new Random(4);
            float[] raw = Enumerable.Range(0, batch * steps * 3).Select(i => (float)(inputScaling.Center[i % 3] + inputScaling.Scale[i % 3] * (random.NextDouble() * 2 - 1))).ToArray();
            float[] scaled = raw.Select((v, i) => (v - inputScaling.Center[i % 3]) / inputScaling.Scale[i % 3]).ToArray();

            var torchOut = SequenceParityGridTests.Torch(description with { InputScaling = null, OutputScaling = null }, weights,
                TestInput.Of("input", scaled, new long[] { batch, steps, 3 }), batch, steps, null, null, null).Output;
            float[] expected = torchOut.Select((v, i) => v * outputScaling.Scale[i % 2] + outputScaling.Center[i % 2]).ToArray();
            long[] outShape = pooling == SequencePooling.EveryStep ? new long[] { batch, steps, 2 } : new long[] { batch, 2 };
            float[] actual = OnnxTestRunner.Run(model, "input", raw, new long[] { batch, steps, 3 }, "output", outShape);

            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 + 1e-4 * Math.Abs(expected[i]), $"{pooling} value {i}: onnx {actual[i]} expected {expected[i]}");
            Assert.Equal(model, OnnxModelImporter.Import(model).Export());
        }
    }
}
