using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Transforms;
using Xunit;

namespace MlNetRnn.Tests.Trainers.LanguageModeling;

/// <summary>A small character model trained once on the start of tiny Shakespeare, shared by the generation tests.</summary>
public sealed class SmallCharModelFixture : IDisposable
{
    public SmallCharModelFixture()
    {
        Corpus = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "data", "text", "tinyshakespeare.txt"))[..30000];
        var mlContext = new MLContext(seed: 1);
        Model = mlContext.Rnn().LanguageModel(new LanguageModelOptions
        {
            HiddenSize = 32, NumberOfLayers = 2, EmbeddingSize = 16, SequenceLength = 25, BatchSize = 16, Epochs = 2, Seed = 3,
        }).Fit(Corpus);
    }

    public string Corpus { get; }

    public LanguageModel Model { get; }

    public void Dispose() => Model.Dispose();
}

public sealed class LanguageModelTests : IClassFixture<SmallCharModelFixture>
{
    private readonly SmallCharModelFixture _fixture;

    public LanguageModelTests(SmallCharModelFixture fixture) => _fixture = fixture;

    [Fact]
    public void VocabularyRoundTripsThroughJsonAndText()
    {
        string text = "To be, or not to be: that is the question.\nWhether 'tis nobler…";
        var chars = TextUnits.Split(text, TextUnit.Character);
        var vocabulary = Vocabulary.Build(chars);
        var back = Vocabulary.FromJson(vocabulary.ToJson());

        Assert.Equal(vocabulary.Tokens, back.Tokens);
        Assert.Equal(text, TextUnits.Join(back.Encode(chars).Select(id => back.TokenOf(id))));
        Assert.Equal(text, TextUnits.Join(TextUnits.Split(text, TextUnit.Word)));
        Assert.Equal(" ", vocabulary.TokenOf(0)); // the most frequent character gets id 0

        var words = Vocabulary.Build(TextUnits.Split("the cat the dog the end", TextUnit.Word), minimumFrequency: 2, unknownToken: "<unk>");
        Assert.Equal(new[] { "<unk>", " ", "the" }, words.Tokens);
        Assert.Equal(words.UnknownId, words.IdOf("cat"));

        var ex = Assert.Throws<ArgumentException>(() => vocabulary.Encode(TextUnits.Split("xyz€", TextUnit.Character), "the prime"));
        Assert.Contains("The prime contains", ex.Message);
        Assert.Contains("\"€\"", ex.Message);
    }

    [Fact]
    public void StateCarriedBetweenWindowsLetsTheModelCountBeyondOneWindow()
    {
        // "b" then seven "a": knowing when the next "b" comes needs memory of up to 8 steps, twice the training window of 4,
        // so only a state carried from window to window can teach it.
        string corpus = string.Concat(Enumerable.Repeat("baaaaaaa", 250));
        var mlContext = new MLContext(seed: 1);
        using var model = mlContext.Rnn().LanguageModel(new LanguageModelOptions
        {
            Cell = RecurrentCellKind.Lstm, HiddenSize = 24, NumberOfLayers = 1, EmbeddingSize = 4, SequenceLength = 4, BatchSize = 8,
            Epochs = 40, LearningRate = 0.01, LearningRateDecay = 1, ValidationFraction = 0, Patience = 0, Seed = 5,
        }).Fit(corpus);

        string generated = model.Generate("baaaaaaabaa", 40, temperature: 0);

        Assert.Equal("aaaaab" + "aaaaaaab" + "aaaaaaab" + "aaaaaaab" + "aaaaaaab" + "aa", generated);
    }

    [Fact]
    public void StepByStepLogitsEqualFullSequenceScoring()
    {
        using var session = new OnnxStatefulSession(_fixture.Model.GetOnnxModel());
        var ids = _fixture.Model.Vocabulary.Encode(TextUnits.Split(_fixture.Corpus[1000..1150], TextUnit.Character));
        int v = session.OutputSize;

        float[] full = session.Run(ids);
        session.Reset();
        float[] prime = session.Run(ids.AsSpan(0, 50));
        Assert.Equal(full.AsSpan(0, 50 * v).ToArray(), prime); // the same graph on the same prefix: identical
        for (int t = 50; t < ids.Length; t++)
        {
            var step = session.Step(ids[t]);
            for (int k = 0; k < v; k++)
                Assert.True(Math.Abs(step[k] - full[t * v + k]) <= 1e-5, $"step {t}, logit {k}: stepped {step[k]} full {full[t * v + k]}");
        }
    }

    [Fact]
    public void BatchedLossesEqualTheStepByStepLossOfEachText()
    {
        var model = _fixture.Model;
        var random = new Random(4);
        // Texts of 2 to 200 characters from the training corpus (so every character is known), in no particular order of length.
        var texts = Enumerable.Range(0, 37).Select(_ =>
        {
            int length = random.Next(2, 201), start = random.Next(0, _fixture.Corpus.Length - length);
            return _fixture.Corpus.Substring(start, length);
        }).ToArray();

        double[] batched = model.Losses(texts, new OnnxScoringOptions { BatchSize = 8, LengthGroupingWindow = 2 });

        Assert.Equal(texts.Length, batched.Length);
        for (int i = 0; i < texts.Length; i++)
        {
            double alone = model.Loss(texts[i]); // the stateful graph (state inputs, no lengths), one text per run: another graph and path
            Assert.True(Math.Abs(batched[i] - alone) <= 1e-5 + 1e-4 * Math.Abs(alone), $"text {i} ({texts[i].Length} chars): batched {batched[i]} vs {alone}");
        }

        // The lazy IDataView path gives the same numbers, in input order, next to the input columns.
        var ml = new MLContext(seed: 1);
        var view = model.TransformBatched(ml.Data.LoadFromEnumerable(texts.Select((t, i) => new NumberedText { Text = t, Number = i })),
            options: new OnnxScoringOptions { BatchSize = 4 });
        Assert.Equal(Enumerable.Range(0, texts.Length), view.GetColumn<int>("Number"));
        var losses = view.GetColumn<float>("Loss").ToArray();
        for (int i = 0; i < texts.Length; i++)
            Assert.Equal(batched[i], losses[i], 4);
        Assert.False(view.Schema.GetColumnOrNull("MlNetRnn.LmInputs").HasValue);

        Assert.Contains("Text 1 has 1 token(s)", Assert.Throws<ArgumentException>(() => model.Losses(new[] { "ab", "a" })).Message);
        Assert.Contains("never saw", Assert.Throws<ArgumentException>(() => model.Losses(new[] { "ab\u00e9\u00e9" })).Message);
    }

    private sealed class NumberedText
    {
        public string Text { get; set; } = "";
        public int Number { get; set; }
    }

    [Fact]
    public void SameSeedGivesTheSameSampleAndTemperatureZeroIsGreedy()
    {
        var model = _fixture.Model;
        string a = model.Generate("ROMEO:", 120, temperature: 0.8, topK: 10, seed: 42);
        string b = model.Generate("ROMEO:", 120, temperature: 0.8, topK: 10, seed: 42);
        string c = model.Generate("ROMEO:", 120, temperature: 0.8, topK: 10, seed: 43);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(120, a.Length);

        string greedy = model.Generate("ROMEO:", 80, temperature: 0);
        Assert.Equal(greedy, model.Generate("ROMEO:", 80, temperature: 1e-4, seed: 7));
        Assert.Equal(greedy, model.Generate("ROMEO:", 80, temperature: 1.0, topK: 1, seed: 9));
    }

    [Fact]
    public void SamplerFollowsTheTemperedDistribution()
    {
        // logits ln(1), ln(3): probability of id 1 is 3/4 at temperature 1 and 9/10 at temperature 0.5.
        float[] logits = { 0f, MathF.Log(3) };
        var random = new Random(1);
        int n = 40000;
        double p1 = Enumerable.Range(0, n).Count(_ => TokenSampler.Sample(logits, 1.0, 0, random) == 1) / (double)n;
        double p2 = Enumerable.Range(0, n).Count(_ => TokenSampler.Sample(logits, 0.5, 0, random) == 1) / (double)n;
        Assert.InRange(p1, 0.74, 0.76);
        Assert.InRange(p2, 0.89, 0.91);
    }

    [Fact]
    public void TheOnnxFileAloneGeneratesTheSameText()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mlnetrnn-lm-{Guid.NewGuid():N}.onnx");
        try
        {
            _fixture.Model.SaveOnnx(path);
            using var loaded = new MLContext().Rnn().LoadLanguageModel(path);
            using var generator = TextGenerator.FromFile(path);

            string expected = _fixture.Model.Generate("First", 60, 0.7, 5, 11);
            Assert.Equal(expected, loaded.Generate("First", 60, 0.7, 5, 11));
            Assert.Equal(expected, generator.Generate("First", 60, 0.7, 5, 11));
            Assert.Equal(_fixture.Model.History!.ValidationLoss, loaded.History!.ValidationLoss);
            Assert.Equal(_fixture.Model.Vocabulary.Tokens, generator.Vocabulary.Tokens);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TrainingLowersTheLossAndTheExportMatchesTorchSharp()
    {
        var model = _fixture.Model;
        Assert.Equal(2, model.History!.EpochsRun);
        Assert.True(model.History.ValidationLoss[^1] < Math.Log(model.Vocabulary.Count), "validation loss should beat a uniform guess");
        Assert.True(model.Parity!.Passed);
        Assert.True(model.TrainTokensPerSecond > 0);
        double loss = model.Loss(_fixture.Corpus[^2000..]);
        Assert.InRange(loss, 0.5, Math.Log(model.Vocabulary.Count));
    }

    [Fact]
    public void BadCorporaAndPrimesAreNamed()
    {
        var trainer = new MLContext(1).Rnn().LanguageModel(new LanguageModelOptions { SequenceLength = 50, Epochs = 1, HiddenSize = 8 });

        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => trainer.Fit(string.Empty)).Message);
        var shortCorpus = Assert.Throws<ArgumentException>(() => trainer.Fit("Too short to train on."));
        Assert.Contains("SequenceLength + 1 = 51", shortCorpus.Message);
        Assert.Contains("22 characters", shortCorpus.Message);

        var unseen = Assert.Throws<ArgumentException>(() => _fixture.Model.Generate("ROMEO: 😀", 10));
        Assert.Contains("\"😀\"", unseen.Message);
        Assert.Contains("never saw", unseen.Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => _fixture.Model.Generate(string.Empty, 10)).Message);

        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new { Value = 1f } });
        Assert.Contains("'Text'", Assert.Throws<ArgumentException>(() => ml.Rnn().LanguageModel().Fit(data)).Message);
    }

    [Fact]
    public void WordModelTrainsFromATextColumnAndGeneratesWords()
    {
        var ml = new MLContext(1);
        var lines = _fixture.Corpus.Split('\n').Select(l => new TextRow { Text = l }).ToArray();
        using var model = ml.Rnn().LanguageModel(new LanguageModelOptions
        {
            Unit = TextUnit.Word, MinimumFrequency = 2, HiddenSize = 16, NumberOfLayers = 1, EmbeddingSize = 8, SequenceLength = 10, BatchSize = 16, Epochs = 6, LearningRate = 0.01, Seed = 2,
        }).Fit(ml.Data.LoadFromEnumerable(lines));

        Assert.Equal(TextUnit.Word, model.Unit);
        Assert.Equal(LanguageModelTrainer.UnknownWord, model.Vocabulary.TokenOf(model.Vocabulary.UnknownId));
        string text = model.Generate("the", 20, temperature: 0.8, seed: 1);
        Assert.Contains(" ", model.Vocabulary.Tokens);
        Assert.True(text.Contains(' ', StringComparison.Ordinal) || text.Contains('\n', StringComparison.Ordinal), $"no whitespace in '{text}'; vocabulary starts {string.Join("|", model.Vocabulary.Tokens.Take(10))}");
        // Adjacent generated words may run together when re-split ("the" + "cat" reads as "thecat"), so check the pieces are made of vocabulary words' characters only.
        var characters = model.Vocabulary.Tokens.SelectMany(t => t).ToHashSet();
        Assert.All(text, c => Assert.Contains(c, characters));
        // A word never seen in training maps to <unk> rather than failing.
        Assert.NotNull(model.Generate("zyzzyva the", 5, seed: 1));
    }

    private sealed class TextRow
    {
        public string Text { get; set; } = "";
    }
}
