using Xunit;

namespace MlNetRnn.Tests.Trainers.Forecasting;

/// <summary>Split-conformal bands against hand-computed ranks.</summary>
public sealed class ConformalIntervalTests
{
    [Fact]
    public void BandsAreTheRankCorrectedQuantileOfEachStepsAbsoluteResiduals()
    {
        // 9 rows, horizon 2, coverage 0.8: rank ceil(10 · 0.8) = 8 of the 9 sorted absolute residuals.
        float[] step0 = { -4, -3, -2, -1, 0, 1, 2, 3, 5 };     // |·| sorted: 0 1 1 2 2 3 3 4 5 → 8th is 4
        float[] step1 = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };         // all positive: the band is still two-sided, 8th is 8
        var residuals = step0.Zip(step1).SelectMany(p => new[] { p.First, p.Second }).ToArray();

        var band = ConformalInterval.FromResiduals(residuals, 2, 0.8);

        Assert.Equal(new[] { -4f, -8f }, band.Lower);
        Assert.Equal(new[] { 4f, 8f }, band.Upper);
        Assert.Equal(new[] { -6f, -12f }, ConformalInterval.FromResiduals(residuals, 2, 0.8, widening: 1.5).Lower);
    }

    [Fact]
    public void WithFewRowsTheLargestResidualIsTheBound()
    {
        // 3 rows at coverage 0.8: rank ceil(4 · 0.8) = 4 > 3, so the largest |residual| bounds the band.
        var band = ConformalInterval.FromResiduals(new float[] { 0.5f, -2f, 1f }, 1, 0.8);

        Assert.Equal(-2f, band.Lower[0]);
        Assert.Equal(2f, band.Upper[0]);
        Assert.Equal(0.8, band.Coverage);
    }

    [Fact]
    public void NoResidualsIsAnError() =>
        Assert.Throws<ArgumentException>(() => ConformalInterval.FromResiduals(Array.Empty<float>(), 3, 0.8));
}
