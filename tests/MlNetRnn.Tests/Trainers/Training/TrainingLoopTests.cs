using Microsoft.ML;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Training;

public sealed class TrainingLoopTests
{
    [Fact]
    public void EarlyStoppingStopsAfterPatienceAndKeepsTheBestEpochsWeights()
    {
        var ml = new MLContext(1);
        var options = ForecasterTestOptions.Small(epochs: 200);
        options.Patience = 3;
        options.LearningRate = 0.05; // large steps make validation loss bounce, so patience triggers quickly
        options.RefitOnAllWindows = false;
        options.Loss = ForecastLoss.SquaredError; // ValidationLossOf recomputes the validation MSE
        options.LinearShare = 0; // the model's forecasts are then the network's alone, whose validation loss training reports
        var reports = new List<TrainingProgress>();
        options.Progress = new ListProgress(reports);

        using var model = ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, TestData.AirPassengers()));
        var h = model.History!;

        Assert.True(h.StoppedEarly);
        Assert.True(h.EpochsRun < 200);
        Assert.Equal(h.EpochsRun - options.Patience, h.BestEpoch);
        double best = h.ValidationLoss.Min();
        Assert.Equal(best, h.ValidationLoss[h.BestEpoch - 1]);
        // The restored weights reproduce the best epoch's validation loss, not the last epoch's.
        double restored = ValidationLossOf(model, options);
        Assert.Equal(best, restored, 4);
        Assert.NotEqual(h.ValidationLoss[^1], restored, 6);
    }

    [Fact]
    public void CancellationStopsTrainingWithOperationCanceled()
    {
        var ml = new MLContext(1);
        using var cts = new CancellationTokenSource();
        var options = ForecasterTestOptions.Small(epochs: 1000);
        options.Patience = 0;
        options.CancellationToken = cts.Token;
        options.Progress = new ListProgress(new List<TrainingProgress>(), p => { if (p.Epoch == 2) cts.Cancel(); });

        Assert.ThrowsAny<OperationCanceledException>(() => ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, TestData.AirPassengers())));
    }

    [Fact]
    public void LongerTrainingReducesTrainingLoss()
    {
        var ml = new MLContext(1);
        var options = ForecasterTestOptions.Small(epochs: 30);
        options.Patience = 0;
        // Squared error on the level: the set-up this threshold was measured with (an absolute error shrinks less in relative terms).
        options.Loss = ForecastLoss.SquaredError;
        options.Reference = ForecastReference.WindowLevel;

        using var model = ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, TestData.AirPassengers()));

        Assert.True(model.History!.TrainLoss[^1] < model.History.TrainLoss[0] * 0.5, string.Join(", ", model.History.TrainLoss));
    }

    [Fact]
    public void WithoutValidationTheBestEpochIsChosenByTrainingLoss()
    {
        var ml = new MLContext(1);
        var options = ForecasterTestOptions.Small(epochs: 5);
        options.ValidationFraction = 0;

        using var model = ml.Rnn().Forecaster(options).Fit(TestData.AsView(ml, TestData.AirPassengers()));

        Assert.Empty(model.History!.ValidationLoss);
        Assert.Equal(model.History.TrainLoss.ToList().IndexOf(model.History.TrainLoss.Min()) + 1, model.History.BestEpoch);
    }

    // Recomputes the validation MSE (scaled space) of the fitted ONNX model on the same validation windows the trainer held out.
    private static double ValidationLossOf(ForecasterTransformer model, ForecasterOptions options)
    {
        var series = TestData.AirPassengers();
        var (rawX, rawY, count) = SlidingWindows.Build(series, options.Window, options.Horizon);
        var split = ForecastSplit.Compute(count, options.ValidationFraction, options.Horizon);
        double sum = 0;
        int n = 0;
        for (int r = split.ValidationStart; r < count; r++)
        {
            var window = rawX.AsSpan(r * options.Window, options.Window);
            float[] forecast = model.Forecast(window);
            var (_, references) = ForecastPreprocessing.For(options, model.Scaler).ScaleInputs(window);
            for (int j = 0; j < options.Horizon; j++)
            {
                double predicted = model.Scaler.Transform(forecast[j]) - references[j];
                double actual = model.Scaler.Transform(rawY[r * options.Horizon + j]) - references[j];
                sum += (predicted - actual) * (predicted - actual);
                n++;
            }
        }
        return sum / n;
    }

    private sealed class ListProgress(List<TrainingProgress> list, Action<TrainingProgress>? also = null) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            list.Add(value);
            also?.Invoke(value);
        }
    }
}
