using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.Forecasting;

/// <summary>
/// Mini-batch training of a sequence-to-vector network with MSE or MAE loss: Adam, gradient-norm clipping,
/// seeded shuffling, a validation split, early stopping that restores the best weights, per-epoch
/// progress and cancellation.
/// </summary>
internal static class ForecasterTrainingLoop
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
    /// <param name="checkpoints">Where the run writes and resumes checkpoints; null for none.</param>
    /// <param name="loss">What training minimises and early stopping watches.</param>
    public static TrainingHistory Train(RecurrentSequenceNetwork network, Device device,
        float[] inputs, float[] targets, float[] validationInputs, float[] validationTargets,
        long[] sampleShape, int outputs, TrainingSettings settings,
        IProgress<TrainingProgress>? progress, Action<string>? log, CancellationToken cancellationToken, CheckpointStore? checkpoints = null,
        ForecastLoss loss = ForecastLoss.SquaredError)
    {
        long sampleSize = sampleShape.Aggregate(1L, (a, b) => a * b);
        int trainRows = (int)(inputs.Length / sampleSize);
        int validationRows = (int)(validationInputs.Length / sampleSize);

        var x = torch.tensor(inputs, new[] { (long)trainRows }.Concat(sampleShape).ToArray(), device: device);
        var y = torch.tensor(targets, new long[] { trainRows, outputs }, device: device);
        using var source = new WindowBatchSource(network, x, y, settings.BatchSize, settings.Shuffle,
            loss == ForecastLoss.AbsoluteError ? (p, t) => nn.functional.l1_loss(p, t) : (p, t) => nn.functional.mse_loss(p, t));
        using var vx = validationRows > 0 ? torch.tensor(validationInputs, new[] { (long)validationRows }.Concat(sampleShape).ToArray(), device: device) : null;
        using var vy = validationRows > 0 ? torch.tensor(validationTargets, new long[] { validationRows, outputs }, device: device) : null;

        string stage = (settings.Members > 1 ? $"member {settings.Member + 1}/{settings.Members} " : string.Empty) + (settings.Stage == TrainingStage.Refit ? "refit " : string.Empty);
        var run = new TrainingRun
        {
            Stage = settings.CheckpointPrefix + (settings.Stage == TrainingStage.Refit ? "refit" : "training"),
            Epochs = settings.Epochs,
            LearningRate = settings.LearningRate,
            ShuffleSeed = settings.Seed,
            Clipping = new GradientClipping(settings.GradientClipNorm),
            EarlyStopping = new EarlyStopping(settings.Patience, settings.RestoreBestWeights),
            Schedule = settings.Schedule?.Invoke() ?? new ConstantSchedule(),
            Validate = vx is not null && vy is not null ? () => Evaluate(network, vx, vy, settings.BatchSize, loss) : null,
            OnEpoch = e =>
            {
                progress?.Report(new TrainingProgress(e.Epoch, e.MaxEpochs, e.TrainLoss, e.ValidationLoss, e.KeptEpoch, e.Elapsed, settings.Stage)
                {
                    Member = settings.Member,
                    Members = settings.Members,
                });
                log?.Invoke(e.ValidationLoss is null
                    ? $"{stage}epoch {e.Epoch}/{e.MaxEpochs}: train loss {e.TrainLoss:G6}"
                    : $"{stage}epoch {e.Epoch}/{e.MaxEpochs}: train loss {e.TrainLoss:G6}, validation loss {e.ValidationLoss:G6}");
            },
            Log = log,
            CancellationToken = cancellationToken,
            Checkpoints = checkpoints,
        };
        return TrainingEngine.Run(network, source, run).History;
    }

    /// <summary>Mean squared (or absolute) error over all rows, computed in batches without gradients.</summary>
    public static double Evaluate(RecurrentSequenceNetwork network, Tensor inputs, Tensor targets, int batchSize, ForecastLoss loss = ForecastLoss.SquaredError)
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
            var error = prediction - targets.narrow(0, start, count);
            sum += (loss == ForecastLoss.AbsoluteError ? error.abs() : error.square()).sum().item<float>();
        }
        return sum / (rows * targets.shape[1]);
    }
}
