using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers;

/// <summary>Settings of one language-model training run.</summary>
internal sealed record LanguageModelSettings(int Epochs, int BatchSize, int SequenceLength, double LearningRate, double LearningRateDecay,
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
        LanguageModelSettings settings, IProgress<LanguageModelProgress>? progress, Action<string>? log, CancellationToken cancellationToken)
    {
        int vocabulary = network.Description.OutputSize;
        var total = Stopwatch.StartNew();
        var training = new Stopwatch();
        using var train = Streams(trainIds, settings.BatchSize, device);
        using var validation = validationIds.Length >= 2 ? Streams(validationIds, settings.BatchSize, device) : null;
        long columns = train.shape[1];
        int batchesPerEpoch = (int)((columns - 2) / settings.SequenceLength + 1);

        using var optimizer = torch.optim.Adam(network.parameters(), settings.LearningRate);
        double learningRate = settings.LearningRate;
        var trainLosses = new List<double>();
        var validationLosses = new List<double>();
        double bestLoss = double.PositiveInfinity;
        int bestEpoch = 0;
        bool stoppedEarly = false, outOfTime = false;
        long tokens = 0;
        Dictionary<string, Tensor>? best = null;
        try
        {
            for (int epoch = 1; epoch <= settings.Epochs && !outOfTime; epoch++)
            {
                network.train();
                Tensor? hidden = null, cell = null;
                double lossSum = 0, lastBatch = double.NaN;
                long epochTokens = 0;
                int batch = 0;
                try
                {
                    for (long t = 0; t + 1 < columns; t += settings.SequenceLength)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        long length = Math.Min(settings.SequenceLength, columns - 1 - t);
                        long count;
                        double batchLoss;
                        training.Start();
                        using (var scope = torch.NewDisposeScope())
                        {
                            var x = train.narrow(1, t, length);
                            var y = train.narrow(1, t + 1, length);
                            optimizer.zero_grad();
                            using var result = network.Forward(x, null, hidden, cell);
                            var loss = nn.functional.cross_entropy(result.Output.reshape(-1, vocabulary), y.reshape(-1));
                            loss.backward();
                            if (settings.GradientClipNorm > 0)
                                nn.utils.clip_grad_norm_(network.parameters(), settings.GradientClipNorm);
                            optimizer.step();
                            // The state crosses into the next window without its graph: truncated back-propagation.
                            hidden?.Dispose();
                            cell?.Dispose();
                            hidden = result.FinalHidden.detach().MoveToOuterDisposeScope();
                            cell = result.FinalCell?.detach().MoveToOuterDisposeScope();
                            count = x.shape[0] * length;
                            batchLoss = loss.item<float>();
                            lossSum += batchLoss * count;
                            epochTokens += count;
                        }
                        training.Stop();
                        batch++;
                        tokens += count;
                        lastBatch = batchLoss;
                        double tokensPerSecond = tokens / Math.Max(training.Elapsed.TotalSeconds, 1e-9);
                        progress?.Report(new LanguageModelProgress(epoch, settings.Epochs, batch, batchesPerEpoch, lossSum / epochTokens, null, tokensPerSecond, total.Elapsed, batchLoss));
                        if (settings.TimeBudget is { } budget && total.Elapsed >= budget)
                        {
                            outOfTime = true;
                            break;
                        }
                    }
                }
                finally
                {
                    hidden?.Dispose();
                    cell?.Dispose();
                }
                double trainLoss = lossSum / Math.Max(epochTokens, 1);
                trainLosses.Add(trainLoss);
                double lastBatchLoss = lastBatch;
                double? validationLoss = validation is null ? null : Evaluate(network, validation, settings.SequenceLength);
                if (validationLoss is { } v)
                    validationLosses.Add(v);
                double monitored = validationLoss ?? trainLoss;
                if (!double.IsFinite(monitored))
                    throw new InvalidOperationException($"Training diverged at epoch {epoch} (loss is {monitored}). Lower the learning rate ({settings.LearningRate}) or the gradient clip norm.");
                if (monitored < bestLoss)
                {
                    bestLoss = monitored;
                    bestEpoch = epoch;
                    WeightSnapshot.Dispose(best);
                    best = WeightSnapshot.Take(network);
                }
                double rate = tokens / Math.Max(training.Elapsed.TotalSeconds, 1e-9);
                progress?.Report(new LanguageModelProgress(epoch, settings.Epochs, batch, batchesPerEpoch, trainLoss, validationLoss, rate, total.Elapsed, lastBatchLoss, EndOfEpoch: true));
                log?.Invoke(validationLoss is null
                    ? $"epoch {epoch}: train loss {trainLoss:F4} nats/token, {rate:F0} tokens/s"
                    : $"epoch {epoch}: train loss {trainLoss:F4}, validation loss {validationLoss:F4} nats/token, {rate:F0} tokens/s");
                if (outOfTime)
                {
                    log?.Invoke($"time budget of {settings.TimeBudget} reached during epoch {epoch}");
                    break;
                }
                if (settings.Patience > 0 && epoch - bestEpoch >= settings.Patience && epoch < settings.Epochs)
                {
                    stoppedEarly = true;
                    log?.Invoke($"early stop after epoch {epoch}: no improvement for {settings.Patience} epochs; restoring epoch {bestEpoch}");
                    break;
                }
                learningRate *= settings.LearningRateDecay;
                foreach (var group in optimizer.ParamGroups)
                    group.LearningRate = learningRate;
            }
            if (best is not null)
                WeightSnapshot.Restore(network, best);
        }
        finally
        {
            WeightSnapshot.Dispose(best);
        }
        network.eval();
        var history = new TrainingHistory(trainLosses, validationLosses, bestEpoch, stoppedEarly, total.Elapsed);
        return new LanguageModelTrainingResult(history, tokens / Math.Max(training.Elapsed.TotalSeconds, 1e-9), tokens, outOfTime);
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

    /// <summary>
    /// Cuts ids into at most <paramref name="batchSize"/> contiguous streams of equal length (at least 2 tokens each) as a
    /// <c>[streams, length]</c> int64 tensor; the tail that does not fill a stream is dropped.
    /// </summary>
    public static Tensor Streams(long[] ids, int batchSize, Device device)
    {
        if (ids.Length < 2)
            throw new ArgumentException($"{ids.Length} token(s) cannot form a training pair; at least 2 are needed.");
        int rows = Math.Max(1, Math.Min(batchSize, ids.Length / 2));
        int length = ids.Length / rows;
        return torch.tensor(ids.AsSpan(0, rows * length).ToArray(), new long[] { rows, length }, device: device);
    }
}
