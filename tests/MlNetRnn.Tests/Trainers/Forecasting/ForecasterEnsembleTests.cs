using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Trainers.Forecasting;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Forecasting;

/// <summary>The trained forecaster's ensemble, seasonal-naive reference and prediction interval, end to end through ONNX Runtime.</summary>
public sealed class ForecasterEnsembleTests
{
    private static ForecasterOptions Ensemble(int members)
    {
        var options = ForecasterTestOptions.Small(epochs: 3);
        options.EnsembleSize = members;
        options.Season = 12;
        return options;
    }

    [Fact]
    public void EnsembleIsOneGraphWhoseForecastIsTheMeanOfItsMembersInScaledSpace()
    {
        var ml = new MLContext(1);
        var series = TestData.AirPassengers();
        using var ensemble = ml.Rnn().Forecaster(Ensemble(3)).Fit(TestData.AsView(ml, series));
        var imported = OnnxModelImporter.Import(ensemble.GetOnnxModel());
        var f = imported.Forecasting!;

        // Each member alone, as a graph of its own: its weights, the ensemble's scaler and the member's own reference.
        float[] history = series[^12..];
        var members = Enumerable.Range(0, 3).Select(k =>
        {
            var single = f with { Members = 1, SeasonalNaiveMembers = k < f.SeasonalMemberCount ? 1 : 0, Interval = null, LinearShare = 0f };
            return OnnxTestRunner.Run(ForecastingOnnxExporter.Export(single, EnsembleWeights.Member(imported.Weights, 3, k)), "Features", history, new long[] { 1, 12 }, "Score", new long[] { 1, 3 });
        }).ToArray();
        float[] forecast = ensemble.Forecast(history);

        Assert.Equal(3, f.Members);
        Assert.Equal(12, f.ReferenceSeason);
        Assert.Equal(2, f.SeasonalMemberCount); // the default mixed reference: members 0 and 1 correct seasonal naive, member 2 forecasts the level
        // The default linear part: its affine map of the scaled window, blended with the members' mean by the share.
        Assert.Equal(0.8f, f.LinearShare);
        float[] linear = LinearPart.Apply(imported.Weights.Get("linear.weight", 12, 3).Data, imported.Weights.Get("linear.bias", 3).Data,
            history.Select(f.Scaler.Transform).ToArray(), 12, 3);
        for (int h = 0; h < 3; h++)
        {
            double mean = (1 - f.LinearShare) * members.Average(m => (double)f.Scaler.Transform(m[h])) + f.LinearShare * linear[h];
            float expected = f.Scaler.Inverse((float)mean);
            Assert.True(Math.Abs(expected - forecast[h]) <= 1e-3 + 1e-4 * expected, $"step {h}: ensemble {forecast[h]}, mean of members {expected}");
        }
        // Members start from different seeds, so they differ.
        Assert.NotEqual(members[0], members[1]);
    }

    [Fact]
    public void IntervalIsOrderedReturnedByTransformAndSurvivesSaveAndLoad()
    {
        var ml = new MLContext(1);
        var series = TestData.AirPassengers();
        using var model = ml.Rnn().Forecaster(Ensemble(2)).Fit(TestData.AsView(ml, series));
        string path = Path.Combine(Path.GetTempPath(), $"mlnetrnn-interval-{Guid.NewGuid():N}.zip");
        try
        {
            var band = model.ForecastWithInterval(series);
            Assert.Equal(0.8, band.Coverage);
            Assert.Equal(model.Forecast(series), band.Forecast);
            for (int h = 0; h < 3; h++)
                Assert.True(band.Lower[h] <= band.Forecast[h] && band.Forecast[h] <= band.Upper[h], $"step {h}: {band.Lower[h]} ≤ {band.Forecast[h]} ≤ {band.Upper[h]}");
            Assert.True(band.Upper.Zip(band.Lower).Any(p => p.First > p.Second), "the band has no width at all");

            var scored = model.Transform(TestData.AsView(ml, series));
            var lower = scored.GetColumn<float[]>("ScoreLower").Last();
            var upper = scored.GetColumn<float[]>("ScoreUpper").Last();
            var last = model.ForecastWithInterval(series.AsSpan(0, series.Length - 3));
            Assert.Equal(last.Lower, lower);
            Assert.Equal(last.Upper, upper);

            model.Save(path);
            using var loaded = ForecasterTransformer.Load(ml, path);
            Assert.Equal(0.8, loaded.IntervalCoverage);
            Assert.Equal(band, loaded.ForecastWithInterval(series), new IntervalComparer());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void WithoutIntervalTheModelSaysSoAndHasNoBoundColumns()
    {
        var ml = new MLContext(1);
        var options = ForecasterTestOptions.Small(epochs: 2);
        options.IntervalCoverage = 0;
        using var model = ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, TestData.AirPassengers()));

        Assert.Null(model.IntervalCoverage);
        Assert.Contains("no prediction interval", Assert.Throws<InvalidOperationException>(() => model.ForecastWithInterval(TestData.AirPassengers())).Message);
        Assert.Null(model.Transform(TestData.AsView(ml, TestData.AirPassengers())).Schema.GetColumnOrNull("ScoreLower"));
    }

    [Fact]
    public void ASeasonLongerThanTheWindowIsRefusedWhenTheReferenceNeedsIt()
    {
        var ml = new MLContext(1);
        var options = ForecasterTestOptions.Small();
        options.Season = 24;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Rnn().Forecaster(options));
        Assert.Contains("Season", error.Message);
        Assert.Contains("at most the networks' window (12)", error.Message);

        options.Reference = ForecastReference.WindowLevel;
        ml.Rnn().Forecaster(options); // without the reference the season is not read off the window
    }

    [Fact]
    public void AnEnsembleContinuesTrainingFromItsImportedMembers()
    {
        var ml = new MLContext(1);
        var data = TestData.AsView(ml, TestData.AirPassengers());
        using var first = ml.Rnn().Forecaster(Ensemble(2)).Fit(data);
        var imported = OnnxModelImporter.Import(first.GetOnnxModel());

        var mismatched = Ensemble(3);
        var error = Assert.Throws<ArgumentException>(() => ml.Rnn().Forecaster(mismatched).Fit(data, imported));
        Assert.Contains("EnsembleSize: options 3, model 2", error.Message);

        using var continued = ml.Rnn().Forecaster(Ensemble(2)).Fit(data, imported);
        Assert.Equal(2, OnnxModelImporter.Import(continued.GetOnnxModel()).Forecasting!.Members);
    }

    [Fact]
    public void ALongSeriesTrainsOnItsMostRecentWindowsOnly()
    {
        var ml = new MLContext(1);
        var series = TestData.AirPassengers();
        var capped = ForecasterTestOptions.Small(epochs: 2);
        capped.MaxTrainingWindows = 50;
        var all = ForecasterTestOptions.Small(epochs: 2);
        all.MaxTrainingWindows = 0;
        // 50 windows of 12 values and 3 targets span the last 50 + 12 + 3 − 1 values.
        float[] recent = series[^64..];

        using var fromCap = ml.Rnn().Forecaster(capped).Fit(TestData.AsView(ml, series));
        using var fromRecent = ml.Rnn().Forecaster(all).Fit(TestData.AsView(ml, recent));
        using var fromEverything = ml.Rnn().Forecaster(all).Fit(TestData.AsView(ml, series));

        Assert.Equal(fromRecent.Forecast(series), fromCap.Forecast(series));
        Assert.NotEqual(fromEverything.Forecast(series), fromCap.Forecast(series));
    }

    [Fact]
    public void WideningScalesTheIntervalOffsets()
    {
        var ml = new MLContext(1);
        var data = TestData.AsView(ml, TestData.AirPassengers());
        var plain = ForecasterTestOptions.Small(epochs: 2);
        plain.IntervalWidening = 1;
        var wide = ForecasterTestOptions.Small(epochs: 2);
        wide.IntervalWidening = 2;

        var a = OnnxModelImporter.Import(ml.Rnn().Forecaster(plain).Fit(data).GetOnnxModel()).Forecasting!.Interval!;
        var b = OnnxModelImporter.Import(ml.Rnn().Forecaster(wide).Fit(data).GetOnnxModel()).Forecasting!.Interval!;

        Assert.Equal(a.Lower.Select(v => 2 * v), b.Lower);
        Assert.Equal(a.Upper.Select(v => 2 * v), b.Upper);
        Assert.Contains(a.Upper, v => v > 0);
    }

    [Fact]
    public void ProgressReportsSayWhichMemberTheyAreAbout()
    {
        var ml = new MLContext(1);
        var reports = new List<TrainingProgress>();
        var options = Ensemble(2);
        options.Progress = new InlineProgress<TrainingProgress>(reports.Add);

        using var model = ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, TestData.AirPassengers()));

        Assert.All(reports, r => Assert.Equal(2, r.Members));
        // Members train one after another, each with its training stage and then its refit.
        Assert.Equal(new[] { (0, TrainingStage.Training), (0, TrainingStage.Refit), (1, TrainingStage.Training), (1, TrainingStage.Refit) },
            reports.Select(r => (r.Member, r.Stage)).Distinct().ToArray());
    }

    private sealed class IntervalComparer : IEqualityComparer<IntervalForecast>
    {
        public bool Equals(IntervalForecast? a, IntervalForecast? b) =>
            a is not null && b is not null && a.Coverage == b.Coverage && a.Forecast.SequenceEqual(b.Forecast) && a.Lower.SequenceEqual(b.Lower) && a.Upper.SequenceEqual(b.Upper);

        public int GetHashCode(IntervalForecast obj) => obj.Coverage.GetHashCode();
    }
}
