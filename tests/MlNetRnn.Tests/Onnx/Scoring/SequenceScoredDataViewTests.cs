using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace MlNetRnn.Tests.Onnx.Scoring;

/// <summary>
/// The lazy IDataView path of <see cref="OnnxSequenceScorer"/>: windows read ahead, sorted by length, scored in batches and handed back in
/// input order; every result equals scoring the row alone.
/// </summary>
public sealed class SequenceScoredDataViewTests
{
    private const int Vocabulary = 30;
    private readonly MLContext _ml = new(seed: 1);

    private sealed class IdRow
    {
        [VectorType]
        public long[] Ids { get; set; } = Array.Empty<long>();

        public int Number { get; set; }
    }

    private sealed class IntIdRow
    {
        [VectorType]
        public int[] Ids { get; set; } = Array.Empty<int>();
    }

    private sealed class TokenRow
    {
        [VectorType]
        public string[] Tokens { get; set; } = Array.Empty<string>();
    }

    private sealed class FeatureRow
    {
        [VectorType]
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    private static byte[] TokenModel(SequencePooling pooling, int outputs, bool predictedIndex = false, RecurrentCellKind cell = RecurrentCellKind.Gru)
    {
        var arch = new RecurrentArchitecture(cell, 6, 8, 2, Bidirectional: pooling != SequencePooling.EveryStep);
        var description = new SequenceModelDescription(arch, outputs)
        {
            VocabularySize = Vocabulary, Pooling = pooling, Activation = HeadActivation.Softmax, UsesLengths = true, PredictedIndexOutput = predictedIndex,
        };
        return SequenceOnnxExporter.Export(description, RandomWeights.Create(arch, outputs, 17, vocabularySize: Vocabulary));
    }

    private static long[][] Rows(int count, int maxLength, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, random.Next(1, maxLength + 1)).Select(_ => (long)random.Next(Vocabulary)).ToArray()).ToArray();
    }

    private static float[][] Column(IDataView view, string name)
    {
        var results = new List<float[]>();
        using var cursor = view.GetRowCursor(new[] { view.Schema[name] });
        var getter = cursor.GetGetter<VBuffer<float>>(view.Schema[name]);
        var value = default(VBuffer<float>);
        while (cursor.MoveNext())
        {
            getter(ref value);
            results.Add(value.DenseValues().ToArray());
        }
        return results.ToArray();
    }

    [Theory]
    [InlineData(SequencePooling.LastStep, 8, 3)]
    [InlineData(SequencePooling.Mean, 5, 1)]
    [InlineData(SequencePooling.EveryStep, 4, 4)]
    [InlineData(SequencePooling.Mean, 1000, 4)] // a batch larger than the data
    public void ViewResultsEqualEachRowScoredAloneInInputOrder(SequencePooling pooling, int batchSize, int window)
    {
        byte[] model = TokenModel(pooling, pooling == SequencePooling.EveryStep ? Vocabulary : 3);
        var rows = Rows(61, 40, 3);
        using var scorer = new OnnxSequenceScorer(model, new OnnxScoringOptions { BatchSize = batchSize, LengthGroupingWindow = window });
        using var alone = new OnnxSequenceScorer(model, new OnnxScoringOptions { BatchSize = 1 });
        var data = _ml.Data.LoadFromEnumerable(rows.Select((r, i) => new IdRow { Ids = r, Number = i }));

        var view = scorer.Transform(data, "Ids", "Scores");
        var scores = Column(view, "Scores");

        Assert.Equal(rows.Length, scores.Length);
        for (int r = 0; r < rows.Length; r++)
            Assert.Equal(alone.Score(new[] { rows[r] })[0], scores[r]); // bit for bit, whatever the row's batch neighbours
        // The input columns pass through in order, and the output column's type says what it holds.
        Assert.Equal(Enumerable.Range(0, rows.Length), view.GetColumn<int>("Number"));
        var type = (VectorDataViewType)view.Schema["Scores"].Type;
        Assert.Equal(pooling == SequencePooling.EveryStep ? 0 : 3, type.Size);
    }

    [Theory]
    [InlineData(SequencePooling.Mean)]
    [InlineData(SequencePooling.EveryStep)]
    public void ALongTailOfLengthsIsScoredInSmallerBatchesWithTheSameResults(SequencePooling pooling)
    {
        // Mostly short rows and a few long ones, as in review sentences: the long rows' batches are cut short so the short rows
        // next to them are not padded to the longest; every row still gets its own result, in input order.
        byte[] model = TokenModel(pooling, pooling == SequencePooling.EveryStep ? Vocabulary : 3);
        var random = new Random(7);
        var rows = Enumerable.Range(0, 150).Select(i => Enumerable.Range(0, i % 10 == 0 ? random.Next(40, 80) : random.Next(1, 6))
            .Select(_ => (long)random.Next(Vocabulary)).ToArray()).ToArray();
        using var scorer = new OnnxSequenceScorer(model, new OnnxScoringOptions { BatchSize = 16, LengthGroupingWindow = 4 });
        using var alone = new OnnxSequenceScorer(model, new OnnxScoringOptions { BatchSize = 1 });
        var data = _ml.Data.LoadFromEnumerable(rows.Select((r, i) => new IdRow { Ids = r, Number = i }));

        var scores = Column(scorer.Transform(data, "Ids", "Scores"), "Scores");

        Assert.Equal(rows.Length, scores.Length);
        for (int r = 0; r < rows.Length; r++)
            Assert.Equal(alone.Score(new[] { rows[r] })[0], scores[r]);
    }

    [Fact]
    public void Int32IdsStringTokensAndFeaturesAreRead()
    {
        byte[] idModel = TokenModel(SequencePooling.LastStep, 3);
        var rows = Rows(20, 12, 5);
        using var ids = new OnnxSequenceScorer(idModel, new OnnxScoringOptions { BatchSize = 4 });
        var intData = _ml.Data.LoadFromEnumerable(rows.Select(r => new IntIdRow { Ids = r.Select(v => (int)v).ToArray() }));
        Assert.Equal(ids.Score(rows), Column(ids.Transform(intData, "Ids", "P"), "P"));

        // String tokens through an in-graph vocabulary, with truncation and a begin token (so an empty row is allowed).
        string[] vocabulary = { "<pad>", "<unk>", "<s>", "the", "film", "was", "great", "bad", "not", "plot" };
        var arch = new RecurrentArchitecture(RecurrentCellKind.Lstm, 4, 6, 1, true);
        var description = new SequenceModelDescription(arch, 2)
        {
            VocabularySize = vocabulary.Length, TokenStrings = vocabulary, UnknownTokenId = 1, BeginTokenId = 2, MaxSteps = 6, UsesLengths = true,
            Pooling = SequencePooling.Mean, Activation = HeadActivation.Softmax,
        };
        using var strings = new OnnxSequenceScorer(SequenceOnnxExporter.Export(description, RandomWeights.Create(arch, 2, 4, vocabularySize: vocabulary.Length)),
            new OnnxScoringOptions { BatchSize = 3 });
        var random = new Random(2);
        var texts = Enumerable.Range(0, 17).Select(i => Enumerable.Range(0, i % 9).Select(_ => random.Next(4) == 0 ? "zzz" : vocabulary[random.Next(3, vocabulary.Length)]).ToArray()).ToArray();
        Assert.Equal(strings.Score(texts), Column(strings.Transform(_ml.Data.LoadFromEnumerable(texts.Select(t => new TokenRow { Tokens = t })), "Tokens", "P"), "P"));

        // Float features, two per step, rows of different lengths.
        var featureArch = new RecurrentArchitecture(RecurrentCellKind.Gru, 2, 5, 1, false);
        using var features = new OnnxSequenceScorer(SequenceOnnxExporter.Export(new SequenceModelDescription(featureArch, 1) { UsesLengths = true }, RandomWeights.Create(featureArch, 1, 3)),
            new OnnxScoringOptions { BatchSize = 2 });
        var series = Enumerable.Range(0, 9).Select(i => Enumerable.Range(0, 2 * (1 + i % 4)).Select(_ => (float)random.NextDouble()).ToArray()).ToArray();
        var featureData = _ml.Data.LoadFromEnumerable(series.Select(s => new FeatureRow { Features = s }));
        Assert.Equal(features.Score(series), Column(features.Transform(featureData, "Features", "Y"), "Y"));

        // ONNX Runtime's plain-RNN kernel is not bit-stable across batch compositions (the view and the array call group these rows
        // differently), so for it the two agree to float rounding rather than bit for bit.
        var rnnArch = featureArch with { Cell = RecurrentCellKind.RnnTanh };
        using var rnn = new OnnxSequenceScorer(SequenceOnnxExporter.Export(new SequenceModelDescription(rnnArch, 1) { UsesLengths = true }, RandomWeights.Create(rnnArch, 1, 3)),
            new OnnxScoringOptions { BatchSize = 2 });
        var expected = rnn.Score(series);
        var actual = Column(rnn.Transform(featureData, "Features", "Y"), "Y");
        for (int r = 0; r < series.Length; r++)
            Assert.True(Math.Abs(expected[r][0] - actual[r][0]) <= 1e-6 * Math.Max(1, Math.Abs(expected[r][0])), $"row {r}: {actual[r][0]} vs {expected[r][0]}");
    }

    [Fact]
    public void BeginTokenTruncationAndEveryStepAgreeWithTheGraphRunOnEachFullRow()
    {
        // Every-step head, a begin token (so empty rows are allowed and each result has one more step) and MaxSteps: the scorer feeds
        // only the first MaxSteps ids, the graph would drop the rest itself; a raw session on each untruncated row is the reference.
        const int maxSteps = 7;
        var arch = new RecurrentArchitecture(RecurrentCellKind.Lstm, 5, 6, 1, false);
        var description = new SequenceModelDescription(arch, Vocabulary)
        {
            VocabularySize = Vocabulary, Pooling = SequencePooling.EveryStep, Activation = HeadActivation.Softmax, UsesLengths = true, BeginTokenId = 2, MaxSteps = maxSteps,
        };
        byte[] model = SequenceOnnxExporter.Export(description, RandomWeights.Create(arch, Vocabulary, 8, vocabularySize: Vocabulary));
        var random = new Random(12);
        var rows = Enumerable.Range(0, 23).Select(i => Enumerable.Range(0, i % 4 == 0 ? 0 : random.Next(1, 15)).Select(_ => (long)random.Next(Vocabulary)).ToArray()).ToArray();
        using var scorer = new OnnxSequenceScorer(model, new OnnxScoringOptions { BatchSize = 4, LengthGroupingWindow = 2 });
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(model);

        var view = Column(scorer.Transform(_ml.Data.LoadFromEnumerable(rows.Select(r => new IdRow { Ids = r })), "Ids", "P"), "P");
        var arrays = scorer.Score(rows);
        var flat = new float[rows.Sum(r => scorer.ResultSize(r.Length))];
        scorer.Score(rows.SelectMany(r => r).ToArray(), rows.Select(r => r.Length).ToArray(), flat);

        int offset = 0;
        for (int r = 0; r < rows.Length; r++)
        {
            var full = rows[r].Length == 0 ? new long[] { 0 } : rows[r];
            using var ids = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(full, new long[] { 1, full.Length });
            using var length = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(new[] { rows[r].Length }, new long[] { 1 });
            using var results = session.Run(new Microsoft.ML.OnnxRuntime.RunOptions(), new[] { "tokens", "lengths" }, new[] { ids, length }, new[] { "probabilities" });
            // The graph's valid steps: the begin token, then at most MaxSteps ids (an empty row's padding id is past its length).
            var expected = results[0].GetTensorDataAsSpan<float>()[..((Math.Min(rows[r].Length, maxSteps) + 1) * Vocabulary)].ToArray();
            Assert.Equal(expected, view[r]);
            Assert.Equal(expected, arrays[r]);
            Assert.Equal(expected, flat.AsSpan(offset, expected.Length).ToArray());
            offset += expected.Length;
        }
    }

    [Fact]
    public void AViewThatShrinksBetweenPassesIsReportedAndTheCursorStops()
    {
        using var scorer = new OnnxSequenceScorer(TokenModel(SequencePooling.LastStep, 3), new OnnxScoringOptions { BatchSize = 2, LengthGroupingWindow = 1 });
        var rows = Rows(6, 5, 2);
        int passes = 0;
        // Each enumeration is one pass; the second (the read-ahead cursor) gives only 3 of the 6 rows.
        IEnumerable<IdRow> Source()
        {
            int take = passes++ == 0 ? rows.Length : 3;
            foreach (var r in rows.Take(take))
                yield return new IdRow { Ids = r };
        }
        var view = scorer.Transform(_ml.Data.LoadFromEnumerable(Source()), "Ids", "P");
        var column = view.Schema["P"];
        using var cursor = view.GetRowCursor(new[] { column });

        for (int i = 0; i < 3; i++)
            Assert.True(cursor.MoveNext());
        Assert.Contains("ended early on its second pass (at row 3)", Assert.Throws<InvalidOperationException>(() => cursor.MoveNext()).Message);
        Assert.Contains("open a new cursor", Assert.Throws<InvalidOperationException>(() => cursor.MoveNext()).Message);
    }

    [Fact]
    public void TheScorerCacheKeepsOneScorerPerSettingAndReleasesThemAll()
    {
        byte[] model = TokenModel(SequencePooling.LastStep, 3);
        int made = 0;
        var cache = ScorerCache.Sequence(() => { made++; return model; });
        var a = cache.Get(new OnnxScoringOptions { BatchSize = 8 }, this);
        Assert.Same(a, cache.Get(new OnnxScoringOptions { BatchSize = 8 }, this));
        var b = cache.Get(null, this);
        Assert.NotSame(a, b);
        Assert.Equal(1, made); // the model bytes are made once

        cache.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cache.Get(null, this));
        Assert.Throws<ObjectDisposedException>(() => a.Score(new[] { new long[] { 1 } }));
    }

    [Fact]
    public void AnOutputNamedTwiceIsRefused()
    {
        using var scorer = new OnnxSequenceScorer(TokenModel(SequencePooling.LastStep, 3));
        var data = _ml.Data.LoadFromEnumerable(new[] { new IdRow { Ids = new long[] { 1 } } });
        Assert.Contains("named twice", Assert.Throws<ArgumentException>(() =>
            scorer.Transform(data, "Ids", new[] { new KeyValuePair<string, string>("probabilities", "A"), new("probabilities", "B") })).Message);
    }

    [Fact]
    public void SeveralOutputsComeOutWithOnnxTransformerShapes()
    {
        byte[] model = TokenModel(SequencePooling.LastStep, 4, predictedIndex: true);
        var rows = Rows(25, 10, 9);
        using var scorer = new OnnxSequenceScorer(model, new OnnxScoringOptions { BatchSize = 6 });
        Assert.Equal(new[] { "logits", "probabilities", "predicted_index" }, scorer.OutputNames);
        var data = _ml.Data.LoadFromEnumerable(rows.Select(r => new IdRow { Ids = r }));

        var view = scorer.Transform(data, "Ids", new[] { new KeyValuePair<string, string>("probabilities", "P"), new("predicted_index", "Index") });

        Assert.Equal(new VectorDataViewType(NumberDataViewType.Int64, 1), view.Schema["Index"].Type);
        var probabilities = Column(view, "P");
        var index = view.GetColumn<long[]>("Index").ToArray();
        Assert.Equal(scorer.Score(rows), probabilities);
        for (int r = 0; r < rows.Length; r++)
            Assert.Equal(Array.IndexOf(probabilities[r], probabilities[r].Max()), index[r][0]);
    }

    [Fact]
    public void EmptyInputGivesAnEmptyViewAndConcurrentCursorsAgree()
    {
        using var scorer = new OnnxSequenceScorer(TokenModel(SequencePooling.Mean, 3), new OnnxScoringOptions { BatchSize = 5 });
        Assert.Empty(Column(scorer.Transform(_ml.Data.LoadFromEnumerable(Array.Empty<IdRow>()), "Ids", "P"), "P"));

        var rows = Rows(48, 20, 6);
        var view = scorer.Transform(_ml.Data.LoadFromEnumerable(rows.Select(r => new IdRow { Ids = r })), "Ids", "P");
        var sequential = Column(view, "P");
        var results = new float[8][][];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t => results[t] = Column(view, "P"));
        Assert.All(results, r => Assert.Equal(sequential, r));
    }

    [Fact]
    public void BadColumnsAndRowsAreNamed()
    {
        using var scorer = new OnnxSequenceScorer(TokenModel(SequencePooling.LastStep, 3));
        var features = _ml.Data.LoadFromEnumerable(new[] { new FeatureRow { Features = new[] { 1f } } });
        Assert.Contains("'Features' is Vector<Single>", Assert.Throws<ArgumentException>(() => scorer.Transform(features, "Features", "P")).Message);
        Assert.Contains("'Missing' is not in the data", Assert.Throws<ArgumentException>(() => scorer.Transform(features, "Missing", "P")).Message);
        Assert.Contains("no output 'nope'", Assert.Throws<ArgumentException>(() =>
            scorer.Transform(features, "Features", new[] { new KeyValuePair<string, string>("nope", "P") })).Message);

        var rows = new[] { new IdRow { Ids = new long[] { 1, 2 } }, new IdRow { Ids = new long[] { 3, 99 } } };
        var view = scorer.Transform(_ml.Data.LoadFromEnumerable(rows), "Ids", "P");
        Assert.Contains("Row 1 of column 'Ids' holds token id 99", Assert.Throws<ArgumentException>(() => Column(view, "P")).Message);
        var empty = scorer.Transform(_ml.Data.LoadFromEnumerable(new[] { new IdRow { Ids = new long[] { 1 } }, new IdRow() }), "Ids", "P");
        Assert.Contains("Row 1 of column 'Ids' has no steps", Assert.Throws<ArgumentException>(() => Column(empty, "P")).Message);
    }

    [Fact]
    public void WarmWindowsOfEqualLengthRowsAllocateNothingBeyondTheInputViewsOwn()
    {
        // 16 windows of 4 batches of 8 rows of 12 steps; the first window warms the buffers.
        var random = new Random(4);
        var rows = Enumerable.Range(0, 16 * 32).Select(_ => Enumerable.Range(0, 12).Select(_ => (long)random.Next(Vocabulary)).ToArray()).ToArray();
        // Rows built up front, so reading the input view allocates as little as ML.NET's cursor does.
        var data = _ml.Data.LoadFromEnumerable(rows.Select(r => new IdRow { Ids = r }).ToArray());
        using var scorer = new OnnxSequenceScorer(TokenModel(SequencePooling.LastStep, 3), new OnnxScoringOptions { BatchSize = 8, LengthGroupingWindow = 4 });
        var view = scorer.Transform(data, "Ids", "P");

        long scored = AllocatedAfterFirstWindow(view, view.Schema["P"], 32);
        long inputOnly = AllocatedAfterFirstWindow(data, data.Schema["Ids"], 32);

        // The view reads the input twice (the read-ahead cursor and the main one); anything beyond that would be the scorer's.
        Assert.True(scored <= 2 * inputOnly, $"the scored view allocated {scored} bytes over 15 warm windows; reading the input alone allocates {inputOnly}");
    }

    private static long AllocatedAfterFirstWindow(IDataView view, DataViewSchema.Column column, int window)
    {
        using var cursor = view.GetRowCursor(new[] { column });
        var floats = default(VBuffer<float>);
        var longs = default(VBuffer<long>);
        ValueGetter<VBuffer<float>>? floatGetter = ((VectorDataViewType)column.Type).ItemType == NumberDataViewType.Single ? cursor.GetGetter<VBuffer<float>>(column) : null;
        ValueGetter<VBuffer<long>>? longGetter = floatGetter is null ? cursor.GetGetter<VBuffer<long>>(column) : null;
        void Read()
        {
            if (floatGetter is not null)
                floatGetter(ref floats);
            else
                longGetter!(ref longs);
        }
        for (int i = 0; i < window && cursor.MoveNext(); i++)
            Read();
        long before = GC.GetAllocatedBytesForCurrentThread();
        while (cursor.MoveNext())
            Read();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
