using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace MlNetRnn.Tests.Onnx.Scoring;

/// <summary>Batched ONNX Runtime scoring: same numbers as row-by-row, input order kept, thread-safe, allocation-free when warm.</summary>
public sealed class OnnxBatchScorerTests : IClassFixture<OnnxBatchScorerTests.TrainedForecaster>
{
    private readonly TrainedForecaster _fixture;

    public OnnxBatchScorerTests(TrainedForecaster fixture) => _fixture = fixture;

    /// <summary>One small trained forecaster shared by the tests of this class.</summary>
    public sealed class TrainedForecaster : IDisposable
    {
        public TrainedForecaster()
        {
            Ml = new MLContext(1);
            var series = TestData.Nottem();
            var options = ForecasterTestOptions.Small(RecurrentCellKind.Lstm, epochs: 2);
            options.LogTransform = false;
            Model = Ml.Rnn().Forecaster(options).Fit(TestData.AsView(Ml, series));
            Windows = Ml.Rnn().CreateWindows(TestData.AsView(Ml, series), "Value", 12, 3);
            Rows = Windows.GetColumn<float[]>("Features").ToArray();
        }

        public MLContext Ml { get; }

        public ForecasterTransformer Model { get; }

        public IDataView Windows { get; }

        public float[][] Rows { get; }

        public void Dispose() => Model.Dispose();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(1000)] // larger than the data (226 windows)
    public void BatchedResultsEqualRowByRowResultsExactlyAndInOrder(int batchSize)
    {
        using var scorer = _fixture.Model.CreateBatchScorer(new OnnxScoringOptions { BatchSize = batchSize });

        var batched = scorer.Score(_fixture.Rows);

        Assert.Equal(_fixture.Rows.Length, batched.Length);
        for (int i = 0; i < _fixture.Rows.Length; i++)
            Assert.Equal(_fixture.Model.Forecast(_fixture.Rows[i]), batched[i]); // Forecast runs one row per call
    }

    [Fact]
    public void LazyViewScoresInBatchesKeepsOtherColumnsAndMatchesMlNetsRowPath()
    {
        using var scorer = _fixture.Model.CreateBatchScorer(new OnnxScoringOptions { BatchSize = 16 });

        var view = scorer.Transform(_fixture.Windows, "Features", "Batched");
        var rowPath = _fixture.Model.Transform(_fixture.Windows).GetColumn<float[]>("Score").ToArray();

        Assert.Equal(_fixture.Windows.GetColumn<long>("WindowStart"), view.GetColumn<long>("WindowStart"));
        Assert.Equal(rowPath, view.GetColumn<float[]>("Batched").ToArray());
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 3), view.Schema["Batched"].Type);
    }

    [Fact]
    public void ConcurrentScoringFromEightThreadsEqualsSequential()
    {
        using var scorer = _fixture.Model.CreateBatchScorer(new OnnxScoringOptions { BatchSize = 32 });
        var sequential = scorer.Score(_fixture.Rows);

        var results = new float[8][][];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            // Each thread scores a rotated copy so threads are in different batches at the same time.
            var rotated = _fixture.Rows.Skip(t * 5).Concat(_fixture.Rows.Take(t * 5)).ToArray();
            var scored = Array.Empty<float[]>();
            for (int repeat = 0; repeat < 3; repeat++)
                scored = scorer.Score(rotated);
            results[t] = scored.Skip(_fixture.Rows.Length - t * 5).Concat(scored.Take(_fixture.Rows.Length - t * 5)).ToArray();
        });

        foreach (var result in results)
            Assert.Equal(sequential, result);
    }

    [Fact]
    public void EmptyInputGivesEmptyOutput()
    {
        using var scorer = _fixture.Model.CreateBatchScorer();
        var ml = _fixture.Ml;

        Assert.Empty(scorer.Score(Array.Empty<float[]>()));
        scorer.Score(ReadOnlySpan<float>.Empty, Span<float>.Empty);
        var emptyWindows = ml.Data.SkipRows(_fixture.Windows, 100000);
        Assert.Empty(scorer.Transform(emptyWindows, "Features", "Batched").GetColumn<float[]>("Batched"));
    }

    [Fact]
    public void WarmScoringAllocatesNothingOnTheManagedHeap()
    {
        using var scorer = _fixture.Model.CreateBatchScorer(new OnnxScoringOptions { BatchSize = 32 });
        var inputs = _fixture.Rows.SelectMany(r => r).ToArray();
        var outputs = new float[_fixture.Rows.Length * scorer.OutputWidth];
        scorer.Score(inputs, outputs); // warm-up: creates the pinned buffers and tensor views

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
            scorer.Score(inputs, outputs);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated == 0, $"{allocated} bytes allocated over 20 warm calls of {_fixture.Rows.Length} rows");
    }

    [Fact]
    public void OptionsAreCopiedWhenTheScorerIsCreated()
    {
        var options = new OnnxScoringOptions { BatchSize = 8 };
        using var scorer = _fixture.Model.CreateBatchScorer(options);
        options.BatchSize = 0; // would loop forever if the scorer kept reading it

        Assert.Equal(8, scorer.BatchSize);
        Assert.Equal(_fixture.Rows.Length, scorer.Score(_fixture.Rows).Length);
    }

    [Fact]
    public void NonFiniteInputIsRejectedWithRowAndSlot()
    {
        using var scorer = _fixture.Model.CreateBatchScorer();
        var rows = _fixture.Rows.Take(3).Select(r => (float[])r.Clone()).ToArray();
        rows[2][5] = float.NaN;

        var ex = Assert.Throws<ArgumentException>(() => scorer.Score(rows));

        Assert.Contains("row 2, slot 5", ex.Message);
    }

    [Fact]
    public void LogModelsScorerRejectsNonPositiveInputLikeForecastDoes()
    {
        var ml = new MLContext(1);
        using var model = ml.Rnn().Forecaster(ForecasterTestOptions.Small(epochs: 1)).Fit(TestData.AsView(ml, TestData.AirPassengers()));
        using var scorer = model.CreateBatchScorer();
        var row = TestData.AirPassengers()[..12];
        row[4] = 0;

        var ex = Assert.Throws<ArgumentException>(() => scorer.Score(new[] { row }));

        Assert.Contains("row 0, slot 4", ex.Message);
        Assert.Contains("> 0", ex.Message);
    }

    [Fact]
    public void AViewThatChangesBetweenPassesIsDetectedInsteadOfMisaligned()
    {
        var ml = new MLContext(1);
        int pass = 0;
        IEnumerable<WindowRow> Rows()
        {
            int count = pass++ == 0 ? 40 : 20; // the second pass (the look-ahead cursor) sees fewer rows
            for (int i = 0; i < count; i++)
                yield return new WindowRow { Features = _fixture.Rows[i] };
        }
        var definition = SchemaDefinition.Create(typeof(WindowRow));
        definition[nameof(WindowRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 12);
        var changing = ml.Data.LoadFromEnumerable(Rows(), definition);
        using var scorer = _fixture.Model.CreateBatchScorer(new OnnxScoringOptions { BatchSize = 16 });

        var ex = Assert.Throws<InvalidOperationException>(() => scorer.Transform(changing, "Features", "Batched").GetColumn<float[]>("Batched").ToArray());

        Assert.Contains("second pass", ex.Message);
    }

    [Fact]
    public void GetterBeforeMoveNextIsAnError()
    {
        using var scorer = _fixture.Model.CreateBatchScorer();
        var view = scorer.Transform(_fixture.Windows, "Features", "Batched");
        using var cursor = view.GetRowCursor(view.Schema);
        var getter = cursor.GetGetter<VBuffer<float>>(view.Schema["Batched"]);
        VBuffer<float> value = default;

        Assert.Throws<InvalidOperationException>(() => getter(ref value));
        Assert.True(cursor.MoveNext());
        getter(ref value);
        Assert.Equal(3, value.Length);
        Assert.True(cursor.IsColumnActive(view.Schema["Batched"]));
    }

    public sealed class WindowRow
    {
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    [Fact]
    public void BadShapesAndOptionsAreNamed()
    {
        using var scorer = _fixture.Model.CreateBatchScorer();

        var row = Assert.Throws<ArgumentException>(() => scorer.Score(new[] { new float[11] }));
        var whole = Assert.Throws<ArgumentException>(() => scorer.Score(new float[13], new float[3]));
        var column = Assert.Throws<ArgumentException>(() => scorer.Transform(_fixture.Windows, "Label", "X"));
        var batch = Assert.Throws<ArgumentOutOfRangeException>(() => _fixture.Model.CreateBatchScorer(new OnnxScoringOptions { BatchSize = 0 }));
        var cuda = Assert.Throws<InvalidOperationException>(() => _fixture.Model.CreateBatchScorer(new OnnxScoringOptions { Device = ExecutionDevice.Cuda(0) }));

        Assert.Contains("Row 0 has 11 values", row.Message);
        Assert.Contains("13 values", whole.Message);
        Assert.Contains("'Label'", column.Message);
        Assert.Equal("BatchSize", batch.ParamName);
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu", cuda.Message);
    }
}
