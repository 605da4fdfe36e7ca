using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace MlNetRnn.Tests.Trainers.TextClassification;

/// <summary>
/// The text classifier with pretrained word vectors: words meet their vectors after the classifier's own normalisation, frozen rows
/// keep the vectors exactly, fine-tuning starts after the frozen epochs, only the vocabulary's rows travel in the ONNX graph, and
/// the graph reproduces TorchSharp.
/// </summary>
public sealed class PretrainedWordVectorsTests : IDisposable
{
    private const int Dimension = 6;
    private static readonly string[] s_positive = { "great", "good", "tasty", "friendly", "lovely" };
    private static readonly string[] s_negative = { "bad", "awful", "dont", "rude", "cold" };
    private readonly string _dir = Directory.CreateTempSubdirectory("mlnetrnn-vectors").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private sealed class Sentence
    {
        public string Text { get; set; } = "";
        public bool Label { get; set; }
    }

    /// <summary>A vectors file in GloVe's format: the data's words (some written as the file would, "GREAT", "don't"), a word seen once
    /// ("scrumptious"), and 40 words the data never uses.</summary>
    private string VectorsFile(out Dictionary<string, float[]> vectors)
    {
        var random = new Random(5);
        vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var fileWords = new[] { "GREAT", "good", "tasty", "friendly", "bad", "awful", "don't", "rude", "scrumptious" }
            .Concat(Enumerable.Range(0, 40).Select(i => $"unused{i}"));
        var lines = new List<string>();
        foreach (var word in fileWords)
        {
            var v = Enumerable.Range(0, Dimension).Select(_ => (float)Math.Round(random.NextDouble() - 0.5, 4)).ToArray();
            vectors[word] = v;
            lines.Add(word + " " + string.Join(' ', v.Select(x => x.ToString("R", CultureInfo.InvariantCulture))));
        }
        string path = Path.Combine(_dir, "vectors.txt");
        File.WriteAllLines(path, lines);
        return path;
    }

    private static IDataView Data(MLContext ml)
    {
        var random = new Random(3);
        var rows = new List<Sentence>();
        for (int i = 0; i < 160; i++)
        {
            bool positive = i % 2 == 0;
            var words = positive ? s_positive : s_negative;
            rows.Add(new Sentence { Text = $"the food was {words[random.Next(5)]} and {words[random.Next(5)]}", Label = positive });
        }
        rows.Add(new Sentence { Text = "Scrumptious!", Label = true });
        return ml.Data.LoadFromEnumerable(rows);
    }

    private static TextClassifierOptions Options(WordVectors vectors, WordVectorTraining training, int frozenEpochs = 0) => new()
    {
        WordVectors = vectors, WordVectorTraining = training, WordVectorFrozenEpochs = frozenEpochs, WordVectorLearningRateScale = 1,
        HiddenSize = 4, NumberOfLayers = 1, Epochs = 2, MaxLength = 10, Seed = 1, ValidationFraction = 0,
    };

    private static float[] Row(WeightSet weights, Vocabulary vocabulary, string word)
    {
        int id = vocabulary.IdOf(word);
        Assert.NotEqual(vocabulary.UnknownId, id);
        return weights.Get("embedding.weight").Data.AsSpan(id * Dimension, Dimension).ToArray();
    }

    [Fact]
    public void FrozenVectorsStayExactAndOnlyTheVocabularysRowsAreInTheGraph()
    {
        var ml = new MLContext(seed: 1);
        var vectors = WordVectors.Load(VectorsFile(out var values));
        using var model = ml.Rnn().TextClassifier(Options(vectors, WordVectorTraining.Frozen)).Fit(Data(ml));

        var imported = OnnxModelImporter.Import(model.GetOnnxModel());
        // "GREAT" and "don't" reach the texts' "great" and "dont" through the classifier's own lower-casing and punctuation removal.
        Assert.Equal(values["GREAT"], Row(imported.Weights, model.Vocabulary, "great"));
        Assert.Equal(values["don't"], Row(imported.Weights, model.Vocabulary, "dont"));
        Assert.Equal(values["rude"], Row(imported.Weights, model.Vocabulary, "rude"));
        // A word seen once joins the vocabulary because it has a vector (the minimum frequency is 2).
        Assert.Equal(values["scrumptious"], Row(imported.Weights, model.Vocabulary, "scrumptious"));
        // The 40 unused vectors do not travel: the table has one row per vocabulary word.
        Assert.Equal(new long[] { model.Vocabulary.Count, Dimension }, imported.Weights.Get("embedding.weight").Shape);
        Assert.DoesNotContain("unused0", model.Vocabulary.Tokens);
        Assert.True(model.Parity!.Passed);
        Assert.Contains("frozen", model.WordVectorsDescription);
        Assert.Contains("vectors.txt (6-d)", model.WordVectorsDescription);
    }

    [Fact]
    public void FineTuningMovesTheVectorsOnlyAfterTheFrozenEpochs()
    {
        var ml = new MLContext(seed: 1);
        var vectors = WordVectors.Load(VectorsFile(out var values));
        using var stillFrozen = ml.Rnn().TextClassifier(Options(vectors, WordVectorTraining.FineTune, frozenEpochs: 2)).Fit(Data(ml));
        using var tuned = ml.Rnn().TextClassifier(Options(vectors, WordVectorTraining.FineTune, frozenEpochs: 1)).Fit(Data(ml));

        var frozenWeights = OnnxModelImporter.Import(stillFrozen.GetOnnxModel()).Weights;
        var tunedWeights = OnnxModelImporter.Import(tuned.GetOnnxModel()).Weights;
        Assert.Equal(values["good"], Row(frozenWeights, stillFrozen.Vocabulary, "good"));
        Assert.NotEqual(values["good"], Row(tunedWeights, tuned.Vocabulary, "good"));
        Assert.True(tuned.Parity!.Passed);
        Assert.Contains("after 1 frozen epoch", tuned.WordVectorsDescription);
    }

    [Fact]
    public void AnEnsembleWithWordDropoutTrainsEachMemberFromTheVectorsAndPassesTheParityCheck()
    {
        var ml = new MLContext(seed: 1);
        var vectors = WordVectors.Load(VectorsFile(out var values));
        var options = Options(vectors, WordVectorTraining.Frozen);
        options.EnsembleSize = 2;
        options.WordDropout = 0.3;
        options.Pooling = SequencePooling.MeanMax;
        options.WideTokens = true;
        using var model = ml.Rnn().TextClassifier(options).Fit(Data(ml));

        var imported = OnnxModelImporter.Import(model.GetOnnxModel());
        Assert.Equal(2, imported.Sequence!.Members);
        Assert.Equal(values["rude"], imported.Weights.Get("member0.embedding.weight").Data.AsSpan(model.Vocabulary.IdOf("rude") * Dimension, Dimension).ToArray());
        Assert.Equal(values["rude"], imported.Weights.Get("member1.embedding.weight").Data.AsSpan(model.Vocabulary.IdOf("rude") * Dimension, Dimension).ToArray());
        // Different seeds: the members' recurrent weights differ.
        Assert.NotEqual(imported.Weights.Get("member0.rnn.weight_ih_l0").Data, imported.Weights.Get("member1.rnn.weight_ih_l0").Data);
        Assert.True(model.Parity!.Passed);
        var probabilities = model.Transform(Data(ml)).GetColumn<float>("Probability").ToArray();
        Assert.All(probabilities, p => Assert.InRange(p, 0f, 1f));
    }

    [Fact]
    public void WordVectorVocabularyAddsTheVectorsMostFrequentUnseenWordsWithTheirVectors()
    {
        var ml = new MLContext(seed: 1);
        var vectors = WordVectors.Load(VectorsFile(out var values));
        var options = Options(vectors, WordVectorTraining.FineTune);
        options.WordVectorVocabulary = 3;
        using var model = ml.Rnn().TextClassifier(options).Fit(Data(ml));

        // The file lists the data's words, then unused0, unused1, ...: the first three words no text uses join, in file order.
        Assert.Equal(new[] { "unused0", "unused1", "unused2" }, model.Vocabulary.Tokens.TakeLast(3));
        Assert.DoesNotContain("unused3", model.Vocabulary.Tokens);
        // No text trains them, so even fine-tuned they keep their vectors.
        var weights = OnnxModelImporter.Import(model.GetOnnxModel()).Weights;
        Assert.Equal(values["unused1"], Row(weights, model.Vocabulary, "unused1"));
    }

    [Fact]
    public void WithoutVectorsNothingIsDescribedAndTheEmbeddingSizeIsTheOptions()
    {
        var ml = new MLContext(seed: 1);
        using var model = ml.Rnn().TextClassifier(new TextClassifierOptions { EmbeddingSize = 5, HiddenSize = 4, NumberOfLayers = 1, Epochs = 1, Seed = 1 }).Fit(Data(ml));
        Assert.Null(model.WordVectorsDescription);
        Assert.Equal(new long[] { model.Vocabulary.Count, 5 }, OnnxModelImporter.Import(model.GetOnnxModel()).Weights.Get("embedding.weight").Shape);
    }

    [Fact]
    public void AnEmbeddingSizeThatDisagreesWithTheVectorsIsRejectedNamingTheFile()
    {
        var vectors = WordVectors.Load(VectorsFile(out _));
        var options = new TextClassifierOptions { WordVectors = vectors, EmbeddingSize = 8 };
        var ex = Assert.Throws<ArgumentException>(() => new MLContext().Rnn().TextClassifier(options));
        Assert.Contains("vectors.txt", ex.Message);
        Assert.Contains("6 values per word", ex.Message);
        // Left unset, the width follows the vectors.
        Assert.Equal(Dimension, new TextClassifierOptions { WordVectors = vectors }.EmbeddingSize);
    }
}
