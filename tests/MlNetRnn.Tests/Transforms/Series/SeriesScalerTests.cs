using MlNetRnn.Transforms;
using Xunit;

namespace MlNetRnn.Tests.Transforms.Series;

public sealed class SeriesScalerTests
{
    [Fact]
    public void MinMaxMapsTrainingRangeToUnitInterval()
    {
        var scaler = SeriesScaler.Fit(new float[] { 10, 20, 30 }, SeriesScalingKind.MinMax, log: false);

        Assert.Equal(0f, scaler.Transform(10));
        Assert.Equal(0.5f, scaler.Transform(20));
        Assert.Equal(1f, scaler.Transform(30));
        Assert.Equal(1.5f, scaler.Transform(40)); // extrapolates linearly
    }

    [Fact]
    public void StandardScalingUsesPopulationMeanAndStd()
    {
        var scaler = SeriesScaler.Fit(new float[] { 2, 4, 4, 4, 5, 5, 7, 9 }, SeriesScalingKind.Standard, log: false);

        Assert.Equal(5f, scaler.Center, 6);
        Assert.Equal(2f, scaler.Scale, 6); // the textbook population std of this sample
        Assert.Equal(-1.5f, scaler.Transform(2), 6);
    }

    [Fact]
    public void LogTransformIsAppliedBeforeScalingAndInvertedAfter()
    {
        float[] values = { 1, MathF.E, MathF.E * MathF.E };
        var scaler = SeriesScaler.Fit(values, SeriesScalingKind.MinMax, log: true);

        Assert.Equal(0f, scaler.Center, 6);
        Assert.Equal(2f, scaler.Scale, 5);
        Assert.Equal(0.5f, scaler.Transform(MathF.E), 5);
        foreach (float v in new[] { 0.3f, 1f, 112f, 622f })
            Assert.Equal(v, scaler.Inverse(scaler.Transform(v)), v * 1e-5f);
    }

    [Fact]
    public void ConstantSeriesGetsUnitScaleInsteadOfDivisionByZero()
    {
        var scaler = SeriesScaler.Fit(new float[] { 3, 3, 3 }, SeriesScalingKind.Standard, log: false);

        Assert.Equal(1f, scaler.Scale);
        Assert.Equal(0f, scaler.Transform(3));
    }

    [Fact]
    public void LogOfNonPositiveValueIsRejectedWithPositionAndValue()
    {
        var ex = Assert.Throws<ArgumentException>(() => SeriesScaler.Fit(new float[] { 1, 2, 0, 4 }, SeriesScalingKind.Standard, log: true, "series column 'Sales'"));

        Assert.Contains("position 2", ex.Message);
        Assert.Contains("'Sales'", ex.Message);
    }

    [Fact]
    public void InfinityIsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => SeriesScaler.Fit(new float[] { 1, float.PositiveInfinity }, SeriesScalingKind.MinMax, log: false));
        Assert.Contains("position 1", ex.Message);
    }
}
