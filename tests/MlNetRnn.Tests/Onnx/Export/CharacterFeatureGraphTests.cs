using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using Xunit;

namespace MlNetRnn.Tests.Onnx.Export;

/// <summary>
/// The tagger graph (string tokens, spelling features from code points, every-step softmax head, tag names out) against TorchSharp's
/// network with the same weights, on ragged sentences; the flattened and row forms; the importer's round trip.
/// </summary>
public sealed class CharacterFeatureGraphTests
{
    private static readonly string[] Words = { "<pad>", "<unk>", "the", "cat", "Sat", "quickly" };
    private static readonly string[] TagNames = { "DET", "N", "V", "ADV" };
    // 'é' and '!' are outside the alphabet (unknown character id); "zebra" is outside the word list (unknown word id).
    private static readonly string[][] Sentences =
    {
        new[] { "the", "cat", "Sat", "quickly" },
        new[] { "zebra", "Sat" },
        new[] { "Café!" },
        new[] { "the", "extraordinarily-long-hyphenated-word", "cat" },
    };

    private static SequenceModelDescription Description(RecurrentCellKind cell, bool bidirectional)
    {
        var chars = new CharacterConvolution("thecaSquiklyzbr".EnumerateRunes().Select(r => r.Value).Distinct().ToArray(), EmbeddingSize: 5, Filters: 6, KernelWidth: 3);
        return new SequenceModelDescription(new RecurrentArchitecture(cell, 4 + chars.Filters, 7, 2, bidirectional), TagNames.Length)
        {
            Task = "tagging",
            VocabularySize = Words.Length,
            Pooling = SequencePooling.EveryStep,
            Activation = HeadActivation.Softmax,
            CharacterFeatures = chars,
            TokenStrings = Words,
            UnknownTokenId = 1,
            UsesLengths = true,
            OutputLabels = TagNames,
        };
    }

    [Theory]
    [InlineData(RecurrentCellKind.Lstm, true)]
    [InlineData(RecurrentCellKind.Gru, false)]
    public void TheGraphEqualsTorchSharpOnRaggedSentencesAndNamesTheArgMaxTag(RecurrentCellKind cell, bool bidirectional)
    {
        var description = Description(cell, bidirectional);
        var (expected, weights) = TorchProbabilities(description);
        using var session = new InferenceSession(SequenceOnnxExporter.Export(description, weights));

        // Twice: once with token_chars just wide enough, once padded to 25 columns; the padding must not change anything.
        foreach (int extra in new[] { 0, 5 })
        {
            var (probabilities, labels, best) = Run(session, Sentences, extra);
            int k = 0;
            for (int s = 0; s < Sentences.Length; s++)
            {
                for (int t = 0; t < Sentences[s].Length; t++, k++)
                {
                    var row = probabilities[s][t];
                    for (int c = 0; c < TagNames.Length; c++)
                        Assert.True(Math.Abs(expected[k * TagNames.Length + c] - row[c]) <= 1e-5, $"sentence {s} token {t} tag {c}: onnx {row[c]} torch {expected[k * TagNames.Length + c]}");
                    int argMax = Array.IndexOf(row, row.Max());
                    Assert.Equal(TagNames[argMax], labels[s][t]);
                    Assert.Equal(row.Max(), best[s][t]);
                }
            }
        }
    }

    [Fact]
    public void TheRowGraphReadsFlattenedCodePointsAndGivesTheSameTags()
    {
        var description = Description(RecurrentCellKind.Lstm, true);
        var (_, weights) = TorchProbabilities(description);
        var row = description with { UsesLengths = false, CharacterFeatures = description.CharacterFeatures! with { FlattenedInput = true } };
        using var deployed = new InferenceSession(SequenceOnnxExporter.Export(description, weights));
        using var flat = new InferenceSession(SequenceOnnxExporter.Export(row, weights));
        var sentence = Sentences[0];
        var (expected, _, _) = Run(deployed, new[] { sentence }, 0);
        int width = CharacterConvolution.MaxCharacters;
        var codePoints = new long[sentence.Length * width];
        for (int t = 0; t < sentence.Length; t++)
            CharacterConvolution.CodePointsOf(sentence[t], codePoints.AsSpan(t * width, width));
        using var outputs = flat.Run(new[]
        {
            NamedOnnxValue.CreateFromTensor(SequenceOnnxNames.Tokens, new DenseTensor<string>(sentence, new[] { 1, sentence.Length })),
            NamedOnnxValue.CreateFromTensor(SequenceOnnxNames.TokenCharacters, new DenseTensor<long>(codePoints, new[] { 1, codePoints.Length })),
        });
        var actual = outputs.First(o => o.Name == SequenceOnnxNames.Probabilities).AsTensor<float>().ToArray();
        Assert.Equal(expected[0].SelectMany(r => r), actual);
    }

    [Fact]
    public void TheImporterReadsCharacterFeaturesAndLabelsBackBitForBit()
    {
        var description = Description(RecurrentCellKind.Lstm, true);
        var (_, weights) = TorchProbabilities(description);
        var bytes = SequenceOnnxExporter.Export(description, weights);
        var imported = OnnxModelImporter.Import(bytes);
        Assert.Equal(description.CharacterFeatures!.CodePoints, imported.Sequence!.CharacterFeatures!.CodePoints);
        Assert.Equal(TagNames, imported.Sequence.OutputLabels);
        Assert.Equal(bytes, imported.Export());
    }

    [Fact]
    public void InvalidCombinationsAreRejectedWithTheReason()
    {
        var description = Description(RecurrentCellKind.Lstm, true);
        Assert.Contains("exceed the character filters", Assert.Throws<ArgumentException>(() => (description with
        {
            Architecture = new RecurrentArchitecture(RecurrentCellKind.Lstm, 6, 7, 1, true),
        }).Validate()).Message);
        Assert.Contains("distinct", Assert.Throws<ArgumentException>(() => (description with { OutputLabels = new[] { "A", "A", "B", "C" } }).Validate()).Message);
        Assert.Contains("odd", Assert.Throws<ArgumentException>(() => (description with
        {
            CharacterFeatures = description.CharacterFeatures! with { KernelWidth = 2 },
        }).Validate()).Message);
        Assert.Contains("begin token", Assert.Throws<ArgumentException>(() => (description with { BeginTokenId = 2 }).Validate()).Message);
    }

    [Fact]
    public void TheTaggerScorerRefusesAGraphWithoutTagNamesOrLengths()
    {
        var description = Description(RecurrentCellKind.Gru, false);
        var (_, weights) = TorchProbabilities(description);
        foreach (var other in new[] { description with { OutputLabels = null }, description with { UsesLengths = false } })
        {
            var ex = Assert.Throws<ArgumentException>(() => new OnnxTaggerScorer(SequenceOnnxExporter.Export(other, weights)));
            Assert.Contains("not a tagger graph with lengths", ex.Message);
        }
    }

    /// <summary>TorchSharp's probabilities for every valid token of <see cref="Sentences"/> (random weights), and those weights.</summary>
    private static (float[] Probabilities, WeightSet Weights) TorchProbabilities(SequenceModelDescription description)
    {
        lock (TorchGate.Lock)
        {
            torch.manual_seed(5);
            using var network = new RecurrentSequenceNetwork(description);
            var weights = network.ExportWeights();
            var vocabulary = MlNetRnn.Transforms.Text.Vocabulary.FromTokens(Words, 0, 1);
            var ids = description.CharacterFeatures!.IdsByCodePoint();
            var encoded = Sentences.Select(s => new MlNetRnn.Trainers.Tagging.EncodedSentence(
                s.Select(w => (long)vocabulary.IdOf(w)).ToArray(),
                s.SelectMany(w =>
                {
                    var c = new long[CharacterConvolution.MaxCharacters];
                    description.CharacterFeatures.Encode(w, c, ids);
                    return c;
                }).ToArray(),
                Array.Empty<long>())).ToArray();
            return (MlNetRnn.Trainers.Tagging.SequenceTaggerTrainingLoop.Probabilities(network, torch.CPU, encoded, 3), weights);
        }
    }

    private static (float[][][] Probabilities, string[][] Labels, float[][] Best) Run(InferenceSession session, string[][] sentences, int extraWidth)
    {
        int n = sentences.Length, longest = sentences.Max(s => s.Length);
        int width = sentences.SelectMany(s => s).Max(w => Math.Min(CharacterConvolution.MaxCharacters, w.EnumerateRunes().Count())) + extraWidth;
        var tokens = new DenseTensor<string>(new[] { n, longest });
        var chars = new DenseTensor<long>(new[] { n, longest, width });
        var lengths = new DenseTensor<int>(sentences.Select(s => s.Length).ToArray(), new[] { n });
        for (int s = 0; s < n; s++)
        {
            for (int t = 0; t < longest; t++)
            {
                tokens[s, t] = t < sentences[s].Length ? sentences[s][t] : "";
                if (t < sentences[s].Length)
                    CharacterConvolution.CodePointsOf(sentences[s][t], chars.Buffer.Span.Slice((s * longest + t) * width, width));
            }
        }
        using var outputs = session.Run(new[]
        {
            NamedOnnxValue.CreateFromTensor(SequenceOnnxNames.Tokens, tokens),
            NamedOnnxValue.CreateFromTensor(SequenceOnnxNames.TokenCharacters, chars),
            NamedOnnxValue.CreateFromTensor(SequenceOnnxNames.Lengths, lengths),
        });
        var p = outputs.First(o => o.Name == SequenceOnnxNames.Probabilities).AsTensor<float>();
        var l = outputs.First(o => o.Name == SequenceOnnxNames.PredictedLabel).AsTensor<string>();
        var b = outputs.First(o => o.Name == SequenceOnnxNames.PredictedProbability).AsTensor<float>();
        int tags = (int)p.Dimensions[2];
        return (
            sentences.Select((s, i) => s.Select((_, t) => Enumerable.Range(0, tags).Select(c => p[i, t, c]).ToArray()).ToArray()).ToArray(),
            sentences.Select((s, i) => s.Select((_, t) => l[i, t]).ToArray()).ToArray(),
            sentences.Select((s, i) => s.Select((_, t) => b[i, t]).ToArray()).ToArray());
    }
}
