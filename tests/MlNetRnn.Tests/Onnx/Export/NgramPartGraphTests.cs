using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace MlNetRnn.Tests.Onnx.Export;

/// <summary>
/// The n-gram part of a text classifier's graph: its logits minus the same graph's without the part must be the bias plus the rows
/// of every kept word and adjacent pair, summed by hand here (truncation, unseen words and pairs, padding and empty texts included).
/// </summary>
public sealed class NgramPartGraphTests
{
    private static readonly string[] s_vocabulary = { "<pad>", "<unk>", "<s>", "the", "film", "was", "great" };
    private static readonly string[] s_words = { "bad", "film", "great", "not", "the", "was" };
    private static readonly NgramPart s_part = new(s_words, new[] { Key("not", "great"), Key("the", "film"), Key("film", "was") });

    private static long Key(string left, string right) => (long)Array.IndexOf(s_words, left) * (s_words.Length + 3 + 1) + Array.IndexOf(s_words, right);

    private static readonly string[][] s_rows =
    {
        new[] { "the", "film", "was", "not", "great", "the", "film" }, // longer than MaxSteps: the last pair (the, film) is cut off
        new[] { "zzz", "great" },                                     // an unseen word, so an unseen pair
        new[] { "not", "great" },
        Array.Empty<string>(),                                        // nothing but the bias
    };

    [Theory]
    [InlineData(1, HeadActivation.Sigmoid)]
    [InlineData(3, HeadActivation.Softmax)]
    public void ThePartAddsTheBiasAndTheRowsOfEveryKeptWordAndPair(int outputs, HeadActivation activation)
    {
        const int maxSteps = 5;
        const float networkScale = 0.75f;
        var arch = new RecurrentArchitecture(RecurrentCellKind.Gru, 4, 5, 1, true);
        var random = new Random(outputs);
        var table = Enumerable.Range(0, s_part.Rows * outputs).Select(i => i >= s_part.UnseenRow * outputs ? 0f : (float)(random.NextDouble() * 2 - 1)).ToArray();
        var bias = Enumerable.Range(0, outputs).Select(_ => (float)random.NextDouble()).ToArray();
        var networkWeights = RandomWeights.Create(arch, outputs, 9, vocabularySize: s_vocabulary.Length, pooling: SequencePooling.MeanMax);
        var weights = new WeightSet(networkWeights.Tensors.Append(new NamedTensor("ngrams.weight", new long[] { s_part.Rows, outputs }, table))
            .Append(new NamedTensor("ngrams.bias", new long[] { outputs }, bias)).Append(new NamedTensor("ngrams.network_scale", new long[] { 1 }, new[] { networkScale })));
        var plain = new SequenceModelDescription(arch, outputs)
        {
            Task = "classification", VocabularySize = s_vocabulary.Length, TokenStrings = s_vocabulary, UnknownTokenId = 1, MaxSteps = maxSteps, BeginTokenId = 2,
            UsesLengths = true, Pooling = SequencePooling.MeanMax, Activation = activation,
        };
        var withPart = plain with { Ngrams = s_part };
        byte[] model = SequenceOnnxExporter.Export(withPart, weights);

        float[] added = Logits(model, s_rows), without = Logits(SequenceOnnxExporter.Export(plain, networkWeights), s_rows);
        for (int r = 0; r < s_rows.Length; r++)
        {
            // By hand: the bias, each kept word's row, each kept adjacent pair's row.
            var kept = s_rows[r].Take(maxSteps).ToArray();
            var expected = bias.Select(v => (double)v).ToArray();
            for (int t = 0; t < kept.Length; t++)
            {
                int word = Array.IndexOf(s_words, kept[t]);
                if (word >= 0)
                    AddRow(expected, table, word, outputs);
                if (t + 1 < kept.Length && word >= 0 && Array.IndexOf(s_words, kept[t + 1]) >= 0)
                {
                    int pair = s_part.BigramKeys.ToList().IndexOf(Key(kept[t], kept[t + 1]));
                    if (pair >= 0)
                        AddRow(expected, table, s_words.Length + pair, outputs);
                }
            }
            for (int o = 0; o < outputs; o++)
            {
                double actual = added[r * outputs + o] - networkScale * without[r * outputs + o];
                Assert.True(Math.Abs(actual - expected[o]) < 1e-5, $"row {r}, output {o}: graph adds {actual}, by hand {expected[o]}");
            }
        }

        // One text at a time through the graph ML.NET runs (no lengths) gives the batch's logits.
        byte[] rowModel = SequenceOnnxExporter.Export(withPart with { UsesLengths = false }, weights);
        for (int r = 0; r < s_rows.Length; r++)
        {
            float[] alone = Logits(rowModel, new[] { s_rows[r] }, lengths: false);
            for (int o = 0; o < outputs; o++)
                Assert.True(Math.Abs(alone[o] - added[r * outputs + o]) < 1e-5, $"row {r}: alone {alone[o]}, in the batch {added[r * outputs + o]}");
        }

        var imported = OnnxModelImporter.Import(model);
        Assert.Equal(s_words, imported.Sequence!.Ngrams!.Words);
        Assert.Equal(s_part.BigramKeys, imported.Sequence.Ngrams.BigramKeys);
        Assert.Equal(model, imported.Export());
    }

    [Fact]
    public void APartNeedsTokenStringsAndValidListsAndTheImporterRefusesBadKeys()
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Gru, 4, 5, 1, false);
        var ids = new SequenceModelDescription(arch, 1) { VocabularySize = 7, Pooling = SequencePooling.Mean, Ngrams = s_part };
        Assert.Contains("token strings", Assert.Throws<ArgumentException>(ids.Validate).Message);
        Assert.Contains("distinct", Assert.Throws<ArgumentException>(new NgramPart(new[] { "a", "a" }, Array.Empty<long>()).Validate).Message);
        Assert.Contains("does not name two of the 2 words", Assert.Throws<ArgumentException>(new NgramPart(new[] { "a", "b" }, new[] { 2L * 4 + 1 }).Validate).Message);

        var weights = RandomWeights.Create(arch, 1, 3, vocabularySize: s_vocabulary.Length);
        weights = new WeightSet(weights.Tensors.Append(new NamedTensor("ngrams.weight", new long[] { s_part.Rows, 1 }, new float[s_part.Rows]))
            .Append(new NamedTensor("ngrams.bias", new long[] { 1 }, new float[1])).Append(new NamedTensor("ngrams.network_scale", new long[] { 1 }, new[] { 1f })));
        byte[] model = SequenceOnnxExporter.Export(ids with { TokenStrings = s_vocabulary, UnknownTokenId = 1, UsesLengths = true, Activation = HeadActivation.Sigmoid }, weights);
        var proto = MlNetRnn.Onnx.Protobuf.ModelProto.Parser.ParseFrom(model);
        proto.MetadataProps.First(p => p.Key == OnnxMetadataKeys.NgramBigramKeys).Value = "12,x";
        var ex = Assert.Throws<InvalidDataException>(() => OnnxModelImporter.Import(Google.Protobuf.MessageExtensions.ToByteArray(proto)));
        Assert.Contains("'x'", ex.Message);
        Assert.Contains(OnnxMetadataKeys.NgramBigramKeys, ex.Message);
    }

    private static void AddRow(double[] sum, float[] table, int row, int outputs)
    {
        for (int o = 0; o < outputs; o++)
            sum[o] += table[row * outputs + o];
    }

    private static float[] Logits(byte[] model, string[][] rows, bool lengths = true)
    {
        int width = rows.Max(r => r.Length);
        var strings = new DenseTensor<string>(new[] { rows.Length, width });
        for (int r = 0; r < rows.Length; r++)
        for (int t = 0; t < width; t++)
            strings[r, t] = t < rows[r].Length ? rows[r][t] : "the"; // padding that would count if it were read
        var inputs = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor("tokens", strings) };
        if (lengths)
            inputs.Add(NamedOnnxValue.CreateFromTensor("lengths", new DenseTensor<int>(rows.Select(r => r.Length).ToArray(), new[] { rows.Length })));
        using var session = new InferenceSession(model);
        using var results = session.Run(inputs);
        return results.First(r => r.Name == "logits").AsEnumerable<float>().ToArray();
    }
}
