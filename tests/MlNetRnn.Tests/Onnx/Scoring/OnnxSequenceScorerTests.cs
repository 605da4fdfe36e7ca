using Xunit;

namespace MlNetRnn.Tests.Onnx.Scoring;

/// <summary>Variable-length batched scoring: grouped by length, results in input order, equal to scoring each row alone and to TorchSharp.</summary>
public sealed class OnnxSequenceScorerTests
{
    private const int Vocabulary = 30;

    private static (byte[] Model, SequenceModelDescription Description, WeightSet Weights) TokenModel(SequencePooling pooling, RecurrentCellKind cell = RecurrentCellKind.Gru)
    {
        var arch = new RecurrentArchitecture(cell, 6, 8, 2, Bidirectional: pooling != SequencePooling.EveryStep);
        var description = new SequenceModelDescription(arch, pooling == SequencePooling.EveryStep ? Vocabulary : 3)
        {
            VocabularySize = Vocabulary, Pooling = pooling, Activation = HeadActivation.Softmax, UsesLengths = true,
        };
        var weights = RandomWeights.Create(arch, description.OutputSize, 17, vocabularySize: Vocabulary);
        return (SequenceOnnxExporter.Export(description, weights), description, weights);
    }

    private static long[][] Rows(int count, int maxLength, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, random.Next(1, maxLength + 1)).Select(_ => (long)random.Next(Vocabulary)).ToArray()).ToArray();
    }

    [Theory]
    [InlineData(SequencePooling.LastStep)]
    [InlineData(SequencePooling.Mean)]
    [InlineData(SequencePooling.EveryStep)]
    public void BatchedResultsEqualRowByRowResultsInInputOrder(SequencePooling pooling)
    {
        var (model, description, weights) = TokenModel(pooling);
        var rows = Rows(61, 40, 3);
        using var batched = new OnnxSequenceScorer(model, new OnnxScoringOptions { BatchSize = 8 });
        using var single = new OnnxSequenceScorer(model, new OnnxScoringOptions { BatchSize = 1 });

        var all = batched.Score(rows);

        Assert.Equal(rows.Length, all.Length);
        for (int r = 0; r < rows.Length; r++)
        {
            var alone = single.Score(new[] { rows[r] })[0];
            Assert.Equal(alone, all[r]); // bit for bit: padding and batch neighbours change nothing
            Assert.Equal((pooling == SequencePooling.EveryStep ? rows[r].Length : 1) * description.OutputSize, all[r].Length);
        }

        // And the numbers are the network's: TorchSharp on each row alone.
        foreach (int r in new[] { 0, 17, 60 })
        {
            var expected = SequenceParityGridTests.Torch(description with { UsesLengths = false }, weights, TestInput.Of("tokens", rows[r], new long[] { 1, rows[r].Length }), 1, rows[r].Length, null, null, null).Output;
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(all[r][i] - expected[i]) <= 1e-5 + 1e-4 * Math.Abs(expected[i]), $"row {r} value {i}: {all[r][i]} vs torch {expected[i]}");
        }
    }

    [Fact]
    public void DefaultOptionsRunOneIntraOpThreadAndScoreAsOnnxRuntimesDefaultThreadsDo()
    {
        // One thread is the default (recurrent steps are too small to split over threads); ONNX Runtime's own count stays one setting away.
        Assert.Equal(1, new OnnxScoringOptions().IntraOpThreads);
        var (model, _, _) = TokenModel(SequencePooling.Mean, RecurrentCellKind.Gru);
        var rows = Rows(300, 30, 5);
        using var oneThread = new OnnxSequenceScorer(model);
        using var defaultThreads = new OnnxSequenceScorer(model, new OnnxScoringOptions { IntraOpThreads = null });

        var expected = defaultThreads.Score(rows);
        var actual = oneThread.Score(rows);

        for (int r = 0; r < rows.Length; r++)
        for (int i = 0; i < expected[r].Length; i++)
            Assert.True(Math.Abs(actual[r][i] - expected[r][i]) <= 1e-6 + 1e-5 * Math.Abs(expected[r][i]), $"row {r} value {i}: {actual[r][i]} vs {expected[r][i]}");
    }

    [Fact]
    public void ConcurrentScoringFromEightThreadsEqualsSequential()
    {
        var (model, _, _) = TokenModel(SequencePooling.LastStep, RecurrentCellKind.Lstm);
        var rows = Rows(40, 30, 5);
        using var scorer = new OnnxSequenceScorer(model, new OnnxScoringOptions { BatchSize = 7 });
        var sequential = scorer.Score(rows);

        var results = new float[8][][];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t => results[t] = scorer.Score(rows));

        Assert.All(results, r => Assert.Equal(sequential, r));
    }

    [Fact]
    public void EmptyInputAndABatchSizeLargerThanTheData()
    {
        var (model, _, _) = TokenModel(SequencePooling.Mean);
        var rows = Rows(9, 12, 8);
        using var large = new OnnxSequenceScorer(model, new OnnxScoringOptions { BatchSize = 1000 });
        using var small = new OnnxSequenceScorer(model, new OnnxScoringOptions { BatchSize = 2 });

        Assert.Empty(large.Score(Array.Empty<long[]>()));
        Assert.Equal(small.Score(rows), large.Score(rows));
    }

    [Fact]
    public void FloatFeatureRowsOfDifferentLengths()
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.RnnTanh, 2, 5, 1, true);
        var description = new SequenceModelDescription(arch, 1) { UsesLengths = true, Pooling = SequencePooling.LastStep };
        var weights = RandomWeights.Create(arch, 1, 2);
        using var scorer = new OnnxSequenceScorer(SequenceOnnxExporter.Export(description, weights), new OnnxScoringOptions { BatchSize = 4 });
        var random = new Random(1);
        var rows = Enumerable.Range(0, 10).Select(i => Enumerable.Range(0, 2 * (1 + i % 5)).Select(_ => (float)random.NextDouble()).ToArray()).ToArray();

        var scored = scorer.Score(rows);
        var flat = new float[rows.Length];
        scorer.Score(rows.SelectMany(r => r).ToArray(), rows.Select(r => r.Length / 2).ToArray(), flat);
        Assert.Equal(scored.Select(r => r[0]), flat);

        for (int r = 0; r < rows.Length; r++)
        {
            int steps = rows[r].Length / 2;
            var expected = SequenceParityGridTests.Torch(description with { UsesLengths = false }, weights, TestInput.Of("input", rows[r], new long[] { 1, steps, 2 }), 1, steps, null, null, null).Output;
            Assert.True(Math.Abs(scored[r][0] - expected[0]) <= 1e-5 + 1e-4 * Math.Abs(expected[0]), $"row {r}");
        }
    }

    [Theory]
    [InlineData(SequencePooling.LastStep)]
    [InlineData(SequencePooling.EveryStep)]
    public void SpanCallsGiveTheArrayCallsResultsBackToBackAndAllocateNothingWhenWarm(SequencePooling pooling)
    {
        var (model, _, _) = TokenModel(pooling);
        var rows = Rows(45, 30, 11);
        using var scorer = new OnnxSequenceScorer(model, new OnnxScoringOptions { BatchSize = 8 });
        long[] ids = rows.SelectMany(r => r).ToArray();
        int[] lengths = rows.Select(r => r.Length).ToArray();
        var outputs = new float[lengths.Sum(scorer.ResultSize)];

        int written = scorer.Score(ids, lengths, outputs);

        Assert.Equal(outputs.Length, written);
        // Against each row scored alone (another batch size, so another grouping): back to back, in input order.
        using var alone = new OnnxSequenceScorer(model, new OnnxScoringOptions { BatchSize = 1 });
        Assert.Equal(rows.SelectMany(r => alone.Score(new[] { r })[0]).ToArray(), outputs);

        for (int i = 0; i < 3; i++)
            scorer.Score(ids, lengths, outputs); // warm: every batch shape's views exist, pooled scratch arrays are cached
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
            scorer.Score(ids, lengths, outputs);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{allocated} bytes allocated over 10 warm calls");
    }

    [Fact]
    public void SpanCallsCheckTheirLayout()
    {
        var (model, _, _) = TokenModel(SequencePooling.LastStep);
        using var scorer = new OnnxSequenceScorer(model);
        var outputs = new float[6];

        Assert.Contains("lengths add up to 3 steps", Assert.Throws<ArgumentException>(() => scorer.Score(new long[] { 1, 2, 3, 4 }, new[] { 1, 2 }, outputs)).Message);
        Assert.Contains("Row 1 needs values 1..4", Assert.Throws<ArgumentException>(() => scorer.Score(new long[] { 1, 2, 3 }, new[] { 1, 4 }, outputs)).Message);
        Assert.Contains("take 9 values; the output span holds 6", Assert.Throws<ArgumentException>(() => scorer.Score(new long[] { 1, 2, 3 }, new[] { 1, 1, 1 }, outputs)).Message);
        Assert.Contains("Row 1 holds token id 99", Assert.Throws<ArgumentException>(() => scorer.Score(new long[] { 1, 99 }, new[] { 1, 1 }, outputs)).Message);
        Assert.Equal(0, scorer.Score(ReadOnlySpan<long>.Empty, ReadOnlySpan<int>.Empty, outputs));
        Assert.Contains("LengthGroupingWindow must be between 1 and 1024 batches; got 0",
            Assert.Throws<ArgumentOutOfRangeException>(() => new OnnxSequenceScorer(model, new OnnxScoringOptions { LengthGroupingWindow = 0 })).Message);
        Assert.Contains("65536 × 32 is over 1,048,576",
            Assert.Throws<ArgumentOutOfRangeException>(() => new OnnxSequenceScorer(model, new OnnxScoringOptions { BatchSize = 65536, LengthGroupingWindow = 32 })).Message);
        Assert.Contains("No lengths were given, but the input holds 3 values", Assert.Throws<ArgumentException>(() => scorer.Score(new long[] { 1, 2, 3 }, ReadOnlySpan<int>.Empty, outputs)).Message);

        // MaxSteps truncates token input only; a features model refuses it when it is exported.
        var arch = new RecurrentArchitecture(RecurrentCellKind.Gru, 2, 3, 1, false);
        Assert.Contains("MaxSteps truncates token input", Assert.Throws<ArgumentOutOfRangeException>(() =>
            SequenceOnnxExporter.Export(new SequenceModelDescription(arch, 1) { MaxSteps = 4 }, RandomWeights.Create(arch, 1, 1))).Message);
    }

    [Fact]
    public void BadRowsAndModelsAreNamed()
    {
        var (model, _, _) = TokenModel(SequencePooling.LastStep);
        using var scorer = new OnnxSequenceScorer(model);

        Assert.Contains("Row 1 holds token id 99", Assert.Throws<ArgumentException>(() => scorer.Score(new[] { new long[] { 1 }, new long[] { 99 } })).Message);
        Assert.Contains("Row 0 has no steps", Assert.Throws<ArgumentException>(() => scorer.Score(new[] { Array.Empty<long>() })).Message);
        Assert.Contains("token ids", Assert.Throws<InvalidOperationException>(() => scorer.Score(new[] { new float[] { 1f } })).Message);

        var arch = new RecurrentArchitecture(RecurrentCellKind.Gru, 2, 3, 1, false);
        byte[] noLengths = SequenceOnnxExporter.Export(new SequenceModelDescription(arch, 1), RandomWeights.Create(arch, 1, 1));
        Assert.Contains("no 'lengths' input", Assert.Throws<InvalidDataException>(() => new OnnxSequenceScorer(noLengths)).Message);
    }
}

/// <summary>A stateful session refuses graphs whose state could not mean "the same sequence continues".</summary>
public sealed class OnnxStatefulSessionGuardTests
{
    [Theory]
    [InlineData(true, false, -1, "bidirectional")]
    [InlineData(false, true, -1, "'lengths' input")]
    [InlineData(false, false, 2, "begin token")]
    public void ModelsThatCannotBeSteppedAreRefusedWithTheReason(bool bidirectional, bool lengths, int beginToken, string reason)
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Gru, 4, 5, 1, bidirectional);
        var description = new SequenceModelDescription(arch, 6)
        {
            VocabularySize = 6, Pooling = SequencePooling.EveryStep, Activation = HeadActivation.Softmax, ExposesState = true, UsesLengths = lengths, BeginTokenId = beginToken,
        };
        byte[] model = SequenceOnnxExporter.Export(description, RandomWeights.Create(arch, 6, 1, vocabularySize: 6));

        Assert.Contains(reason, Assert.Throws<InvalidDataException>(() => new OnnxStatefulSession(model)).Message);
    }
}
