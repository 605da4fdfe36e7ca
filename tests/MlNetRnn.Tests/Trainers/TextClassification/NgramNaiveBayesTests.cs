using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace MlNetRnn.Tests.Trainers.TextClassification;

/// <summary>The n-gram naive Bayes part: counts and smoothing by hand, the weight chosen on validation texts, and in a trained classifier.</summary>
public sealed class NgramNaiveBayesTests
{
    private static readonly string[][] s_texts = { new[] { "good", "movie" }, new[] { "bad", "movie" }, new[] { "good" } };

    [Fact]
    public void BinaryValuesAreTheLaplaceSmoothedLogRatiosOfTheCounts()
    {
        var bayes = NgramNaiveBayes.Fit(s_texts, new[] { 1, 0, 1 }, 2, binary: true, maxLength: 100);

        // Words bad, good, movie; pairs (good, movie) and (bad, movie): 5 features. Class 1 counts good 2, movie 1, good movie 1
        // (total 4, Z = 4 + 5); class 0 counts bad 1, movie 1, bad movie 1 (total 3, Z = 3 + 5).
        Assert.Equal(new[] { "bad", "good", "movie" }, bayes.Part.Words);
        Assert.Equal(6, bayes.Part.Rows);
        double Ratio(double c1, double c0) => Math.Log((c1 + 1) / 9.0) - Math.Log((c0 + 1) / 8.0);
        Assert.Equal(Ratio(0, 1), bayes.Table[0], 5);
        Assert.Equal(Ratio(2, 0), bayes.Table[1], 5);
        Assert.Equal(Ratio(1, 1), bayes.Table[2], 5);
        Assert.Equal(0f, bayes.Table[5]);
        Assert.Equal(Math.Log(3.0 / 5) - Math.Log(2.0 / 5), bayes.Bias[0], 5);

        // "good movie": the bias, both words and the pair; "great good": great and its pair are unseen and add nothing.
        var logits = bayes.Logits(new[] { new[] { "good", "movie" }, new[] { "great", "good" }, new[] { "good", "movie" } }, maxLength: 100);
        double bias = bayes.Bias[0];
        Assert.Equal(bias + Ratio(2, 0) + Ratio(1, 1) + Ratio(1, 0), logits[0], 5);
        Assert.Equal(bias + Ratio(2, 0), logits[1], 5);
        // Truncation: only "good" is kept, so neither "movie" nor the pair counts.
        Assert.Equal(bias + Ratio(2, 0), bayes.Logits(new[] { new[] { "good", "movie" } }, maxLength: 1)[0], 5);
    }

    [Fact]
    public void OnlyTheMostFrequentPairsUpToTheCapKeepARowAndTheRestCountNowhere()
    {
        // 100,001 two-word texts with distinct pairs over 400 words (one past the cap), then "w0 w1" three times more: the most
        // frequent pair is kept, and one of the pairs seen once is left out.
        var texts = new List<string[]>();
        var labels = new List<int>();
        for (int i = 0; i < 400 && texts.Count <= NgramNaiveBayes.MaximumPairs; i++)
        for (int j = 0; j < 400 && texts.Count <= NgramNaiveBayes.MaximumPairs; j++)
        {
            texts.Add(new[] { "w" + i, "w" + j });
            labels.Add((i + j) % 2);
        }
        for (int k = 0; k < 3; k++)
        {
            texts.Add(new[] { "w0", "w1" });
            labels.Add(1);
        }
        var bayes = NgramNaiveBayes.Fit(texts, labels, 2, binary: true, maxLength: 100);
        Assert.Equal(NgramNaiveBayes.MaximumPairs, bayes.Part.BigramKeys.Count);
        Assert.Equal(400, bayes.Part.Words.Count);
        int w0 = bayes.Part.Words.ToList().IndexOf("w0"), w1 = bayes.Part.Words.ToList().IndexOf("w1");
        Assert.Contains(bayes.Part.KeyOf(w0, w1), bayes.Part.BigramKeys);
        // Exactly one pair was left out, and it adds nothing: its text scores as its two words alone.
        var words = bayes.Part.Words.ToList();
        var keys = bayes.Part.BigramKeys.ToHashSet();
        var left = Assert.Single(texts, t => !keys.Contains(bayes.Part.KeyOf(words.IndexOf(t[0]), words.IndexOf(t[1]))));
        int l = words.IndexOf(left[0]), r = words.IndexOf(left[1]);
        Assert.Equal(bayes.Bias[0] + bayes.Table[l] + bayes.Table[r], bayes.Logits(new[] { left }, 100)[0], 5);
    }

    [Fact]
    public void MulticlassValuesAreTheClassLogLikelihoodsCentredOverTheClasses()
    {
        var bayes = NgramNaiveBayes.Fit(s_texts, new[] { 2, 0, 2 }, 3, binary: false, maxLength: 100);
        Assert.Equal(3, bayes.Outputs);
        // Class 1 has no text: every feature is α / (0 + 5) there; class 2 as class 1 above, class 0 as class 0 above.
        double[] good = { Math.Log(1 / 8.0), Math.Log(1 / 5.0), Math.Log(3 / 9.0) };
        for (int c = 0; c < 3; c++)
            Assert.Equal(good[c] - good.Average(), bayes.Table[1 * 3 + c], 5);
        Assert.Equal(0, bayes.Table.Skip(3).Take(3).Sum(), 5);
    }

    [Fact]
    public void TheWeightsAreTheOnesWhoseCombinationFitsTheValidationTextsBest()
    {
        int[] labels = { 1, 0, 1, 0 };
        float[] network = { 0.2f, -0.2f, -0.1f, 0.1f };
        // A part that agrees with the labels is taken at the largest weight tried; one that contradicts them is left out (weight 0,
        // and at weight 0 the tie between network scales goes to full scale).
        var agrees = NgramNaiveBayes.ChooseWeights(network, new[] { 3f, -3f, 3f, -3f }, labels, binary: true, outputs: 1);
        Assert.Equal(1.0, agrees.Weight);
        Assert.Equal(0.0, NgramNaiveBayes.ChooseWeights(network, new[] { -3f, 3f, -3f, 3f }, labels, binary: true, outputs: 1).Weight);

        // Overconfident networks that get half the texts wrong are scaled down next to a part that gets them right.
        float[] confident = { 8f, -8f, -8f, 8f };
        var scaled = NgramNaiveBayes.ChooseWeights(confident, new[] { 2f, -2f, 2f, -2f }, labels, binary: true, outputs: 1);
        Assert.Equal(0.25, scaled.NetworkScale);

        // Shrinking the networks alone is not an option (no part means the networks unscaled): with a part that says nothing, an
        // overconfident ensemble is still shrunk, but with the part in the graph (a weight above 0), so what is chosen is shipped.
        var silent = NgramNaiveBayes.ChooseWeights(confident, new float[4], labels, binary: true, outputs: 1);
        Assert.Equal((0.25, 0.1), (silent.NetworkScale, silent.Weight));
        for (int a = 1; a < NgramNaiveBayes.NetworkScaleGrid.Count; a++)
            Assert.Equal(double.PositiveInfinity, silent.Losses[a, 0]);

        // Each loss is the mean cross-entropy of scale · network + weight · part, by hand.
        Assert.Equal((NgramNaiveBayes.NetworkScaleGrid.Count, NgramNaiveBayes.WeightGrid.Count), (agrees.Losses.GetLength(0), agrees.Losses.GetLength(1)));
        double Loss(double scale, double weight, float[] part) => labels.Select((y, i) =>
        {
            double p = 1 / (1 + Math.Exp(-(scale * network[i] + weight * part[i])));
            return -Math.Log(y == 1 ? p : 1 - p);
        }).Average();
        Assert.Equal(Loss(1, 0, new float[4]), agrees.Losses[0, 0], 6);
        Assert.Equal(Loss(0.5, 0.3, new[] { 3f, -3f, 3f, -3f }), agrees.Losses[2, 3], 6);
    }

    [Fact]
    public void AClassifierWithThePartChoosesItsWeightOnValidationTextsAndScoresAlikeOnBothPaths()
    {
        var ml = new MLContext(1);
        var reviews = Sentiment.Load("yelp_labelled.txt");
        new Random(3).Shuffle(reviews);
        var train = ml.Data.LoadFromEnumerable(reviews[..400]);
        var test = ml.Data.LoadFromEnumerable(reviews[900..]);
        var options = new TextClassifierOptions { EmbeddingSize = 16, HiddenSize = 8, Epochs = 2, MaxLength = 30, Seed = 4, NgramNaiveBayes = true };
        using var model = ml.Rnn().TextClassifier(options).Fit(train);

        Assert.Contains(model.NgramWeight!.Value, NgramNaiveBayes.WeightGrid);
        Assert.Contains(model.NgramNetworkScale!.Value, NgramNaiveBayes.NetworkScaleGrid);
        Assert.True(model.Parity!.Passed);
        var info = OnnxModelInfo.Read(model.GetOnnxModel());
        Assert.Equal(model.NgramWeight > 0, info.Metadata.ContainsKey(OnnxMetadataKeys.NgramWords));
        var rowPath = model.Transform(test).GetColumn<float>("Probability").ToArray();
        var batched = model.TransformBatched(test).GetColumn<float>("Probability").ToArray();
        Assert.Equal(rowPath.Length, batched.Length);
        for (int i = 0; i < rowPath.Length; i++)
            Assert.True(Math.Abs(rowPath[i] - batched[i]) < 1e-5, $"text {i}: row path {rowPath[i]}, batched {batched[i]}");

        // A given weight is used as it is, and the part makes the model beat the same networks without it on held-out texts
        // (two epochs of a small network are weak; naive Bayes on 400 sentences is not).
        options.NgramWeight = 0.5;
        using var weighted = ml.Rnn().TextClassifier(options).Fit(train);
        options.NgramNaiveBayes = false;
        using var plain = ml.Rnn().TextClassifier(options).Fit(train);
        Assert.Equal(0.5, weighted.NgramWeight);
        Assert.Equal(1.0, weighted.NgramNetworkScale);
        Assert.Null(plain.NgramWeight);
        // Once the weight is set, the counts are redone on every labelled text: the validation texts' words have rows too.
        var prepared = TextClassifierTrainer.Preprocessing(ml, "Text", lowerCase: true).Fit(train).Transform(train);
        var allWords = prepared.GetColumn<VBuffer<ReadOnlyMemory<char>>>(TextClassifierTrainer.TokensColumn)
            .SelectMany(v => v.DenseValues().Select(m => m.ToString()).Where(w => w.Length > 0).Take(options.MaxLength)).ToHashSet(StringComparer.Ordinal);
        var part = OnnxModelImporter.Import(weighted.GetOnnxModel()).Sequence!.Ngrams!;
        Assert.Equal(allWords.Order(StringComparer.Ordinal), part.Words);
        double withPart = ml.BinaryClassification.Evaluate(weighted.Transform(test)).Accuracy, without = ml.BinaryClassification.Evaluate(plain.Transform(test)).Accuracy;
        Assert.True(withPart > without, $"accuracy with the part {withPart}, without {without}");
    }
}
