using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using Xunit;

namespace MlNetRnn.Tests.Onnx.Export;

/// <summary>
/// TorchSharp vs ONNX Runtime for every exported topology: cell × layers 1..4 × uni/bi × bias × float/embedding input ×
/// head on the last step / every step / mean / mean + max (token models with a pooled head also with the wide bag-of-tokens
/// part), each with linear, sigmoid and softmax heads; full-length batches without
/// optional inputs, and ragged batches (lengths 1..100, packed sequences on the TorchSharp side) with random initial state
/// and the final states compared too. Outputs are NaN-poisoned before each run.
/// </summary>
public sealed class SequenceParityGridTests
{
    private const int Hidden = 5, Features = 3, EmbeddingWidth = 4, Vocabulary = 11, Outputs = 3;

    public static TheoryData<RecurrentCellKind, int, bool, bool, bool, SequencePooling> Grid()
    {
        var data = new TheoryData<RecurrentCellKind, int, bool, bool, bool, SequencePooling>();
        foreach (var cell in Enum.GetValues<RecurrentCellKind>())
        foreach (int layers in new[] { 1, 2, 3, 4 })
        foreach (bool bi in new[] { false, true })
        foreach (bool bias in new[] { true, false })
        foreach (bool embedding in new[] { false, true })
        foreach (var pooling in Enum.GetValues<SequencePooling>())
            data.Add(cell, layers, bi, bias, embedding, pooling);
        return data;
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void ExportedGraphMatchesTorchSharp(RecurrentCellKind cell, int layers, bool bidirectional, bool bias, bool embedding, SequencePooling pooling)
    {
        // A different but reproducible seed per case (HashCode.Combine would change from process to process).
        int seed = 1 + (int)cell + 4 * (layers + 4 * ((bidirectional ? 1 : 0) + 2 * ((bias ? 1 : 0) + 2 * ((embedding ? 1 : 0) + 2 * (int)pooling))));
        var arch = new RecurrentArchitecture(cell, embedding ? EmbeddingWidth : Features, Hidden, layers, bidirectional, bias);
        int vocabulary = embedding ? Vocabulary : 0;
        // ReLU recurrences are unbounded: with weights up to 0.6 some random stacks grow by orders of magnitude over 100 steps, and
        // the head's output then comes from cancelling large terms, which float32 cannot resolve to 1e-4 relative in either runtime.
        // Smaller weights keep the ReLU cases in the range a trained network works in.
        var weights = RandomWeights.Create(arch, Outputs, seed, range: cell == RecurrentCellKind.RnnRelu ? 0.35f : 0.6f, vocabularySize: vocabulary,
            pooling: pooling, wide: embedding && pooling != SequencePooling.EveryStep);
        var random = new Random(seed);

        foreach (var activation in Enum.GetValues<HeadActivation>())
        {
            // Token models with a pooled head carry the wide bag-of-tokens part too, so it is checked in every topology.
            var plain = new SequenceModelDescription(arch, Outputs)
            {
                VocabularySize = vocabulary, Pooling = pooling, Activation = activation, WideTokens = embedding && pooling != SequencePooling.EveryStep,
            };
            var full = plain with { UsesLengths = true, ExposesState = true };

            byte[] plainModel = SequenceOnnxExporter.Export(plain, weights);
            using (var session = new InferenceSession(plainModel))
            {
                foreach (int batch in new[] { 1, 3 })
                foreach (int steps in new[] { 1, 7 })
                {
                    var input = RandomInput(random, embedding, batch, steps);
                    var expected = Torch(plain, weights, input, batch, steps, null, null, null);
                    var actual = OnnxTestRunner.Run(session, new[] { input }, new[] { (PrimaryOutput(activation), OutputShape(pooling, batch, steps)) });
                    AssertClose(expected.Output, actual[PrimaryOutput(activation)], null, steps, $"{activation} batch {batch} seq {steps}");
                }
            }

            byte[] fullModel = SequenceOnnxExporter.Export(full, weights);
            using (var session = new InferenceSession(fullModel))
            {
                const int steps = 100;
                int[] lengths = { 100, 1, 37, 64 };
                int batch = lengths.Length;
                var input = RandomInput(random, embedding, batch, steps);
                long[] stateShape = { layers * arch.NumDirections, batch, Hidden };
                float[] h0 = RandomFloats(random, stateShape);
                float[] c0 = RandomFloats(random, stateShape);
                bool lstm = cell == RecurrentCellKind.Lstm;
                var expected = Torch(full, weights, input, batch, steps, lengths, h0, lstm ? c0 : null);

                var inputs = new List<TestInput> { input, TestInput.Of(SequenceOnnxNames.Lengths, lengths, new long[] { batch }), TestInput.Of(SequenceOnnxNames.InitialHidden, h0, stateShape) };
                var outputs = new List<(string, long[])> { (PrimaryOutput(activation), OutputShape(pooling, batch, steps)), (SequenceOnnxNames.FinalHidden, stateShape) };
                if (lstm)
                {
                    inputs.Add(TestInput.Of(SequenceOnnxNames.InitialCell, c0, stateShape));
                    outputs.Add((SequenceOnnxNames.FinalCell, stateShape));
                }
                var actual = OnnxTestRunner.Run(session, inputs, outputs);
                string where = $"{activation} ragged seq {steps}";
                AssertClose(expected.Output, actual[PrimaryOutput(activation)], pooling == SequencePooling.EveryStep ? lengths : null, steps, where);
                AssertClose(expected.FinalHidden, actual[SequenceOnnxNames.FinalHidden], null, steps, where + " h_n");
                if (lstm)
                    AssertClose(expected.FinalCell!, actual[SequenceOnnxNames.FinalCell], null, steps, where + " c_n");
            }

            // The importer must give back exactly these weights, and exporting them again must give the same file.
            foreach (byte[] model in new[] { plainModel, fullModel })
            {
                var imported = OnnxModelImporter.Import(model);
                Assert.Equal(model, imported.Export());
                foreach (var tensor in weights.Tensors)
                    Assert.Equal(tensor.Data, imported.Weights.Get(tensor.Name, tensor.Shape).Data);
                Assert.Equal(weights.Tensors.Count, imported.Weights.Tensors.Count);
            }
        }
    }

    private static string PrimaryOutput(HeadActivation activation) =>
        activation == HeadActivation.Linear ? SequenceOnnxNames.Output : SequenceOnnxNames.Probabilities;

    private static long[] OutputShape(SequencePooling pooling, int batch, int steps) =>
        pooling == SequencePooling.EveryStep ? new long[] { batch, steps, Outputs } : new long[] { batch, Outputs };

    private static TestInput RandomInput(Random random, bool embedding, int batch, int steps) => embedding
        ? TestInput.Of(SequenceOnnxNames.Tokens, Enumerable.Range(0, batch * steps).Select(_ => (long)random.Next(Vocabulary)).ToArray(), new long[] { batch, steps })
        : TestInput.Of(SequenceOnnxNames.Input, RandomFloats(random, new long[] { batch, steps, Features }), new long[] { batch, steps, Features });

    private static float[] RandomFloats(Random random, long[] shape) =>
        Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

    internal sealed record TorchResult(float[] Output, float[] FinalHidden, float[]? FinalCell);

    internal static TorchResult Torch(SequenceModelDescription description, WeightSet weights, TestInput input, int batch, int steps,
        int[]? lengths, float[]? h0, float[]? c0)
    {
        lock (TorchGate.Lock)
        {
            using var scope = torch.NewDisposeScope();
            using var network = new RecurrentSequenceNetwork(description);
            network.LoadWeights(weights);
            network.eval();
            using var noGrad = torch.no_grad();
            var x = input.Values is long[] ids ? torch.tensor(ids, new long[] { batch, steps }) : torch.tensor((float[])input.Values, input.Shape);
            long[] stateShape = { description.Architecture.NumLayers * description.Architecture.NumDirections, batch, description.Architecture.HiddenSize };
            var lengthTensor = lengths is null ? null : torch.tensor(lengths.Select(l => (long)l).ToArray());
            var hidden = h0 is null ? null : torch.tensor(h0, stateShape);
            var cellState = c0 is null ? null : torch.tensor(c0, stateShape);
            using var result = network.Forward(x, lengthTensor, hidden, cellState);
            using var activated = network.Activate(result.Output);
            return new TorchResult(activated.contiguous().data<float>().ToArray(), result.FinalHidden.contiguous().data<float>().ToArray(),
                result.FinalCell?.contiguous().data<float>().ToArray());
        }
    }

    /// <summary>Per-value tolerance 1e-5 + 1e-4·|ref|; with <paramref name="lengths"/>, only each row's valid steps of a [batch, seq, outputs] tensor are compared.</summary>
    private static void AssertClose(float[] expected, float[] actual, int[]? lengths, int steps, string where)
    {
        Assert.Equal(expected.Length, actual.Length);
        int perRow = expected.Length / Math.Max(1, lengths?.Length ?? 1);
        for (int i = 0; i < expected.Length; i++)
        {
            if (lengths is not null)
            {
                int row = i / perRow, step = i % perRow / (perRow / steps);
                if (step >= lengths[row])
                    continue;
            }
            double tolerance = 1e-5 + 1e-4 * Math.Abs(expected[i]);
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance, $"{where}: value {i} onnx {actual[i]} torch {expected[i]}");
        }
    }
}
