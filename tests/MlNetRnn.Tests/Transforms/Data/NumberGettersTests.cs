using Microsoft.ML;
using Xunit;

namespace MlNetRnn.Tests.Transforms.Data;

/// <summary>A length column may be any of ML.NET's common number types; each reads back as the same double, and others are refused.</summary>
public sealed class NumberGettersTests
{
    private sealed class Row
    {
        public float Single { get; set; }
        public double Double { get; set; }
        public int Int32 { get; set; }
        public long Int64 { get; set; }
        public uint UInt32 { get; set; }
        public bool Boolean { get; set; }
    }

    [Fact]
    public void EveryNumberTypeReadsAsItsValueAndABooleanIsRefusedByName()
    {
        var data = new MLContext(1).Data.LoadFromEnumerable(new[] { new Row { Single = 3, Double = 3, Int32 = 3, Int64 = 3, UInt32 = 3 } });
        using var cursor = data.GetRowCursor(data.Schema);
        Assert.True(cursor.MoveNext());
        foreach (var name in new[] { "Single", "Double", "Int32", "Int64", "UInt32" })
        {
            Assert.Contains(data.Schema[name].Type, NumberGetters.Types);
            Assert.Equal(3.0, NumberGetters.AsDouble(cursor, data.Schema[name])());
        }
        Assert.DoesNotContain(data.Schema["Boolean"].Type, NumberGetters.Types);
        Assert.Contains("'Boolean'", Assert.Throws<ArgumentException>(() => NumberGetters.AsDouble(cursor, data.Schema["Boolean"])).Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(9.0)]
    [InlineData(2.5)]
    [InlineData(double.NaN)]
    public void ALengthThatIsNotAWholeNumberOfTheRowsStepsNamesTheRowBothColumnsAndBothNumbers(double length)
    {
        var ex = Assert.Throws<ArgumentException>(() => StepLengths.Require(length, 8, 4, "Steps", "Pixels"));
        Assert.Contains("Row 4: the length column 'Steps'", ex.Message);
        Assert.Contains("'Pixels' holds 8 step(s)", ex.Message);
        Assert.Contains("from 1 to 8", ex.Message);
    }

    [Fact]
    public void AWholeLengthWithinTheRowIsItsStepCount()
    {
        Assert.Equal(1, StepLengths.Require(1, 8, 0, "Steps", "Pixels"));
        Assert.Equal(8, StepLengths.Require(8.0, 8, 0, "Steps", "Pixels"));
    }
}
