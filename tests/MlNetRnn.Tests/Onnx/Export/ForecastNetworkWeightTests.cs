using MlNetRnn.Transforms;
using Xunit;

namespace MlNetRnn.Tests.Onnx.Export;

/// <summary>The forecaster graph's network weight: reference + w · mean(outputs), checked against the graphs with w = 1 and w = 0.</summary>
public sealed class ForecastNetworkWeightTests
{
    [Fact]
    public void HalfTheWeightIsHalfWayBetweenTheReferenceAndThePlainEnsemble()
    {
        const int window = 8, horizon = 4, season = 4, rows = 3;
        // Identity-like scaling (no log): unscaling is affine, so halving the correction halves the distance in raw units too.
        var scaler = new SeriesScaler(SeriesScalingKind.Standard, log: false, center: 100f, scale: 20f);
        var arch = new RecurrentArchitecture(RecurrentCellKind.Gru, 1, 5, 1, false);
        var weights = RandomWeights.Create(arch, horizon, 9);
        var full = new ForecastingModelDescription(arch, window, horizon, scaler, true) { ReferenceSeason = season };
        var random = new Random(4);
        float[] raw = Enumerable.Range(0, rows * window).Select(_ => (float)(60 + 80 * random.NextDouble())).ToArray();
        float[] Run(ForecastingModelDescription d) => OnnxTestRunner.Run(ForecastingOnnxExporter.Export(d, weights), "Features", raw, new long[] { rows, window }, "Score", new long[] { rows, horizon });

        float[] plain = Run(full), half = Run(full with { NetworkWeight = 0.5f }), none = Run(full with { NetworkWeight = 0f });

        for (int r = 0; r < rows; r++)
        {
            float[] naive = ForecastMetrics.SeasonalNaive(raw.AsSpan(r * window, window), horizon, season);
            for (int h = 0; h < horizon; h++)
            {
                int i = r * horizon + h;
                Assert.Equal(naive[h], none[i], 3);
                Assert.Equal((plain[i] + none[i]) / 2, half[i], 3);
                Assert.NotEqual(plain[i], none[i], 2);
            }
        }
        var imported = OnnxModelImporter.Import(ForecastingOnnxExporter.Export(full with { NetworkWeight = 0.5f }, weights));
        Assert.Equal(0.5f, imported.Forecasting!.NetworkWeight);
        Assert.Equal(1f, OnnxModelImporter.Import(ForecastingOnnxExporter.Export(full, weights)).Forecasting!.NetworkWeight);
    }

    [Fact]
    public void AWeightOutsideZeroToOneOrWithoutAReferenceIsRefused()
    {
        var scaler = new SeriesScaler(SeriesScalingKind.Standard, log: false, center: 0f, scale: 1f);
        var arch = new RecurrentArchitecture(RecurrentCellKind.Gru, 1, 3, 1, false);
        var weights = RandomWeights.Create(arch, 2, 1);
        var description = new ForecastingModelDescription(arch, 6, 2, scaler, true);
        Assert.Contains("[0, 1]", Assert.Throws<ArgumentException>(() => ForecastingOnnxExporter.Export(description with { NetworkWeight = 1.5f }, weights)).Message);
        var noReference = new ForecastingModelDescription(arch, 6, 2, scaler, false) { NetworkWeight = 0.5f };
        Assert.Contains("reference", Assert.Throws<ArgumentException>(() => ForecastingOnnxExporter.Export(noReference, weights)).Message);
    }
}
