using Microsoft.ML;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Forecasting;

public sealed class ForecastSumsTests
{
    [Fact]
    public void TheForecastIsTheMeanReferencePlusTheWeightedMeanCorrection()
    {
        var sums = new ForecastSums(2);
        sums.Add(new[] { 2f, -4f }, new[] { 10f, 20f });
        sums.Add(new[] { 4f, 0f }, new[] { 12f, 22f });
        // Mean references 11, 21; mean corrections 3, -2.
        Assert.Equal(new[] { 14f, 19f }, sums.Forecast(2, 1f));
        Assert.Equal(new[] { 12.5f, 20f }, sums.Forecast(2, 0.5f));
        Assert.Equal(new[] { 11f, 21f }, sums.Forecast(2, 0f));
    }

    [Fact]
    public void TheWeightWithTheLowestValidationErrorWinsAndTheFullEnsembleWinsTies()
    {
        var sums = new ForecastSums(2);
        sums.Add(new[] { 4f, -4f }, new[] { 10f, 10f });
        // Forecasts: w=1 → 14, 6; w=0.5 → 12, 8; w=0 → 10, 10.
        Assert.Equal(1f, sums.ChooseNetworkWeight(new[] { 14f, 6f }, 1));
        Assert.Equal(0.5f, sums.ChooseNetworkWeight(new[] { 12f, 8f }, 1));
        Assert.Equal(0f, sums.ChooseNetworkWeight(new[] { 10f, 10f }, 1));
        // 13,7 is 1 off for w=1 and 1 off for w=0.5 (each value): a tie keeps the full ensemble.
        Assert.Equal(1f, sums.ChooseNetworkWeight(new[] { 13f, 7f }, 1));
    }

    [Fact]
    public void TheWeightIsJudgedOnWhatTheFinishingStepMakesOfTheForecast()
    {
        var sums = new ForecastSums(2);
        sums.Add(new[] { 4f, -4f }, new[] { 10f, 10f });
        // Forecasts alone: w=1 → 14, 6; w=0.5 → 12, 8; w=0 → 10, 10. Blended half and half with a part forecasting 6, 14:
        // w=1 → 10, 10; w=0.5 → 9, 11; w=0 → 8, 12. For targets 9, 11 the networks alone pick w=0, the blend w=0.5.
        float[] targets = { 9f, 11f };
        Assert.Equal(0f, sums.ChooseNetworkWeight(targets, 1));
        Assert.Equal(0.5f, sums.ChooseNetworkWeight(targets, 1, f => new[] { (f[0] + 6f) / 2, (f[1] + 14f) / 2 }));
    }

    [Fact]
    public void OnAPurelySeasonalSeriesAnUntrainedNetworkIsShrunkAwayAndTheModelForecastsSeasonalNaive()
    {
        // Twelve months repeated exactly: seasonal naive is perfect on every validation window, and a network trained for one epoch
        // adds only noise, so the validation windows choose the weight 0.
        float[] pattern = { 5, 7, 9, 12, 15, 18, 20, 19, 16, 12, 8, 6 };
        float[] series = Enumerable.Range(0, 144).Select(t => pattern[t % 12]).ToArray();
        var ml = new MLContext(1);
        var options = ForecasterTestOptions.Small(epochs: 1);
        options.Season = 12;
        options.Reference = ForecastReference.SeasonalNaive;
        options.LearningRate = 0.05;
        options.ShrinkTowardsReference = true;
        options.LinearShare = 0; // the networks and their reference alone
        using var model = ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, series));

        var metadata = OnnxModelInfo.Read(model.GetOnnxModel()).Metadata;
        Assert.Equal("[0]", metadata[OnnxMetadataKeys.NetworkWeight]);
        float[] forecast = model.Forecast(series);
        for (int h = 0; h < 3; h++)
            Assert.Equal(pattern[h], forecast[h], 3);

        // Without the option the same training keeps the network's correction, and its forecast is not seasonal naive.
        options.ShrinkTowardsReference = false;
        using var plain = ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, series));
        Assert.False(OnnxModelInfo.Read(plain.GetOnnxModel()).Metadata.ContainsKey(OnnxMetadataKeys.NetworkWeight));
        float[] plainForecast = plain.Forecast(series);
        Assert.Contains(Enumerable.Range(0, 3), h => Math.Abs(plainForecast[h] - pattern[h]) > 1e-3);
    }
}
