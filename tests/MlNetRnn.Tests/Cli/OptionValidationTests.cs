using System.CommandLine;
using Xunit;

namespace MlNetRnn.Tests.Cli;

/// <summary>The CLI's range validators: System.CommandLine reports their messages, naming the flag and the interval, before anything runs.</summary>
public sealed class OptionValidationTests
{
    [Theory]
    [InlineData("0.9", false, false, "--rate must be in [0, 0.5]; got 0.9.")]
    [InlineData("0", true, false, "--rate must be in (0, 0.5]; got 0.")]
    [InlineData("0.5", false, true, "--rate must be in [0, 0.5); got 0.5.")]
    [InlineData("-0.1", false, false, "--rate must be in [0, 0.5]; got -0.1.")]
    public void ANumberOutsideItsIntervalIsAnErrorNamingTheFlag(string value, bool minExclusive, bool maxExclusive, string message)
    {
        var option = new Option<double>("--rate").InRange(0, 0.5, minExclusive, maxExclusive);
        var result = new RootCommand { option }.Parse(new[] { "--rate", value });
        Assert.Contains(result.Errors, e => e.Message == message);
    }

    [Fact]
    public void AnOptionalNumberIsCheckedOnlyWhenGiven()
    {
        var option = new Option<double?>("--weight").InRange(0, 10);
        var command = new RootCommand { option };
        Assert.Contains(command.Parse(new[] { "--weight", "11" }).Errors, e => e.Message == "--weight must be in [0, 10]; got 11.");
        Assert.Empty(command.Parse(new[] { "--weight", "10" }).Errors);
        Assert.Empty(command.Parse(Array.Empty<string>()).Errors);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0.25")]
    [InlineData("0.5")]
    public void ANumberInsideTheClosedIntervalPasses(string value)
    {
        var option = new Option<double>("--rate").InRange(0, 0.5);
        Assert.Empty(new RootCommand { option }.Parse(new[] { "--rate", value }).Errors);
    }
}
