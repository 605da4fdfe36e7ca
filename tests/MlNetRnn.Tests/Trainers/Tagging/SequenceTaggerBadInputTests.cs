using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Tagging;

public sealed class SequenceTaggerBadInputTests
{
    private sealed class TextRow
    {
        public string Tokens { get; set; } = "";

        [VectorType]
        public string[] Tags { get; set; } = Array.Empty<string>();
    }

    private static readonly MLContext Ml = new(seed: 1);

    private static SequenceTaggerOptions Small() => new() { HiddenSize = 4, EmbeddingSize = 4, CharacterFilters = 4, Epochs = 1, Seed = 1 };

    private static IDataView Rows(params (string[] Tokens, string[] Tags)[] rows) =>
        Ml.Data.LoadFromEnumerable(rows.Select(r => new SuffixTagging.Row { Tokens = r.Tokens, Tags = r.Tags }));

    [Fact]
    public void TokensAndTagsOfDifferentLengthsNameTheRowAndBothLengths()
    {
        var data = Rows((new[] { "a", "b" }, new[] { "X", "Y" }), (new[] { "a", "b", "c" }, new[] { "X", "Y" }));
        var ex = Assert.Throws<ArgumentException>(() => Ml.Rnn().SequenceTagger(Small()).Fit(data));
        Assert.Contains("Row 2", ex.Message);
        Assert.Contains("3 tokens in column 'Tokens'", ex.Message);
        Assert.Contains("2 tags in column 'Tags'", ex.Message);
    }

    [Fact]
    public void AnEmptySentenceNamesTheRow()
    {
        var data = Rows((new[] { "a" }, new[] { "X" }), (new[] { "b" }, new[] { "Y" }), (Array.Empty<string>(), Array.Empty<string>()));
        var ex = Assert.Throws<ArgumentException>(() => Ml.Rnn().SequenceTagger(Small()).Fit(data));
        Assert.Contains("Row 3 has no tokens", ex.Message);
    }

    [Fact]
    public void AnEmptyTagNamesTheRowAndToken()
    {
        var data = Rows((new[] { "a", "b" }, new[] { "X", "" }), (new[] { "b" }, new[] { "Y" }));
        var ex = Assert.Throws<ArgumentException>(() => Ml.Rnn().SequenceTagger(Small()).Fit(data));
        Assert.Contains("Row 1, token 2 ('b')", ex.Message);
    }

    [Fact]
    public void ATextColumnInsteadOfTokensSaysHowToSplitIt()
    {
        var data = Ml.Data.LoadFromEnumerable(new[] { new TextRow { Tokens = "a b", Tags = new[] { "X", "Y" } } });
        var ex = Assert.Throws<ArgumentException>(() => Ml.Rnn().SequenceTagger(Small()).Fit(data));
        Assert.Contains("'Tokens' must be a vector of String", ex.Message);
        Assert.Contains("TokenizeIntoWords", ex.Message);
    }

    [Fact]
    public void AGoldTagTheModelNeverSawIsCountedAtEvaluation()
    {
        var gold = new[] { new[] { "X", "Z" }, new[] { "X" } };
        var predicted = new[] { new[] { "X", "X" }, new[] { "X" } };
        var tokens = new[] { new[] { "a", "b" }, new[] { "c" } };
        var metrics = SequenceTaggerEvaluator.Evaluate(tokens, gold, predicted, knownTags: new[] { "X", "Y" });
        Assert.Equal(1, metrics.UnseenTagTokens);
        Assert.Equal(new[] { "Z" }, metrics.UnseenTags);
    }

    [Fact]
    public void BadOptionsNameTheOption()
    {
        Assert.Contains("CharacterKernelWidth", Assert.Throws<ArgumentOutOfRangeException>(() => Ml.Rnn().SequenceTagger(new SequenceTaggerOptions { CharacterKernelWidth = 4 })).Message);
        Assert.Contains("WordDropout", Assert.Throws<ArgumentOutOfRangeException>(() => Ml.Rnn().SequenceTagger(new SequenceTaggerOptions { WordDropout = 0.9 })).Message);
        Assert.Contains("TimeBudget", Assert.Throws<ArgumentOutOfRangeException>(() => Ml.Rnn().SequenceTagger(new SequenceTaggerOptions { TimeBudget = TimeSpan.Zero })).Message);
    }
}
