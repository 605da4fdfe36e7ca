using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.LanguageModeling;

/// <summary>Settings of one language-model training run.</summary>
internal sealed record LanguageModelSettings(int Epochs, int BatchSize, int SequenceLength, double LearningRate, LearningRateSchedule Schedule,
    double GradientClipNorm, int Patience, TimeSpan? TimeBudget);

/// <summary>What a language-model training run did.</summary>
internal sealed record LanguageModelTrainingResult(TrainingHistory History, double TokensPerSecond, long TrainTokens, bool StoppedByTimeBudget);

/// <summary>
/// Truncated back-propagation through time: the training ids are cut into <c>BatchSize</c> parallel streams, each step trains on
/// the next <c>SequenceLength</c> tokens of every stream starting from the previous step's final state (detached, so gradients
/// stop at the window), cross-entropy loss, Adam with per-epoch learning-rate decay, gradient clipping, early stopping on the
/// validation loss with the best weights restored, and an optional wall-clock budget.
/// </summary>
internal static class LanguageModelTrainingLoop
{
    public static LanguageModelTrainingResult Train(RecurrentSequenceNetwork network, Device device, long[] trainIds, long[] validationIds,
        LanguageModelSettings settings, IProgress<LanguageModelProgress>? progress, Action<string>? log, CancellationToken cancellationToken,
        CheckpointStore? checkpoints = null)
    {
        using var source = new StreamBatchSource(network, trainIds, settings.BatchSize, settings.SequenceLength, device);
        using var validation = validationIds.Length >= 2 ? Streams(validationIds, settings.BatchSize, device) : null;
        static double Rate(long tokens, TimeSpan time) => tokens / Math.Max(time.TotalSeconds, 1e-9);
        var run = new TrainingRun
        {
            Epochs = settings.Epochs,
            LearningRate = settings.LearningRate,
            Clipping = new GradientClipping(settings.GradientClipNorm),
            EarlyStopping = new EarlyStopping(settings.Patience),
            Schedule = settings.Schedule,
            TimeBudget = settings.TimeBudget is { } budget ? new TrainingTimeBudget(budget) : null,
            Validate = validation is null ? null : () => Evaluate(network, validation, settings.SequenceLength),
            OnBatch = b => progress?.Report(new LanguageModelProgress(b.Epoch, b.MaxEpochs, b.Batch, b.BatchCount, b.EpochLossSoFar, null,
                Rate(b.ItemsTrained, b.StepTime), b.Elapsed, b.BatchLoss)),
            OnEpoch = e =>
            {
                double rate = Rate(e.ItemsTrained, e.StepTime);
                progress?.Report(new LanguageModelProgress(e.Epoch, e.MaxEpochs, e.Batches, e.BatchCount, e.TrainLoss, e.ValidationLoss, rate, e.Elapsed,
                    e.LastBatchLoss, EndOfEpoch: true));
                log?.Invoke(e.ValidationLoss is null
                    ? $"epoch {e.Epoch}: train loss {e.TrainLoss:F4} nats/token, {rate:F0} tokens/s"
                    : $"epoch {e.Epoch}: train loss {e.TrainLoss:F4}, validation loss {e.ValidationLoss:F4} nats/token, {rate:F0} tokens/s");
            },
            Log = log,
            CancellationToken = cancellationToken,
            Checkpoints = checkpoints,
        };
        var outcome = TrainingEngine.Run(network, source, run);
        return new LanguageModelTrainingResult(outcome.History, outcome.ItemsPerSecond, outcome.ItemsTrained, outcome.StoppedByTimeBudget);
    }

    /// <summary>Mean cross-entropy per token (nats) over streams, state carried from window to window, no gradients.</summary>
    public static double Evaluate(RecurrentSequenceNetwork network, Tensor streams, int sequenceLength)
    {
        network.eval();
        using var noGrad = torch.no_grad();
        int vocabulary = network.Description.OutputSize;
        long columns = streams.shape[1];
        Tensor? hidden = null, cell = null;
        double sum = 0;
        long count = 0;
        try
        {
            for (long t = 0; t + 1 < columns; t += sequenceLength)
            {
                long length = Math.Min(sequenceLength, columns - 1 - t);
                using var scope = torch.NewDisposeScope();
                var x = streams.narrow(1, t, length);
                var y = streams.narrow(1, t + 1, length);
                using var result = network.Forward(x, null, hidden, cell);
                sum += nn.functional.cross_entropy(result.Output.reshape(-1, vocabulary), y.reshape(-1), reduction: nn.Reduction.Sum).item<float>();
                count += x.shape[0] * length;
                hidden?.Dispose();
                cell?.Dispose();
                hidden = result.FinalHidden.detach().MoveToOuterDisposeScope();
                cell = result.FinalCell?.detach().MoveToOuterDisposeScope();
            }
        }
        finally
        {
            hidden?.Dispose();
            cell?.Dispose();
        }
        return sum / count;
    }

    /// <inheritdoc cref="StreamBatchSource.Streams"/>
    public static Tensor Streams(long[] ids, int batchSize, Device device) => StreamBatchSource.Streams(ids, batchSize, device);
}
