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
/// Mini-batch training over float sequences through the one engine: equal-length rows as shuffled <see cref="WindowBatchSource"/>
/// batches of <c>[rows, steps, features]</c>, rows of different lengths as length-bucketed, packed <see cref="RaggedFloatBatchSource"/>
/// batches; the kind's loss (BCE on the logit, softmax cross-entropy, or MSE of the scaled label), Adam, clipping, early stopping on the
/// validation loss with the best weights restored.
/// </summary>
internal static class SequenceModelTrainingLoop
{
    /// <summary>
    /// Trains <paramref name="network"/>; the data are already scaled, each row its steps one after another. <paramref name="ragged"/>:
    /// rows may differ in length (batches then carry lengths); false: every row has the same steps.
    /// </summary>
    public static TrainingHistory Train(RecurrentSequenceNetwork network, Device device, SequenceModelKind kind, float[][] train, float[] trainTargets,
        float[][] validation, float[] validationTargets, int features, bool ragged, SequenceTrainingSettings settings, IProgress<TrainingProgress>? progress,
        Action<string>? log, CancellationToken cancellationToken, CheckpointStore? checkpoints)
    {
        var y = Targets(trainTargets, kind, device);
        using IBatchSource source = ragged
            ? new RaggedFloatBatchSource(network, train, y, features, settings.BatchSize, (p, t) => Loss(p, t, kind))
            : new WindowBatchSource(network, Equal(train, features, device), y, settings.BatchSize, shuffle: true, (p, t) => Loss(p, t, kind));
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
            Validate = vy is not null ? () => Evaluate(network, validation, vy, features, ragged, kind, settings.BatchSize, device) : null,
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

    /// <summary>The head's values before any activation, <c>[rows · outputs]</c> in row order, computed on the CPU without gradients.</summary>
    public static float[] HeadValues(RecurrentSequenceNetwork network, float[][] rows, int features, bool ragged, int batchSize)
    {
        network.eval();
        using var noGrad = torch.no_grad();
        var result = new List<float>();
        ForEachBatch(network, rows, features, ragged, batchSize, torch.CPU, (output, _, _) => result.AddRange(output.contiguous().data<float>().ToArray()));
        return result.ToArray();
    }

    /// <summary>Mean loss over all rows, in batches, without gradients.</summary>
    private static double Evaluate(RecurrentSequenceNetwork network, float[][] rows, Tensor targets, int features, bool ragged, SequenceModelKind kind, int batchSize, Device device)
    {
        network.eval();
        using var noGrad = torch.no_grad();
        double sum = 0;
        ForEachBatch(network, rows, features, ragged, batchSize, device,
            (output, start, count) => sum += Loss(output, targets.narrow(0, start, count), kind).item<float>() * count);
        return sum / rows.Length;
    }

    /// <summary>Runs consecutive batches of rows through the network (each in its own dispose scope) and hands each head output on.</summary>
    private static void ForEachBatch(RecurrentSequenceNetwork network, float[][] rows, int features, bool ragged, int batchSize, Device device, Action<Tensor, int, int> onBatch)
    {
        for (int start = 0; start < rows.Length; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            int count = Math.Min(batchSize, rows.Length - start);
            Tensor output;
            if (ragged)
            {
                var (x, lengths) = RaggedFloatBatchSource.Pad(rows, Enumerable.Range(start, count).ToArray(), features, device);
                var result = network.Forward(x, lengths);
                result.FinalHidden.Dispose();
                result.FinalCell?.Dispose();
                output = result.Output;
            }
            else
            {
                output = network.call(Equal(rows[start..(start + count)], features, device));
            }
            onBatch(output, start, count);
        }
    }

    /// <summary>Equal-length rows as one tensor <c>[rows, steps, features]</c>.</summary>
    private static Tensor Equal(float[][] rows, int features, Device device)
    {
        int width = rows.Length == 0 ? features : rows[0].Length;
        var values = new float[rows.Length * width];
        for (int i = 0; i < rows.Length; i++)
            rows[i].CopyTo(values, i * width);
        return torch.tensor(values, new long[] { rows.Length, width / features, features }, device: device);
    }

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
