using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace MlNetRnn.Tests.Trainers.TextClassification;

/// <summary>A small binary classifier trained once on the Yelp sentences (shuffled with a seed: 800 train, 200 test).</summary>
public sealed class YelpClassifierFixture : IDisposable
{
    public YelpClassifierFixture()
    {
        MlContext = new MLContext(seed: 1);
        var reviews = Sentiment.Load("yelp_labelled.txt");
        new Random(1).Shuffle(reviews); // the file is not in random order
        Train = MlContext.Data.LoadFromEnumerable(reviews[..800]);
        Test = MlContext.Data.LoadFromEnumerable(reviews[800..]);
        TestReviews = reviews[800..];
        Model = MlContext.Rnn().TextClassifier(new TextClassifierOptions
        {
            EmbeddingSize = 32, HiddenSize = 24, Epochs = 8, MaxLength = 20, Seed = 2, Patience = 3,
        }).Fit(Train);
    }

    public MLContext MlContext { get; }
    public IDataView Train { get; }
    public IDataView Test { get; }
    public Sentiment.Review[] TestReviews { get; }
    public TextClassifierTransformer Model { get; }

    public void Dispose() => Model.Dispose();
}

public sealed class TextClassifierTests : IClassFixture<YelpClassifierFixture>
{
    private readonly YelpClassifierFixture _f;

    public TextClassifierTests(YelpClassifierFixture fixture) => _f = fixture;

    private sealed class Sentence
    {
        public string Text { get; set; } = "";
        public bool Label { get; set; }
    }

    private float[] Probabilities(ITransformer model, params string[] texts) =>
        model.Transform(_f.MlContext.Data.LoadFromEnumerable(texts.Select(t => new Sentence { Text = t }))).GetColumn<float>("Probability").ToArray();

    [Fact]
    public void BinaryEvaluateWorksUnchangedAndTheModelLearns()
    {
        var scored = _f.Model.Transform(_f.Test);
        var metrics = _f.MlContext.BinaryClassification.Evaluate(scored);

        Assert.True(metrics.Accuracy > 0.6, $"accuracy {metrics.Accuracy}");
        Assert.True(metrics.AreaUnderRocCurve > 0.65, $"AUC {metrics.AreaUnderRocCurve}");
        Assert.True(_f.Model.Parity!.Passed);
        var predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();
        var probabilities = scored.GetColumn<float>("Probability").ToArray();
        Assert.All(predicted.Zip(probabilities), p => Assert.Equal(p.Second > 0.5f, p.First));
    }

    [Fact]
    public void TransformBatchedGivesTransformsColumnsAndValuesLazily()
    {
        var rowPath = _f.Model.Transform(_f.Test);
        var batched = _f.Model.TransformBatched(_f.Test, new OnnxScoringOptions { BatchSize = 16, LengthGroupingWindow = 2 });

        Assert.Equal(rowPath.Schema.Select(c => (c.Name, c.Type)), batched.Schema.Select(c => (c.Name, c.Type)));
        float[] expected = rowPath.GetColumn<float>("Probability").ToArray();
        float[] actual = batched.GetColumn<float>("Probability").ToArray();
        float[] scores = batched.GetColumn<float>("Score").ToArray();
        bool[] predicted = batched.GetColumn<bool>("PredictedLabel").ToArray();
        // The row path runs the graph without lengths one text at a time; the batch pads and passes lengths: the same numbers to float rounding.
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 + 1e-4 * Math.Abs(expected[i]), $"row {i}: {actual[i]} vs {expected[i]}");
            Assert.Equal(actual[i] > 0.5f, predicted[i]);
            // A tolerance, not Assert.Equal's rounding to 5 places: the graph's float sigmoid and this double one differ by ~1e-8, which
            // flips the fifth decimal when a value sits on a rounding boundary (0.670304990 vs 0.670305014).
            Assert.True(Math.Abs(1 / (1 + Math.Exp(-scores[i])) - actual[i]) <= 1e-6, $"row {i}: probability {actual[i]}, score {scores[i]}");
        }
        // Equal options reuse the session: a second view gives the same numbers.
        Assert.Equal(actual, _f.Model.TransformBatched(_f.Test, new OnnxScoringOptions { BatchSize = 16, LengthGroupingWindow = 2 }).GetColumn<float>("Probability").ToArray());
        // Evaluation works on it unchanged, and gives the row path's metrics.
        var a = _f.MlContext.BinaryClassification.Evaluate(rowPath);
        var b = _f.MlContext.BinaryClassification.Evaluate(batched);
        Assert.Equal(a.Accuracy, b.Accuracy, 2);
        Assert.Equal(a.AreaUnderRocCurve, b.AreaUnderRocCurve, 2);
    }

    [Fact]
    public void SaveLoadAndTheOnnxFileAloneGiveTheSameProbabilities()
    {
        string zip = Path.Combine(Path.GetTempPath(), $"mlnetrnn-clf-{Guid.NewGuid():N}.zip");
        try
        {
            _f.MlContext.Model.Save(_f.Model, _f.Train.Schema, zip);
            var ml = new MLContext(seed: 5);
            using var loaded = ml.Rnn().LoadTextClassifier(zip);

            float[] original = _f.Model.Transform(_f.Test).GetColumn<float>("Probability").ToArray();
            float[] reloaded = loaded.Transform(_f.Test).GetColumn<float>("Probability").ToArray();
            Assert.Equal(original, reloaded);

            // The training history travels in the model's metadata and comes back with it.
            Assert.NotNull(loaded.History);
            Assert.Equal(_f.Model.History!.TrainLoss, loaded.History!.TrainLoss);
            Assert.Equal(_f.Model.History.ValidationLoss, loaded.History.ValidationLoss);
            Assert.Equal(_f.Model.History.BestEpoch, loaded.History.BestEpoch);
            Assert.Equal(_f.Model.History.StoppedEarly, loaded.History.StoppedEarly);

            // The deployable .onnx scores words (split as the model splits them) in one batch with lengths: the same numbers.
            var tokens = TextClassifierTrainer_Tokens(_f.Test);
            float[] batched = loaded.PredictTokens(tokens);
            for (int i = 0; i < original.Length; i++)
                Assert.True(Math.Abs(original[i] - batched[i]) <= 1e-5 + 1e-4 * original[i], $"row {i}: chain {original[i]} onnx batch {batched[i]}");
            Assert.Equal(_f.Model.Vocabulary.Tokens, loaded.Vocabulary.Tokens);
        }
        finally
        {
            File.Delete(zip);
        }
    }

    private string[][] TextClassifierTrainer_Tokens(IDataView data)
    {
        var prep = _f.MlContext.Transforms.Text.NormalizeText("n", "Text", Microsoft.ML.Transforms.Text.TextNormalizingEstimator.CaseMode.Lower, true, false, true)
            .Append(_f.MlContext.Transforms.Text.TokenizeIntoWords("w", "n", new[] { ' ', '\t', '\n', '\r' }));
        return prep.Fit(data).Transform(data).GetColumn<VBuffer<ReadOnlyMemory<char>>>("w")
            .Select(v => v.DenseValues().Select(m => m.ToString()).Where(s => s.Length > 0).ToArray()).ToArray();
    }

    [Fact]
    public void EmptyTextsUnknownWordsAndTextsBeyondMaxLengthAreHandled()
    {
        var p = Probabilities(_f.Model, "", "qwertyuiop zxcvbnm", "the food was great");
        Assert.All(p, v => Assert.InRange(v, 0f, 1f));

        // MaxLength is 20: words after the 20th change nothing.
        string twenty = string.Join(' ', Enumerable.Repeat("good", 10).Concat(Enumerable.Repeat("service", 10)));
        var cut = Probabilities(_f.Model, twenty, twenty + " terrible awful horrible worst");
        Assert.Equal(cut[0], cut[1]);

        Assert.Equal(new[] { "<pad>", "<unk>", "<s>" }, _f.Model.Vocabulary.Tokens.Take(3));
        Assert.Equal(1, _f.Model.Vocabulary.IdOf("qwertyuiop"));
    }

    [Fact]
    public void ATextScoresTheSameAloneAndPaddedInABatchWithLongerOnes()
    {
        var alone = _f.Model.PredictTokens(new[] { new[] { "not", "bad", "at", "all" } });
        var batch = _f.Model.PredictTokens(new[]
        {
            new[] { "the", "worst", "service", "i", "have", "ever", "had", "in", "my", "whole", "life" },
            new[] { "not", "bad", "at", "all" },
            Array.Empty<string>(),
        });
        Assert.Equal(alone[0], batch[1], 6);
    }

    [Fact]
    public void NonBooleanBinaryLabelsAreRejectedWithTheFix()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new { Text = "good", Label = 1f }, new { Text = "bad", Label = 2f } });
        var ex = Assert.Throws<ArgumentException>(() => ml.Rnn().TextClassifier().Fit(data));
        Assert.Contains("'Label' is Single", ex.Message);
        Assert.Contains("Boolean", ex.Message);
        Assert.Contains("MapValueToKey", ex.Message);

        var noText = ml.Data.LoadFromEnumerable(new[] { new { Review = "good", Label = true } });
        Assert.Contains("'Text'", Assert.Throws<ArgumentException>(() => ml.Rnn().TextClassifier().Fit(noText)).Message);
    }

    [Fact]
    public void WorksInsideEstimatorChainsForTextAndTokens()
    {
        // EstimatorChain.Fit propagates schemas through the trainer's GetOutputSchema before fitting it.
        var ml = new MLContext(1);
        var reviews = Sentiment.Load("yelp_labelled.txt").Take(200).ToArray();
        var options = new TextClassifierOptions { EmbeddingSize = 4, HiddenSize = 4, Epochs = 1, Seed = 1 };
        var text = ml.Data.LoadFromEnumerable(reviews.Select(r => new Sentence { Text = r.Text, Label = r.Label }));
        var tokens = ml.Data.LoadFromEnumerable(reviews.Select(r => new Tokenised { Text = r.Text.Split(' '), Label = r.Label }));

        foreach (var data in new[] { text, tokens })
        {
            var model = ml.Transforms.CopyColumns("Label", "Label").Append(ml.Rnn().TextClassifier(options)).Fit(data);
            var schema = model.GetOutputSchema(data.Schema);
            Assert.Equal(BooleanDataViewType.Instance, schema["PredictedLabel"].Type);
            Assert.Equal(NumberDataViewType.Single, schema["Probability"].Type);
            model.LastTransformer.Dispose();
        }

        var numbers = ml.Data.LoadFromEnumerable(new[] { new { Text = 1f, Label = true } });
        var ex = Assert.Throws<ArgumentException>(() => ml.Transforms.CopyColumns("Label", "Label").Append(ml.Rnn().TextClassifier(options)).Fit(numbers));
        Assert.Contains("'Text'", ex.Message);
    }

    private sealed class Tokenised
    {
        [VectorType]
        public string[] Text { get; set; } = Array.Empty<string>();
        public bool Label { get; set; }
    }

    [Fact]
    public void ATokensColumnTrainsAndScoresExactlyLikeTheSameText()
    {
        // Normalising each token then splitting gives the same words as normalising the sentence then splitting, so with the same seed
        // the two models are the same model.
        var reviews = Sentiment.Load("yelp_labelled.txt").Take(300).ToArray();
        var options = new TextClassifierOptions { EmbeddingSize = 8, HiddenSize = 8, Epochs = 2, Seed = 1 };
        var mlTokens = new MLContext(seed: 1);
        var tokenRows = mlTokens.Data.LoadFromEnumerable(reviews.Select(r => new Tokenised { Text = r.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries), Label = r.Label }));
        using var fromTokens = mlTokens.Rnn().TextClassifier(options).Fit(tokenRows);
        var mlText = new MLContext(seed: 1);
        var textRows = mlText.Data.LoadFromEnumerable(reviews.Select(r => new Sentence { Text = r.Text, Label = r.Label }));
        using var fromText = mlText.Rnn().TextClassifier(options).Fit(textRows);

        Assert.Equal(fromText.Vocabulary.Tokens, fromTokens.Vocabulary.Tokens);
        Assert.Contains("wow", fromTokens.Vocabulary.Tokens); // "Wow..." normalised to a lower-case word without punctuation
        Assert.Equal(fromText.Transform(textRows).GetColumn<float>("Probability").ToArray(), fromTokens.Transform(tokenRows).GetColumn<float>("Probability").ToArray());
    }

    private sealed class Labelled
    {
        public string Text { get; set; } = "";
        public string Category { get; set; } = "";
    }

    [Fact]
    public void MulticlassEvaluateWorksIncludingAClassWithNoTrainingRows()
    {
        var ml = new MLContext(seed: 1);
        var rows = Sentiment.Load("yelp_labelled.txt").Select(r => new Labelled { Text = r.Text, Category = "yelp-" + (r.Label ? "pos" : "neg") })
            .Concat(Sentiment.Load("imdb_labelled.txt").Select(r => new Labelled { Text = r.Text, Category = "imdb" }))
            .ToArray();
        var random = new Random(3);
        random.Shuffle(rows);
        // "other" is a class the data never shows: the model still has an output for it, and evaluation still works.
        var classes = ml.Data.LoadFromEnumerable(new[] { "imdb", "yelp-neg", "yelp-pos", "other" }.Select(c => new Labelled { Category = c }));
        var toKey = ml.Transforms.Conversion.MapValueToKey("Label", "Category", keyData: ml.Data.LoadFromEnumerable(classes.GetColumn<string>("Category").Select(c => new { Category = c })));
        var train = ml.Data.LoadFromEnumerable(rows[..1200]);
        var test = ml.Data.LoadFromEnumerable(rows[1200..1600]);
        var pipeline = toKey.Append(ml.Rnn().TextClassifier(new TextClassifierOptions { EmbeddingSize = 32, HiddenSize = 24, Epochs = 5, MaxLength = 25, Seed = 4 }));

        var model = pipeline.Fit(train);
        var scored = model.Transform(test);
        var metrics = ml.MulticlassClassification.Evaluate(scored);

        Assert.True(metrics.MacroAccuracy > 0.4, $"macro accuracy {metrics.MacroAccuracy}");
        Assert.Equal(4, ((VectorDataViewType)scored.Schema["Score"].Type).Size);
        var names = default(VBuffer<ReadOnlyMemory<char>>);
        scored.Schema["PredictedLabel"].GetKeyValues(ref names);
        Assert.Equal(new[] { "imdb", "yelp-neg", "yelp-pos", "other" }, names.DenseValues().Select(n => n.ToString()));
        var predictedNames = ml.Transforms.Conversion.MapKeyToValue("Name", "PredictedLabel").Fit(scored).Transform(scored).GetColumn<string>("Name").ToArray();
        Assert.Contains("imdb", predictedNames);

        // The batched path gives the same classes (and probabilities to float rounding) through the same ML.NET steps.
        var classifier = (TextClassifierTransformer)model.LastTransformer;
        var batched = classifier.TransformBatched(model.First().Transform(test)); // the classifier's own input: after the key mapping
        Assert.Equal(scored.GetColumn<uint>("PredictedLabel"), batched.GetColumn<uint>("PredictedLabel"));
        var rowScores = scored.GetColumn<float[]>("Score").SelectMany(v => v).ToArray();
        var batchScores = batched.GetColumn<float[]>("Score").SelectMany(v => v).ToArray();
        Assert.Equal(rowScores.Length, batchScores.Length);
        Assert.All(rowScores.Zip(batchScores), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-5 + 1e-4 * Math.Abs(p.First), $"{p.Second} vs {p.First}"));
        (model.LastTransformer as IDisposable)?.Dispose();
    }
}
