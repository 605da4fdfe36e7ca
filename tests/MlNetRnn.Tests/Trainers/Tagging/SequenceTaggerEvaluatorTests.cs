using Xunit;

namespace MlNetRnn.Tests.Trainers.Tagging;

/// <summary>Tagging metrics on a hand-counted example.</summary>
public sealed class SequenceTaggerEvaluatorTests
{
    [Fact]
    public void AccuraciesAndPerTagScoresMatchAHandCount()
    {
        // Sentence 1: the/DET dog/N runs/V — predicted DET N N (one error). Sentence 2: cats/N sleep/V — predicted N V (all correct).
        var tokens = new[] { new[] { "the", "dog", "runs" }, new[] { "cats", "sleep" } };
        var gold = new[] { new[] { "DET", "N", "V" }, new[] { "N", "V" } };
        var predicted = new[] { new[] { "DET", "N", "N" }, new[] { "N", "V" } };
        // Training saw "the", "dog" and "sleep": "runs" and "cats" are unknown; of those, "cats" is right.
        var m = SequenceTaggerEvaluator.Evaluate(tokens, gold, predicted, knownWords: new[] { "the", "dog", "sleep" });

        Assert.Equal(4.0 / 5, m.TokenAccuracy, 12);
        Assert.Equal(2, m.UnknownTokens);
        Assert.Equal(0.5, m.UnknownTokenAccuracy, 12);
        Assert.Equal(0.5, m.SentenceAccuracy, 12);
        Assert.Equal(5, m.Tokens);
        Assert.Equal(2, m.Sentences);
        var n = m.PerTag.Single(t => t.Tag == "N");
        // N: predicted 3 times, right twice (precision 2/3); gold twice, both found (recall 1); F1 = 2·(2/3)·1/(2/3+1) = 0.8.
        Assert.Equal(2.0 / 3, n.Precision, 12);
        Assert.Equal(1.0, n.Recall, 12);
        Assert.Equal(0.8, n.F1, 12);
        Assert.Equal(2, n.Support);
        var v = m.PerTag.Single(t => t.Tag == "V");
        Assert.Equal(1.0, v.Precision, 12);
        Assert.Equal(0.5, v.Recall, 12);
        Assert.Equal(2.0 / 3, v.F1, 12);
        Assert.Equal((1.0 + 0.8 + 2.0 / 3) / 3, m.MacroF1, 12);
    }

    [Fact]
    public void WithoutKnownWordsTheUnknownAccuracyIsNaNAndMismatchedLengthsNameTheSentence()
    {
        var m = SequenceTaggerEvaluator.Evaluate(new[] { new[] { "a" } }, new[] { new[] { "X" } }, new[] { new[] { "X" } });
        Assert.True(double.IsNaN(m.UnknownTokenAccuracy));
        Assert.Equal(0, m.UnknownTokens);
        var ex = Assert.Throws<ArgumentException>(() => SequenceTaggerEvaluator.Evaluate(new[] { new[] { "a", "b" } }, new[] { new[] { "X" } }, new[] { new[] { "X", "Y" } }));
        Assert.Contains("Sentence 1 has 2 tokens, 1 gold tags and 2 predicted tags", ex.Message);
    }
}
