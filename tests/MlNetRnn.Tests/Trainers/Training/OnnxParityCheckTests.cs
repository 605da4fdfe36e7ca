using Xunit;

namespace MlNetRnn.Tests.Trainers.Training;

public sealed class OnnxParityCheckTests
{
    [Fact]
    public void ValuesWithinAbsolutePlusRelativeTolerancePass()
    {
        float[] reference = { 0f, 1f, -500f };
        float[] actual = { 9e-6f, 1f + 9e-5f, -500.05f };

        var report = OnnxParityCheck.Compare(reference, actual);

        Assert.True(report.Passed);
        Assert.Equal(0.05, report.MaxAbsDiff, 3);
    }

    [Theory]
    [InlineData(0f, 2e-5f)]          // beyond 1e-5 absolute at zero
    [InlineData(1000f, 1000.2f)]     // beyond 1e-5 + 0.1 relative
    [InlineData(1f, float.NaN)]      // an unwritten or broken output
    public void ValuesOutsideTheToleranceFailAndVerifyNamesTheWorstValue(float reference, float actual)
    {
        float[] r = { 3f, reference };
        float[] a = { 3f, actual };

        var report = OnnxParityCheck.Compare(r, a);
        var ex = Assert.Throws<InvalidOperationException>(() => OnnxParityCheck.Verify(r, a));

        Assert.False(report.Passed);
        Assert.Equal(1, report.WorstIndex);
        Assert.Contains("value 1", ex.Message);
    }

    [Fact]
    public void LengthMismatchIsAnError()
    {
        Assert.Throws<InvalidOperationException>(() => OnnxParityCheck.Compare(new float[3], new float[2]));
    }
}
