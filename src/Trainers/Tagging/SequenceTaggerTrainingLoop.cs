using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.Tagging;

/// <summary>Settings of one tagger training run.</summary>
internal sealed record TaggerTrainingSettings(int Epochs, int BatchSize, double LearningRate, double GradientClipNorm, int Patience, int Seed)
{
    public LearningRateSchedule? Schedule { get; init; }
    public TokenDropout? WordDropout { get; init; }
    public IReadOnlyList<ParameterRateScale> RateScales { get; init; } = Array.Empty<ParameterRateScale>();
    public TimeSpan? TimeBudget { get; init; }
}

/// <summary>What training a tagger gave.</summary>
internal sealed record TaggerTrainingResult(TrainingHistory History, double TokensPerSecond, bool StoppedByTimeBudget, IReadOnlyList<double> ValidationAccuracy);

/// <summary>
/// Trains a tagger through the one engine over <see cref="TaggedBatchSource"/>: Adam, clipping, early stopping on the validation
/// token cross-entropy (best weights restored), the time budget; also evaluates and predicts in length-bucketed batches.
/// </summary>
internal static class SequenceTaggerTrainingLoop
{
    public static TaggerTrainingResult Train(RecurrentSequenceNetwork network, Device device, IReadOnlyList<EncodedSentence> train, IReadOnlyList<EncodedSentence> validation,
        TaggerTrainingSettings settings, IProgress<TrainingProgress>? progress, Action<string>? log, CancellationToken cancellationToken, CheckpointStore? checkpoints)
    {
        using var source = new TaggedBatchSource(network, train, settings.BatchSize, device, settings.WordDropout);
        var accuracies = new List<double>();
        var run = new TrainingRun
        {
            Epochs = settings.Epochs,
            LearningRate = settings.LearningRate,
            ShuffleSeed = settings.Seed,
            Clipping = new GradientClipping(settings.GradientClipNorm),
            EarlyStopping = new EarlyStopping(settings.Patience),
            Schedule = settings.Schedule ?? new ConstantSchedule(),
            RateScales = settings.RateScales,
            TimeBudget = settings.TimeBudget is { } budget ? new TrainingTimeBudget(budget) : null,
            Validate = validation.Count > 0 ? () =>
            {
                var (loss, accuracy) = Evaluate(network, device, validation, settings.BatchSize);
                accuracies.Add(accuracy);
                log?.Invoke($"validation token accuracy {accuracy:P2}");
                return loss;
            } : null,
            OnEpoch = e =>
            {
                progress?.Report(new TrainingProgress(e.Epoch, e.MaxEpochs, e.TrainLoss, e.ValidationLoss, e.KeptEpoch, e.Elapsed));
                log?.Invoke(e.ValidationLoss is null
                    ? $"epoch {e.Epoch}: train loss {e.TrainLoss:G5}"
                    : $"epoch {e.Epoch}: train loss {e.TrainLoss:G5}, validation loss {e.ValidationLoss:G5}");
            },
            Log = log,
            CancellationToken = cancellationToken,
            Checkpoints = checkpoints,
        };
        var outcome = TrainingEngine.Run(network, source, run);
        return new TaggerTrainingResult(outcome.History, outcome.ItemsPerSecond, outcome.StoppedByTimeBudget, accuracies);
    }

    /// <summary>Mean token cross-entropy and token accuracy over tagged sentences, without gradients.</summary>
    public static (double Loss, double Accuracy) Evaluate(RecurrentSequenceNetwork network, Device device, IReadOnlyList<EncodedSentence> rows, int batchSize)
    {
        network.eval();
        using var noGrad = torch.no_grad();
        double loss = 0;
        long correct = 0, tokens = 0;
        foreach (var indices in LengthBucketedBatchSource.Batches(rows.Select(r => r.Words).ToArray(), batchSize, null))
        {
            using var scope = torch.NewDisposeScope();
            var batch = TaggedBatches.Pad(rows, indices, device);
            var output = network.Forward(batch.Words, batch.Lengths, characters: batch.Characters).Output;
            var flat = output.reshape(-1, output.shape[2]);
            var targets = batch.Tags!.reshape(-1);
            loss += nn.functional.cross_entropy(flat, targets, ignore_index: TaggedBatches.IgnoredTag, reduction: nn.Reduction.Sum).item<float>();
            correct += flat.argmax(1).eq(targets).sum().item<long>();
            tokens += batch.Lengths.sum().item<long>();
        }
        network.train();
        return (loss / Math.Max(tokens, 1), (double)correct / Math.Max(tokens, 1));
    }

    /// <summary>Softmax probabilities of every valid token, <c>[tokens, tags]</c> flattened in sentence and token order.</summary>
    public static float[] Probabilities(RecurrentSequenceNetwork network, Device device, IReadOnlyList<EncodedSentence> rows, int batchSize)
    {
        network.eval();
        using var noGrad = torch.no_grad();
        int tags = network.Description.OutputSize;
        var offsets = new long[rows.Count + 1];
        for (int i = 0; i < rows.Count; i++)
            offsets[i + 1] = offsets[i] + rows[i].Words.Length;
        var result = new float[offsets[^1] * tags];
        foreach (var indices in LengthBucketedBatchSource.Batches(rows.Select(r => r.Words).ToArray(), batchSize, null))
        {
            using var scope = torch.NewDisposeScope();
            var batch = TaggedBatches.Pad(rows, indices, device);
            var probabilities = torch.softmax(network.Forward(batch.Words, batch.Lengths, characters: batch.Characters).Output, -1).cpu().contiguous();
            long longest = probabilities.shape[1];
            var values = probabilities.data<float>().ToArray();
            for (int r = 0; r < indices.Length; r++)
            {
                int row = indices[r], length = rows[row].Words.Length;
                values.AsSpan((int)(r * longest * tags), length * tags).CopyTo(result.AsSpan((int)(offsets[row] * tags), length * tags));
            }
        }
        return result;
    }
}
