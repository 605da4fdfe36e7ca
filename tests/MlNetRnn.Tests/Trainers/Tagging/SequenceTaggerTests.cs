using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Tagging;

/// <summary>A small tagger trained once on <see cref="SuffixTagging"/> sentences (stems seeded 1); the test sentences use other stems.</summary>
public sealed class SuffixTaggerFixture : IDisposable
{
    public SuffixTaggerFixture()
    {
        MlContext = new MLContext(seed: 1);
        TrainRows = SuffixTagging.Sentences(300, seed: 1);
        TestRows = SuffixTagging.Sentences(60, seed: 2);
        Train = MlContext.Data.LoadFromEnumerable(TrainRows);
        Test = MlContext.Data.LoadFromEnumerable(TestRows);
        Model = MlContext.Rnn().SequenceTagger(Options(characters: true)).Fit(Train);
    }

    internal static SequenceTaggerOptions Options(bool characters) => new()
    {
        HiddenSize = 16, EmbeddingSize = 8, CharacterFilters = 16, CharacterEmbeddingSize = 8, CharacterFeatures = characters,
        Epochs = 12, Patience = 12, BatchSize = 16, LearningRate = 0.01, ValidationFraction = 0.1, Seed = 3,
    };

    public MLContext MlContext { get; }
    internal SuffixTagging.Row[] TrainRows { get; }
    internal SuffixTagging.Row[] TestRows { get; }
    public IDataView Train { get; }
    public IDataView Test { get; }
    public SequenceTaggerTransformer Model { get; }

    public void Dispose() => Model.Dispose();
}

public sealed class SequenceTaggerTests : IClassFixture<SuffixTaggerFixture>
{
    private readonly SuffixTaggerFixture _f;

    public SequenceTaggerTests(SuffixTaggerFixture fixture) => _f = fixture;

    [Fact]
    public void SpellingTagsWordsNeverSeenInTrainingAndWithoutItTheyAreGuesses()
    {
        var known = _f.TrainRows.SelectMany(r => r.Tokens).ToHashSet();
        var metrics = SequenceTaggerEvaluator.Evaluate(_f.Model.Transform(_f.Test), knownWords: known, knownTags: _f.Model.Tags);

        // Nearly every test word is new (other stems; a few collide), and for those only the character features can tell the class;
        // four classes make chance 0.25.
        Assert.True(metrics.UnknownTokens > 0.9 * metrics.Tokens, $"{metrics.UnknownTokens} of {metrics.Tokens} test tokens are new");
        Assert.True(metrics.UnknownTokenAccuracy > 0.95, $"accuracy on new words with spelling {metrics.UnknownTokenAccuracy}");
        Assert.True(_f.Model.Parity!.Passed);
        Assert.Equal(0, metrics.UnseenTagTokens);

        using var wordsOnly = _f.MlContext.Rnn().SequenceTagger(SuffixTaggerFixture.Options(characters: false)).Fit(_f.Train);
        var without = SequenceTaggerEvaluator.Evaluate(wordsOnly.Transform(_f.Test), knownWords: known);
        Assert.True(without.UnknownTokenAccuracy < 0.6, $"accuracy on new words without spelling {without.UnknownTokenAccuracy}");
    }

    [Fact]
    public void TheOutputColumnsHaveATagAndAProbabilityPerTokenAndBatchedTaggingAgrees()
    {
        var scored = _f.Model.Transform(_f.Test);
        Assert.IsType<VectorDataViewType>(scored.Schema["PredictedTags"].Type);
        Assert.Equal(TextDataViewType.Instance, ((VectorDataViewType)scored.Schema["PredictedTags"].Type).ItemType);
        var tags = scored.GetColumn<string[]>("PredictedTags").ToArray();
        var probabilities = scored.GetColumn<float[]>("TagProbability").ToArray();
        var batched = _f.Model.Tag(_f.TestRows.Select(r => (IReadOnlyList<string>)r.Tokens).ToArray(), new OnnxScoringOptions { BatchSize = 7 });
        for (int i = 0; i < _f.TestRows.Length; i++)
        {
            Assert.Equal(_f.TestRows[i].Tokens.Length, tags[i].Length);
            Assert.Equal(tags[i], batched[i].Tags);
            Assert.All(probabilities[i], p => Assert.InRange(p, 1f / _f.Model.Tags.Count, 1f));
            for (int t = 0; t < tags[i].Length; t++)
                Assert.True(Math.Abs(probabilities[i][t] - batched[i].Probabilities[t]) <= 1e-5, $"sentence {i} token {t}");
        }
        Assert.Empty(_f.Model.Tag(new[] { (IReadOnlyList<string>)Array.Empty<string>() })[0].Tags);
        Assert.Contains("Sentence 2 is null or holds a null token", Assert.Throws<ArgumentException>(
            () => _f.Model.Tag(new[] { new[] { "a" }, new[] { "b", null! } })).Message);
    }

    [Fact]
    public void AnEmptySentenceGetsNoTagsOnMlNetsRowPathToo()
    {
        var rows = new[] { _f.TestRows[0], new SuffixTagging.Row { Tokens = Array.Empty<string>(), Tags = Array.Empty<string>() }, _f.TestRows[1] };
        var scored = _f.Model.Transform(_f.MlContext.Data.LoadFromEnumerable(rows));
        var tags = scored.GetColumn<string[]>("PredictedTags").ToArray();
        var probabilities = scored.GetColumn<float[]>("TagProbability").ToArray();
        Assert.Empty(tags[1]);
        Assert.Empty(probabilities[1]);
        var alone = _f.Model.Tag(new[] { (IReadOnlyList<string>)rows[0].Tokens, rows[2].Tokens });
        Assert.Equal(alone[0].Tags, tags[0]);
        Assert.Equal(alone[1].Tags, tags[2]);
    }

    private sealed class TextRow
    {
        public string Tokens { get; set; } = "";
    }

    [Fact]
    public void ScoringATextColumnInsteadOfTokensNamesTheColumn()
    {
        var text = _f.MlContext.Data.LoadFromEnumerable(new[] { new TextRow { Tokens = "walking slowly" } });
        var ex = Assert.Throws<ArgumentException>(() => _f.Model.Transform(text));
        Assert.Contains("'Tokens' must be a vector of String", ex.Message);
    }

    [Fact]
    public void SaveAndLoadGiveTheSameTagsAndTheOnnxFileAloneTagsRawTokens()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-tagger").FullName;
        try
        {
            string zip = Path.Combine(dir, "model.zip");
            _f.MlContext.Model.Save(_f.Model, _f.Train.Schema, zip);
            var ml = new MLContext(seed: 2);
            using var loaded = ml.Rnn().LoadSequenceTagger(zip);
            Assert.Equal(_f.Model.Tags, loaded.Tags);
            Assert.Equal(_f.Model.GetOnnxModel(), loaded.GetOnnxModel());
            var expected = _f.Model.Transform(_f.Test).GetColumn<string[]>("PredictedTags").ToArray();
            var actual = loaded.Transform(ml.Data.LoadFromEnumerable(_f.TestRows)).GetColumn<string[]>("PredictedTags").ToArray();
            Assert.Equal(expected, actual);

            // The deployable graph: raw tokens and their code points in, tag names out, nothing else needed.
            string onnx = Path.Combine(dir, "model.onnx");
            loaded.SaveOnnx(onnx);
            using var session = new InferenceSession(onnx);
            var sentence = _f.TestRows[0].Tokens;
            var chars = new DenseTensor<long>(new[] { 1, sentence.Length, CharacterConvolution.MaxCharacters });
            for (int t = 0; t < sentence.Length; t++)
                CharacterConvolution.CodePointsOf(sentence[t], chars.Buffer.Span.Slice(t * CharacterConvolution.MaxCharacters, CharacterConvolution.MaxCharacters));
            using var outputs = session.Run(new[]
            {
                NamedOnnxValue.CreateFromTensor(SequenceOnnxNames.Tokens, new DenseTensor<string>(sentence, new[] { 1, sentence.Length })),
                NamedOnnxValue.CreateFromTensor(SequenceOnnxNames.TokenCharacters, chars),
                NamedOnnxValue.CreateFromTensor(SequenceOnnxNames.Lengths, new DenseTensor<int>(new[] { sentence.Length }, new[] { 1 })),
            });
            Assert.Equal(expected[0], outputs.First(o => o.Name == SequenceOnnxNames.PredictedLabel).AsTensor<string>().ToArray());

            // Another library's zip is refused with the file named.
            var other = Path.Combine(dir, "other.zip");
            var plain = ml.Transforms.CopyColumns("Copy", "Tokens").Fit(ml.Data.LoadFromEnumerable(_f.TestRows));
            ml.Model.Save(plain, null, other);
            var ex = Assert.ThrowsAny<Exception>(() => ml.Rnn().LoadSequenceTagger(other));
            Assert.Contains("other.zip", ex.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void KeyTagsTrainLikeStringTags()
    {
        var ml = new MLContext(seed: 1);
        var keyed = ml.Transforms.Conversion.MapValueToKey("TagKeys", "Tags").Fit(_f.Train).Transform(_f.Train);
        var options = SuffixTaggerFixture.Options(characters: true);
        options.TagsColumnName = "TagKeys";
        options.Epochs = 1;
        using var model = ml.Rnn().SequenceTagger(options).Fit(keyed);
        Assert.Equal(new[] { "NN", "RB", "VBD", "VBG" }, model.Tags.Order());
    }
}
