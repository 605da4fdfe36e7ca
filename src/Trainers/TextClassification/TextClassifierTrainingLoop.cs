using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.TextClassification;

/// <summary>Settings of one text-classifier training run.</summary>
internal sealed record TextClassificationSettings(int Epochs, int BatchSize, double LearningRate, double GradientClipNorm, int Patience, int Seed, int PadId)
{
    /// <summary>The run's learning-rate schedule; null for a constant rate.</summary>
    public LearningRateSchedule? Schedule { get; init; }

    /// <summary>0-based ensemble member being trained (named in progress reports and checkpoint stages).</summary>
    public int Member { get; init; }

    /// <summary>Members in the ensemble; 1 for a single network.</summary>
    public int Members { get; init; } = 1;

    /// <summary>Word dropout on training batches; null for none.</summary>
    public TokenDropout? WordDropout { get; init; }

    /// <summary>Per-parameter learning-rate scales (pretrained embedding rows); empty for none.</summary>
    public IReadOnlyList<ParameterRateScale> RateScales { get; init; } = Array.Empty<ParameterRateScale>();
}

/// <summary>
/// Mini-batch training over variable-length id sequences: every epoch the rows are ordered by length (ties broken at random) and cut
/// into batches, so each batch is padded only to its own longest row, and the batch order is shuffled; each batch runs as a packed
/// sequence, so padding never reaches a state. Binary (one logit, BCE) or multiclass (softmax cross-entropy), Adam, clipping,
/// early stopping on the validation loss with the best weights restored.
/// </summary>
internal static class TextClassifierTrainingLoop
{
    public static TrainingHistory Train(RecurrentSequenceNetwork network, Device device, long[][] train, int[] trainLabels, long[][] validation, int[] validationLabels,
        bool binary, TextClassificationSettings settings, IProgress<TrainingProgress>? progress, Action<string>? log, CancellationToken cancellationToken,
        CheckpointStore? checkpoints = null)
    {
        using var source = new LengthBucketedBatchSource(network, train, settings.BatchSize, settings.PadId, device,
            (logits, batch) => Loss(logits, trainLabels, batch, binary, device), settings.WordDropout);
        string member = settings.Members > 1 ? $"member {settings.Member + 1}/{settings.Members} " : string.Empty;
        var run = new TrainingRun
        {
            Stage = EnsembleWeights.Prefix(settings.Members, settings.Member) + "training",
            Epochs = settings.Epochs,
            LearningRate = settings.LearningRate,
            ShuffleSeed = settings.Seed,
            Clipping = new GradientClipping(settings.GradientClipNorm),
            EarlyStopping = new EarlyStopping(settings.Patience) { UntrainedLoss = LabelEntropy(trainLabels, binary) },
            Schedule = settings.Schedule ?? new ConstantSchedule(),
            RateScales = settings.RateScales,
            Validate = validation.Length > 0 ? () => Evaluate(network, device, validation, validationLabels, binary, settings) : null,
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

    /// <summary>Mean loss over rows, in length-ordered batches, without gradients.</summary>
    public static double Evaluate(RecurrentSequenceNetwork network, Device device, long[][] rows, int[] labels, bool binary, TextClassificationSettings settings)
    {
        network.eval();
        using var noGrad = torch.no_grad();
        double sum = 0;
        foreach (var batch in Batches(rows, settings.BatchSize, null))
        {
            using var scope = torch.NewDisposeScope();
            var (x, lengths) = Pad(rows, batch, settings.PadId, device);
            using var output = network.Forward(x, lengths);
            sum += Loss(output.Output, labels, batch, binary, device).item<float>() * batch.Length;
        }
        return sum / rows.Length;
    }

    /// <summary>Probabilities for rows (sigmoid of the one logit, or the softmax), in row order.</summary>
    public static float[] Predict(RecurrentSequenceNetwork network, Device device, long[][] rows, int batchSize, int padId) =>
        Predict(network, device, rows, batchSize, padId, activate: true);

    /// <summary>The head's values before the activation (logits), in row order: what an ensemble averages.</summary>
    public static float[] PredictLogits(RecurrentSequenceNetwork network, Device device, long[][] rows, int batchSize, int padId) =>
        Predict(network, device, rows, batchSize, padId, activate: false);

    private static float[] Predict(RecurrentSequenceNetwork network, Device device, long[][] rows, int batchSize, int padId, bool activate)
    {
        network.eval();
        using var noGrad = torch.no_grad();
        int outputs = network.Description.OutputSize;
        var result = new float[rows.Length * outputs];
        foreach (var batch in Batches(rows, batchSize, null))
        {
            using var scope = torch.NewDisposeScope();
            var (x, lengths) = Pad(rows, batch, padId, device);
            using var output = network.Forward(x, lengths);
            var probabilities = (activate ? network.Activate(output.Output) : output.Output).cpu().contiguous().data<float>().ToArray();
            for (int i = 0; i < batch.Length; i++)
                probabilities.AsSpan(i * outputs, outputs).CopyTo(result.AsSpan(batch[i] * outputs, outputs));
        }
        return result;
    }

    /// <inheritdoc cref="LengthBucketedBatchSource.Batches(long[][], int, Random?)"/>
    public static List<int[]> Batches(long[][] rows, int batchSize, Random? random) => LengthBucketedBatchSource.Batches(rows, batchSize, random);

    /// <inheritdoc cref="LengthBucketedBatchSource.Pad"/>
    public static (Tensor Ids, Tensor Lengths) Pad(long[][] rows, int[] batch, int padId, Device device) => LengthBucketedBatchSource.Pad(rows, batch, padId, device);

    /// <summary>The cross-entropy of always predicting the training labels' shares: what a network that has learned nothing scores.</summary>
    internal static double LabelEntropy(int[] labels, bool binary)
    {
        if (labels.Length == 0)
            return 0;
        var shares = labels.GroupBy(l => l).Select(g => (double)g.Count() / labels.Length).ToArray();
        if (binary && shares.Length == 1)
            return 0;
        return -shares.Sum(p => p * Math.Log(p));
    }

    private static Tensor Loss(Tensor logits, int[] labels, int[] batch, bool binary, Device device)
    {
        if (binary)
        {
            var y = torch.tensor(batch.Select(i => (float)labels[i]).ToArray(), new long[] { batch.Length, 1 }, device: device);
            return nn.functional.binary_cross_entropy_with_logits(logits, y);
        }
        var classes = torch.tensor(batch.Select(i => (long)labels[i]).ToArray(), device: device);
        return nn.functional.cross_entropy(logits, classes);
    }
}
