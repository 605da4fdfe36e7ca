using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers;

/// <summary>Settings of one text-classifier training run.</summary>
internal sealed record TextClassificationSettings(int Epochs, int BatchSize, double LearningRate, double GradientClipNorm, int Patience, int Seed, int PadId);

/// <summary>
/// Mini-batch training over variable-length id sequences: every epoch the rows are ordered by length (ties broken at random) and cut
/// into batches, so each batch is padded only to its own longest row, and the batch order is shuffled; each batch runs as a packed
/// sequence, so padding never reaches a state. Binary (one logit, BCE) or multiclass (softmax cross-entropy), Adam, clipping,
/// early stopping on the validation loss with the best weights restored.
/// </summary>
internal static class TextClassificationTrainingLoop
{
    public static TrainingHistory Train(RecurrentSequenceNetwork network, Device device, long[][] train, int[] trainLabels, long[][] validation, int[] validationLabels,
        bool binary, TextClassificationSettings settings, IProgress<TrainingProgress>? progress, Action<string>? log, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        using var optimizer = torch.optim.Adam(network.parameters(), settings.LearningRate);
        var random = new Random(settings.Seed);
        var trainLosses = new List<double>();
        var validationLosses = new List<double>();
        double best = double.PositiveInfinity;
        int bestEpoch = 0;
        bool stoppedEarly = false;
        Dictionary<string, Tensor>? bestState = null;
        try
        {
            for (int epoch = 1; epoch <= settings.Epochs; epoch++)
            {
                network.train();
                double lossSum = 0;
                foreach (var batch in Batches(train, settings.BatchSize, random))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var scope = torch.NewDisposeScope();
                    var (x, lengths) = Pad(train, batch, settings.PadId, device);
                    optimizer.zero_grad();
                    using var output = network.Forward(x, lengths);
                    var loss = Loss(output.Output, trainLabels, batch, binary, device);
                    loss.backward();
                    if (settings.GradientClipNorm > 0)
                        nn.utils.clip_grad_norm_(network.parameters(), settings.GradientClipNorm);
                    optimizer.step();
                    lossSum += loss.item<float>() * batch.Length;
                }
                double trainLoss = lossSum / train.Length;
                trainLosses.Add(trainLoss);
                double? validationLoss = validation.Length > 0 ? Evaluate(network, device, validation, validationLabels, binary, settings) : null;
                if (validationLoss is { } v)
                    validationLosses.Add(v);
                double monitored = validationLoss ?? trainLoss;
                if (!double.IsFinite(monitored))
                    throw new InvalidOperationException($"Training diverged at epoch {epoch} (loss is {monitored}). Lower the learning rate ({settings.LearningRate}).");
                if (monitored < best)
                {
                    best = monitored;
                    bestEpoch = epoch;
                    WeightSnapshot.Dispose(bestState);
                    bestState = WeightSnapshot.Take(network);
                }
                progress?.Report(new TrainingProgress(epoch, settings.Epochs, trainLoss, validationLoss, bestEpoch, stopwatch.Elapsed));
                log?.Invoke(validationLoss is null ? $"epoch {epoch}: train loss {trainLoss:G5}" : $"epoch {epoch}: train loss {trainLoss:G5}, validation loss {validationLoss:G5}");
                if (settings.Patience > 0 && epoch - bestEpoch >= settings.Patience && epoch < settings.Epochs)
                {
                    stoppedEarly = true;
                    log?.Invoke($"early stop after epoch {epoch}: no improvement for {settings.Patience} epochs; restoring epoch {bestEpoch}");
                    break;
                }
            }
            if (bestState is not null)
                WeightSnapshot.Restore(network, bestState);
        }
        finally
        {
            WeightSnapshot.Dispose(bestState);
        }
        network.eval();
        return new TrainingHistory(trainLosses, validationLosses, bestEpoch, stoppedEarly, stopwatch.Elapsed);
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
    public static float[] Predict(RecurrentSequenceNetwork network, Device device, long[][] rows, int batchSize, int padId)
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
            var probabilities = network.Activate(output.Output).cpu().contiguous().data<float>().ToArray();
            for (int i = 0; i < batch.Length; i++)
                probabilities.AsSpan(i * outputs, outputs).CopyTo(result.AsSpan(batch[i] * outputs, outputs));
        }
        return result;
    }

    /// <summary>Row indices in batches of similar length: sorted by length (ties at random when shuffling), then the batch order shuffled.</summary>
    public static List<int[]> Batches(long[][] rows, int batchSize, Random? random)
    {
        var keys = random is null ? null : rows.Select(_ => random.Next()).ToArray();
        var order = Enumerable.Range(0, rows.Length).OrderBy(i => rows[i].Length).ThenBy(i => keys?[i] ?? i).ToArray();
        var batches = order.Chunk(batchSize).ToList();
        if (random is not null)
            random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batches));
        return batches;
    }

    /// <summary>Pads a batch to its longest row: ids <c>[batch, longest]</c> on the device and lengths (int64, CPU) for packing.</summary>
    public static (Tensor Ids, Tensor Lengths) Pad(long[][] rows, int[] batch, int padId, Device device)
    {
        int longest = batch.Max(i => rows[i].Length);
        var ids = new long[batch.Length * longest];
        Array.Fill(ids, padId);
        for (int r = 0; r < batch.Length; r++)
            rows[batch[r]].CopyTo(ids, r * longest);
        return (torch.tensor(ids, new long[] { batch.Length, longest }, device: device), torch.tensor(batch.Select(i => (long)rows[i].Length).ToArray()));
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
