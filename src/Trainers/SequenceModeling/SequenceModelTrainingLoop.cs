using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.SequenceModeling;

/// <summary>Settings of one float-sequence training run.</summary>
internal sealed record SequenceTrainingSettings(int Epochs, int BatchSize, double LearningRate, double GradientClipNorm, int Patience, int Seed)
{
    /// <summary>The run's learning-rate schedule.</summary>
    public required LearningRateSchedule Schedule { get; init; }

    /// <summary>0-based ensemble member being trained.</summary>
    public int Member { get; init; }

    /// <summary>Members in the ensemble; 1 for a single network.</summary>
    public int Members { get; init; } = 1;
}

/// <summary>
/// Mini-batch training over fixed-shape float sequences <c>[rows, steps, features]</c> through the one engine: shuffled
/// <see cref="WindowBatchSource"/> batches, the kind's loss (BCE on the logit, softmax cross-entropy, or MSE of the scaled label),
/// Adam, clipping, early stopping on the validation loss with the best weights restored.
/// </summary>
internal static class SequenceModelTrainingLoop
{
    /// <summary>Trains <paramref name="network"/>; the data are already scaled.</summary>
    public static TrainingHistory Train(RecurrentSequenceNetwork network, Device device, SequenceModelKind kind, float[] train, float[] trainTargets,
        float[] validation, float[] validationTargets, long[] rowShape, SequenceTrainingSettings settings, IProgress<TrainingProgress>? progress,
        Action<string>? log, CancellationToken cancellationToken, CheckpointStore? checkpoints)
    {
        var x = Rows(train, rowShape, device);
        var y = Targets(trainTargets, kind, device);
        using var source = new WindowBatchSource(network, x, y, settings.BatchSize, shuffle: true, (p, t) => Loss(p, t, kind));
        using var vx = validationTargets.Length > 0 ? Rows(validation, rowShape, device) : null;
        using var vy = validationTargets.Length > 0 ? Targets(validationTargets, kind, device) : null;
        string member = settings.Members > 1 ? $"member {settings.Member + 1}/{settings.Members} " : string.Empty;
        var run = new TrainingRun
        {
            Stage = EnsembleWeights.Prefix(settings.Members, settings.Member) + "training",
            Epochs = settings.Epochs,
            LearningRate = settings.LearningRate,
            ShuffleSeed = settings.Seed,
            Clipping = new GradientClipping(settings.GradientClipNorm),
            EarlyStopping = new EarlyStopping(settings.Patience) { UntrainedLoss = UntrainedLoss(trainTargets, kind) },
            Schedule = settings.Schedule,
            Validate = vx is not null && vy is not null ? () => Evaluate(network, vx, vy, kind, settings.BatchSize) : null,
            OnEpoch = e =>
            {
                progress?.Report(new TrainingProgress(e.Epoch, e.MaxEpochs, e.TrainLoss, e.ValidationLoss, e.KeptEpoch, e.Elapsed) { Member = settings.Member, Members = settings.Members });
                log?.Invoke(e.ValidationLoss is null
                    ? $"{member}epoch {e.Epoch}: train loss {e.TrainLoss:G5}"
                    : $"{member}epoch {e.Epoch}: train loss {e.TrainLoss:G5}, validation loss {e.ValidationLoss:G5}");
            },
            Log = log,
            CancellationToken = cancellationToken,
            Checkpoints = checkpoints,
        };
        return TrainingEngine.Run(network, source, run).History;
    }

    /// <summary>The head's values before any activation, <c>[rows · outputs]</c> in row order, computed without gradients.</summary>
    public static float[] HeadValues(RecurrentSequenceNetwork network, float[] rows, long[] rowShape, int batchSize)
    {
        network.eval();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var x = Rows(rows, rowShape, torch.CPU);
        long count = x.shape[0];
        var result = new List<float>();
        for (long start = 0; start < count; start += batchSize)
            result.AddRange(network.call(x.narrow(0, start, Math.Min(batchSize, count - start))).contiguous().data<float>().ToArray());
        return result.ToArray();
    }

    /// <summary>Mean loss over all rows, in batches, without gradients.</summary>
    private static double Evaluate(RecurrentSequenceNetwork network, Tensor inputs, Tensor targets, SequenceModelKind kind, int batchSize)
    {
        network.eval();
        using var noGrad = torch.no_grad();
        long rows = inputs.shape[0];
        double sum = 0;
        for (long start = 0; start < rows; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            long count = Math.Min(batchSize, rows - start);
            sum += Loss(network.call(inputs.narrow(0, start, count)), targets.narrow(0, start, count), kind).item<float>() * count;
        }
        return sum / rows;
    }

    private static Tensor Rows(float[] values, long[] rowShape, Device device) =>
        torch.tensor(values, new[] { values.Length / (rowShape[0] * rowShape[1]) }.Concat(rowShape).ToArray(), device: device);

    private static Tensor Targets(float[] values, SequenceModelKind kind, Device device) => kind == SequenceModelKind.MulticlassClassification
        ? torch.tensor(values.Select(v => (long)v).ToArray(), device: device)
        : torch.tensor(values, new long[] { values.Length, 1 }, device: device);

    private static Tensor Loss(Tensor prediction, Tensor targets, SequenceModelKind kind) => kind switch
    {
        SequenceModelKind.BinaryClassification => nn.functional.binary_cross_entropy_with_logits(prediction, targets),
        SequenceModelKind.MulticlassClassification => nn.functional.cross_entropy(prediction, targets),
        _ => nn.functional.mse_loss(prediction, targets),
    };

    /// <summary>What a network that has learned nothing scores: the label entropy of a classifier, the variance of the scaled label.</summary>
    private static double UntrainedLoss(float[] targets, SequenceModelKind kind)
    {
        if (targets.Length == 0)
            return 0;
        if (kind == SequenceModelKind.Regression)
        {
            double mean = targets.Average(v => (double)v);
            return targets.Average(v => (v - mean) * (v - mean));
        }
        return -targets.GroupBy(v => v).Select(g => (double)g.Count() / targets.Length).Sum(p => p * Math.Log(p));
    }
}
