using MlNetRnn.Transforms;
using Xunit;

namespace MlNetRnn.Tests.Onnx.Export;

/// <summary>
/// The forecaster graph's linear part: <c>(1 − share) · networks + share · (x · W + b)</c> in scaled space, checked by hand against the
/// same graph without the part, also with the networks reading only the window's last values; the importer reads both back.
/// </summary>
public sealed class ForecastLinearPartGraphTests
{
    private const int Window = 8, Horizon = 3, Rows = 4;
    // No log: unscaling is affine (raw = center + scale · y), so the blend can be written in raw units.
    private static readonly SeriesScaler Scaler = new(SeriesScalingKind.Standard, log: false, center: 100f, scale: 20f);
    private static readonly RecurrentArchitecture Arch = new(RecurrentCellKind.Gru, 1, 5, 1, false);

    private static WeightSet WithLinearPart(WeightSet networks, int seed)
    {
        var random = new Random(seed);
        float[] w = Enumerable.Range(0, Window * Horizon).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        float[] b = Enumerable.Range(0, Horizon).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        return new WeightSet(networks.Tensors.Concat(new[]
        {
            new NamedTensor("linear.weight", new long[] { Window, Horizon }, w),
            new NamedTensor("linear.bias", new long[] { Horizon }, b),
        }));
    }

    /// <summary>Checks, by hand in raw units, that <paramref name="blended"/> = 0.7 · <paramref name="networks"/> + 0.3 · the part's affine map of the scaled window.</summary>
    private static void AssertBlend(float[] networks, float[] blended, float[] raw, WeightSet weights)
    {
        float[] w = weights.Get("linear.weight", Window, Horizon).Data, b = weights.Get("linear.bias", Horizon).Data;
        for (int r = 0; r < Rows; r++)
        {
            for (int k = 0; k < Horizon; k++)
            {
                double linear = b[k];
                for (int i = 0; i < Window; i++)
                    linear += (raw[r * Window + i] - 100.0) / 20.0 * w[i * Horizon + k];
                Assert.Equal(0.7 * networks[r * Horizon + k] + 0.3 * (100 + 20 * linear), blended[r * Horizon + k], 3);
            }
        }
    }

    [Fact]
    public void TheGraphBlendsTheNetworksWithTheAffineMapOfTheScaledWindow()
    {
        var weights = WithLinearPart(RandomWeights.Create(Arch, Horizon, 3), 5);
        var plain = new ForecastingModelDescription(Arch, Window, Horizon, Scaler, true) { ReferenceSeason = 4 };
        var random = new Random(8);
        float[] raw = Enumerable.Range(0, Rows * Window).Select(_ => (float)(60 + 80 * random.NextDouble())).ToArray();
        float[] Run(ForecastingModelDescription d) => OnnxTestRunner.Run(ForecastingOnnxExporter.Export(d, weights), "Features", raw, new long[] { Rows, Window }, "Score", new long[] { Rows, Horizon });

        float[] networks = Run(plain), blended = Run(plain with { LinearShare = 0.3f });
        AssertBlend(networks, blended, raw, weights);
        Assert.NotEqual(networks[0], blended[0], 2);
    }

    [Fact]
    public void TheImporterReadsThePartBackAndReExportsTheSameBytes()
    {
        var weights = WithLinearPart(RandomWeights.Create(Arch, Horizon, 3), 5);
        var description = new ForecastingModelDescription(Arch, Window, Horizon, Scaler, true) { ReferenceSeason = 4, LinearShare = 0.5f, LinearSeason = 4 };
        byte[] onnx = ForecastingOnnxExporter.Export(description, weights);
        var imported = OnnxModelImporter.Import(onnx);
        Assert.Equal(0.5f, imported.Forecasting!.LinearShare);
        Assert.Equal(4, imported.Forecasting.LinearSeason);
        Assert.Equal(weights.Get("linear.weight", Window, Horizon).Data, imported.Weights.Get("linear.weight", Window, Horizon).Data);
        Assert.Equal(weights.Get("linear.bias", Horizon).Data, imported.Weights.Get("linear.bias", Horizon).Data);
        Assert.Equal(onnx, ForecastingOnnxExporter.Export(imported.Forecasting, imported.Weights));
        // Without the part, the graph holds no linear weights and the metadata no share.
        var none = OnnxModelImporter.Import(ForecastingOnnxExporter.Export(description with { LinearShare = 0f }, weights));
        Assert.Equal(0f, none.Forecasting!.LinearShare);
        Assert.DoesNotContain(none.Weights.Tensors, t => t.Name.StartsWith("linear.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NetworksReadingTheLastValuesMatchAGraphOverThoseValuesAlone(bool unrolled)
    {
        // Networks on the last 5 of 8 values (with the seasonal-naive reference read off them); the part over all 8.
        const int recent = 5;
        var networkWeights = RandomWeights.Create(Arch, Horizon, 3);
        var weights = WithLinearPart(networkWeights, 5);
        var random = new Random(9);
        float[] raw = Enumerable.Range(0, Rows * Window).Select(_ => (float)(60 + 80 * random.NextDouble())).ToArray();
        float[] last = Enumerable.Range(0, Rows).SelectMany(r => raw.Skip(r * Window + Window - recent).Take(recent)).ToArray();
        var shortGraph = new ForecastingModelDescription(Arch, recent, Horizon, Scaler, true) { ReferenceSeason = 4, UnrolledSteps = unrolled };
        var longGraph = new ForecastingModelDescription(Arch, Window, Horizon, Scaler, true) { ReferenceSeason = 4, UnrolledSteps = unrolled, NetworkWindow = recent, LinearShare = 0.3f };
        float[] networks = OnnxTestRunner.Run(ForecastingOnnxExporter.Export(shortGraph, networkWeights), "Features", last, new long[] { Rows, recent }, "Score", new long[] { Rows, Horizon });
        float[] blended = OnnxTestRunner.Run(ForecastingOnnxExporter.Export(longGraph, weights), "Features", raw, new long[] { Rows, Window }, "Score", new long[] { Rows, Horizon });
        AssertBlend(networks, blended, raw, weights);
    }

    [Fact]
    public void TheImporterReadsTheNetworksWindowBackAndRefusesOneOutsideTheWindow()
    {
        var weights = WithLinearPart(RandomWeights.Create(Arch, Horizon, 3), 5);
        var description = new ForecastingModelDescription(Arch, Window, Horizon, Scaler, true) { NetworkWindow = 5, LinearShare = 0.5f, LinearSeason = 1 };
        byte[] onnx = ForecastingOnnxExporter.Export(description, weights);
        var imported = OnnxModelImporter.Import(onnx);
        Assert.Equal(5, imported.Forecasting!.NetworkWindow);
        Assert.Equal(onnx, ForecastingOnnxExporter.Export(imported.Forecasting, imported.Weights));
        // The whole window needs no key.
        Assert.DoesNotContain(OnnxMetadataKeys.NetworkWindow, ForecastingOnnxExporter.StandardMetadata(description with { NetworkWindow = 0 }).Keys);
        foreach (string bad in new[] { "0", "8", "9" })
        {
            var proto = MlNetRnn.Onnx.Protobuf.ModelProto.Parser.ParseFrom(onnx);
            proto.MetadataProps.Single(p => p.Key == OnnxMetadataKeys.NetworkWindow).Value = bad;
            var ex = Assert.Throws<InvalidDataException>(() => OnnxModelImporter.Import(Google.Protobuf.MessageExtensions.ToByteArray(proto)));
            Assert.Contains(OnnxMetadataKeys.NetworkWindow, ex.Message);
        }
        Assert.Contains("NetworkWindow", Assert.Throws<ArgumentException>(() => ForecastingOnnxExporter.Export(description with { NetworkWindow = 9 }, weights)).Message);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("-0.25")]
    [InlineData("0")]
    public void TheImporterRefusesAShareOutsideZeroToOne(string share)
    {
        var weights = WithLinearPart(RandomWeights.Create(Arch, Horizon, 3), 5);
        var proto = MlNetRnn.Onnx.Protobuf.ModelProto.Parser.ParseFrom(ForecastingOnnxExporter.Export(
            new ForecastingModelDescription(Arch, Window, Horizon, Scaler, true) { LinearShare = 0.5f, LinearSeason = 4 }, weights));
        proto.MetadataProps.Single(p => p.Key == OnnxMetadataKeys.LinearShare).Value = share;
        var ex = Assert.Throws<InvalidDataException>(() => OnnxModelImporter.Import(Google.Protobuf.MessageExtensions.ToByteArray(proto)));
        Assert.Contains(OnnxMetadataKeys.LinearShare, ex.Message);
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(-0.1f)]
    public void AShareOutsideZeroToBelowOneIsRefused(float share)
    {
        var weights = WithLinearPart(RandomWeights.Create(Arch, Horizon, 3), 5);
        var description = new ForecastingModelDescription(Arch, Window, Horizon, Scaler, true) { LinearShare = share };
        Assert.Contains("LinearShare", Assert.Throws<ArgumentException>(() => ForecastingOnnxExporter.Export(description, weights)).Message);
    }
}
