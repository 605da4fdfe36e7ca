using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Transforms;
using Xunit;

namespace MlNetRnn.Tests.Transforms.Series;

public sealed class SlidingWindowsTests
{
    [Fact]
    public void BuildProducesEveryCompleteWindowWithItsFollowingTargets()
    {
        float[] series = { 1, 2, 3, 4, 5, 6 };

        var (inputs, targets, count) = SlidingWindows.Build(series, window: 3, horizon: 2);

        Assert.Equal(2, count); // 6 - 3 - 2 + 1
        Assert.Equal(new float[] { 1, 2, 3, 2, 3, 4 }, inputs);
        Assert.Equal(new float[] { 4, 5, 5, 6 }, targets);
    }

    [Theory]
    [InlineData(0, 1, "window")]
    [InlineData(-3, 1, "window")]
    [InlineData(3, 0, "horizon")]
    [InlineData(3, -1, "horizon")]
    public void NonPositiveWindowOrHorizonIsRejectedByName(int window, int horizon, string parameter)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => SlidingWindows.Build(new float[10], window, horizon));
        Assert.Equal(parameter, ex.ParamName);
    }

    [Fact]
    public void SeriesShorterThanWindowPlusHorizonNamesBothSizes()
    {
        var ex = Assert.Throws<ArgumentException>(() => SlidingWindows.Build(new float[4], 3, 2, "series column 'Sales'"));
        Assert.Contains("'Sales'", ex.Message);
        Assert.Contains("4 values", ex.Message);
        Assert.Contains("3 + 2 = 5", ex.Message);
    }

    [Fact]
    public void WindowsViewHasOneRowPerWindowWithFixedSizeVectorColumns()
    {
        var ml = new MLContext(1);
        var series = TestData.AsView(ml, Enumerable.Range(1, 10).Select(i => (float)i));

        var windows = SeriesWindowing.CreateWindows(ml, series, "Value", window: 4, horizon: 3, "X", "Y");

        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 4), windows.Schema["X"].Type);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 3), windows.Schema["Y"].Type);
        var x = windows.GetColumn<float[]>("X").ToArray();
        var y = windows.GetColumn<float[]>("Y").ToArray();
        var start = windows.GetColumn<long>(SeriesWindowing.WindowStartColumnName).ToArray();
        Assert.Equal(4, x.Length); // 10 - 4 - 3 + 1
        Assert.Equal(new float[] { 4, 5, 6, 7 }, x[3]);
        Assert.Equal(new float[] { 8, 9, 10 }, y[3]);
        Assert.Equal(new long[] { 0, 1, 2, 3 }, start);
    }

    [Fact]
    public void WindowingRejectsNaNWithTheRowNumber()
    {
        var ml = new MLContext(1);
        var series = TestData.AsView(ml, new[] { 1f, 2f, float.NaN, 4f, 5f });

        var ex = Assert.Throws<ArgumentException>(() => SeriesWindowing.CreateWindows(ml, series, "Value", 2, 1));

        Assert.Contains("row 2", ex.Message);
        Assert.Contains("'Value'", ex.Message);
    }

    [Fact]
    public void DenseBatchReaderStreamsFixedSizeBatchesAndAPartialLastOne()
    {
        var ml = new MLContext(1);
        var windows = SeriesWindowing.CreateWindows(ml, Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 3, 1);

        var batches = DenseBatchReader.ReadBatches(windows, "Features", 3, "Label", 1, batchSize: 4).ToList();

        Assert.Equal(new[] { 4, 4, 1 }, batches.Select(b => b.Rows));
        Assert.Equal(new float[] { 8, 9, 10 }, batches[2].Features.AsSpan(0, 3).ToArray());
        Assert.Equal(11f, batches[2].Labels![0]);
    }

    [Fact]
    public void DenseBatchReaderRejectsWrongVectorSizeNamingColumnAndSize()
    {
        var ml = new MLContext(1);
        var windows = SeriesWindowing.CreateWindows(ml, new float[] { 1, 2, 3, 4, 5 }, 3, 1);

        var ex = Assert.Throws<ArgumentException>(() => DenseBatchReader.ReadAll(windows, "Features", 5, null, 0));

        Assert.Contains("'Features'", ex.Message);
        Assert.Contains("5 values", ex.Message);
    }
}
