using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers;

/// <summary>
/// Mini-batch training of a sequence-to-vector network with MSE loss: Adam, gradient-norm clipping,
/// seeded shuffling, a validation split, early stopping that restores the best weights, per-epoch
/// progress and cancellation.
/// </summary>
internal static class RegressionTrainingLoop
{
    /// <param name="network">The network, already on <paramref name="device"/>.</param>
    /// <param name="inputs">Training inputs, row-major <c>[trainRows, seq, features]</c>.</param>
    /// <param name="targets">Training targets <c>[trainRows, outputs]</c>.</param>
    /// <param name="validationInputs">Validation inputs (may be empty).</param>
    /// <param name="validationTargets">Validation targets.</param>
    /// <param name="sampleShape">Shape of one input row, e.g. <c>[seq, features]</c>.</param>
    /// <param name="outputs">Targets per row.</param>
    /// <param name="device">Device holding the network and the data.</param>
    /// <param name="settings">Epochs, batch size, learning rate, clipping, patience, shuffling and seed.</param>
    /// <param name="progress">Receives one report per epoch.</param>
    /// <param name="log">Receives one line per epoch and the early-stopping note.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    public static TrainingHistory Train(RecurrentSequenceNetwork network, Device device,
        float[] inputs, float[] targets, float[] validationInputs, float[] validationTargets,
        long[] sampleShape, int outputs, TrainingSettings settings,
        IProgress<TrainingProgress>? progress, Action<string>? log, CancellationToken cancellationToken)
    {
        long sampleSize = sampleShape.Aggregate(1L, (a, b) => a * b);
        int trainRows = (int)(inputs.Length / sampleSize);
        int validationRows = (int)(validationInputs.Length / sampleSize);
        var stopwatch = Stopwatch.StartNew();

        using var x = torch.tensor(inputs, new[] { (long)trainRows }.Concat(sampleShape).ToArray(), device: device);
        using var y = torch.tensor(targets, new long[] { trainRows, outputs }, device: device);
        using var vx = validationRows > 0 ? torch.tensor(validationInputs, new[] { (long)validationRows }.Concat(sampleShape).ToArray(), device: device) : null;
        using var vy = validationRows > 0 ? torch.tensor(validationTargets, new long[] { validationRows, outputs }, device: device) : null;

        using var optimizer = torch.optim.Adam(network.parameters(), settings.LearningRate);
        var random = new Random(settings.Seed);
        var order = Enumerable.Range(0, trainRows).ToArray();
        var trainLosses = new List<double>();
        var validationLosses = new List<double>();
        double bestLoss = double.PositiveInfinity;
        int bestEpoch = 0;
        Dictionary<string, Tensor>? bestState = null;
        bool stoppedEarly = false;

        try
        {
            for (int epoch = 1; epoch <= settings.Epochs; epoch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (settings.Shuffle)
                    random.Shuffle(order);

                network.train();
                double lossSum = 0;
                for (int start = 0; start < trainRows; start += settings.BatchSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int count = Math.Min(settings.BatchSize, trainRows - start);
                    using var scope = torch.NewDisposeScope();
                    var index = torch.tensor(order.AsSpan(start, count).ToArray().Select(i => (long)i).ToArray(), device: device);
                    var xb = x.index_select(0, index);
                    var yb = y.index_select(0, index);
                    optimizer.zero_grad();
                    var loss = nn.functional.mse_loss(network.call(xb), yb);
                    loss.backward();
                    if (settings.GradientClipNorm > 0)
                        nn.utils.clip_grad_norm_(network.parameters(), settings.GradientClipNorm);
                    optimizer.step();
                    lossSum += loss.item<float>() * count;
                }
                double trainLoss = lossSum / trainRows;
                trainLosses.Add(trainLoss);

                double? validationLoss = null;
                if (vx is not null && vy is not null)
                {
                    validationLoss = Evaluate(network, vx, vy, settings.BatchSize);
                    validationLosses.Add(validationLoss.Value);
                }

                double monitored = validationLoss ?? trainLoss;
                if (!double.IsFinite(monitored))
                    throw new InvalidOperationException(
                        $"Training diverged at epoch {epoch} (loss is {monitored}). Lower the learning rate ({settings.LearningRate}) or the gradient clip norm.");
                if (monitored < bestLoss)
                {
                    bestLoss = monitored;
                    bestEpoch = epoch;
                    if (settings.RestoreBestWeights)
                    {
                        WeightSnapshot.Dispose(bestState);
                        bestState = WeightSnapshot.Take(network);
                    }
                }

                // Without restoring, the weights kept are always the latest epoch's: report that, as the history will.
                int keptSoFar = settings.RestoreBestWeights ? bestEpoch : epoch;
                progress?.Report(new TrainingProgress(epoch, settings.Epochs, trainLoss, validationLoss, keptSoFar, stopwatch.Elapsed, settings.Stage));
                string stage = settings.Stage == TrainingStage.Refit ? "refit " : string.Empty;
                log?.Invoke(validationLoss is null
                    ? $"{stage}epoch {epoch}/{settings.Epochs}: train loss {trainLoss:G6}"
                    : $"{stage}epoch {epoch}/{settings.Epochs}: train loss {trainLoss:G6}, validation loss {validationLoss:G6}");

                if (settings.Patience > 0 && epoch - bestEpoch >= settings.Patience && epoch < settings.Epochs)
                {
                    stoppedEarly = true;
                    log?.Invoke(settings.RestoreBestWeights
                        ? $"early stop after epoch {epoch}: no improvement for {settings.Patience} epochs; restoring epoch {bestEpoch}"
                        : $"early stop after epoch {epoch}: no improvement for {settings.Patience} epochs");
                    break;
                }
            }

            if (bestState is not null && settings.RestoreBestWeights)
                WeightSnapshot.Restore(network, bestState);
        }
        finally
        {
            WeightSnapshot.Dispose(bestState);
        }
        network.eval();
        // Without restoring, the network holds the last epoch's weights, and the history says so.
        int keptEpoch = settings.RestoreBestWeights ? bestEpoch : trainLosses.Count;
        return new TrainingHistory(trainLosses, validationLosses, keptEpoch, stoppedEarly, stopwatch.Elapsed);
    }

    /// <summary>Mean squared error over all rows, computed in batches without gradients.</summary>
    public static double Evaluate(RecurrentSequenceNetwork network, Tensor inputs, Tensor targets, int batchSize)
    {
        network.eval();
        using var noGrad = torch.no_grad();
        long rows = inputs.shape[0];
        double sum = 0;
        for (long start = 0; start < rows; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            long count = Math.Min(batchSize, rows - start);
            var prediction = network.call(inputs.narrow(0, start, count));
            // Sum of squared errors / (rows·outputs) over the whole split equals the per-element MSE of all rows.
            sum += (prediction - targets.narrow(0, start, count)).square().sum().item<float>();
        }
        return sum / (rows * targets.shape[1]);
    }
}
