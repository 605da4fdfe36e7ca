using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.Training;

/// <summary>
/// The one epoch/batch loop every model family trains with: per batch zero-grad, the source's loss, backward, clipping, an Adam
/// step; per epoch validation, the divergence guard, early stopping, reports, the time budget, the learning-rate schedule and a
/// checkpoint. What varies between families is the <see cref="IBatchSource"/> and the pieces in the <see cref="TrainingRun"/>.
/// </summary>
internal static class TrainingEngine
{
    /// <summary>Trains <paramref name="network"/> (already on its device) on <paramref name="source"/>; the network ends in eval mode.</summary>
    /// <exception cref="TrainingDivergedException">A loss stopped being finite.</exception>
    /// <exception cref="OperationCanceledException">The run's token was cancelled (a checkpoint is written first when checkpointing).</exception>
    public static TrainingOutcome Run(nn.Module network, IBatchSource source, TrainingRun run)
    {
        var clock = Stopwatch.StartNew();
        var stepClock = new Stopwatch();
        var early = run.EarlyStopping ?? new EarlyStopping(0);
        using var optimizer = new AdamOptimizer(network.parameters(), run.LearningRate);
        var random = new Random(run.ShuffleSeed);
        var trainLosses = new List<double>();
        var validationLosses = new List<double>();
        TimeSpan priorElapsed = TimeSpan.Zero, priorStep = TimeSpan.Zero;
        long items = 0;
        int firstEpoch = 1, skipBatches = 0;
        double partialSum = 0, partialLast = double.NaN;
        long partialCount = 0;

        var checkpoint = run.Checkpoints?.Latest(run.Stage);
        if (checkpoint is not null)
        {
            try
            {
                var h = checkpoint.Header;
                LoadWeights(network, checkpoint.Group("weights"));
                trainLosses.AddRange(h.TrainLoss);
                validationLosses.AddRange(h.ValidationLoss);
                if (h.Completed)
                {
                    run.Log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{run.Stage}: already completed in checkpoint ({h.Epoch} epochs); using its weights"));
                    network.eval();
                    var doneHistory = new TrainingHistory(trainLosses, validationLosses, h.KeptEpoch, h.StoppedEarly, TimeSpan.FromSeconds(h.ElapsedSeconds),
                        resumedEpochs: h.Epoch);
                    return new TrainingOutcome(doneHistory, h.ItemsTrained, TimeSpan.FromSeconds(h.StepSeconds), h.StoppedByTimeBudget, h.Epoch);
                }
                optimizer.LoadState(h.OptimizerSteps, checkpoint.Group("optimizer"));
                optimizer.LearningRate = h.LearningRate;
                run.Schedule.LoadState(h.ScheduleState);
                var best = checkpoint.Group("best");
                early.LoadState(double.Parse(h.BestLoss, CultureInfo.InvariantCulture), h.BestEpoch,
                    best.Count > 0 ? best.ToDictionary(kv => kv.Key, kv => kv.Value.to(ParameterDevice(network)).clone().DetachFromDisposeScope()) : null);
                if (checkpoint.Tensors.TryGetValue("rng/torch", out var rng))
                    torch.random.set_rng_state(rng);
                priorElapsed = TimeSpan.FromSeconds(h.ElapsedSeconds);
                priorStep = TimeSpan.FromSeconds(h.StepSeconds);
                items = h.ItemsTrained;
                // Replay the finished epochs' batch orders, so the shuffling stream continues where the interrupted run left it.
                for (int e = 1; e <= h.Epoch; e++)
                    source.StartEpoch(random);
                firstEpoch = h.Epoch + 1;
                skipBatches = h.BatchesDone;
                partialSum = h.PartialLossSum;
                partialCount = h.PartialCount;
                partialLast = h.PartialLastBatchLoss;
                run.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                    $"{run.Stage}: resuming after epoch {h.Epoch}{(h.BatchesDone > 0 ? $" and {h.BatchesDone} batch(es) of epoch {h.Epoch + 1}" : "")} from '{run.Checkpoints!.Directory}'"));
            }
            finally
            {
                checkpoint.DisposeTensors();
            }
        }
        else if (run.Checkpoints is { Resume: true })
        {
            run.Log?.Invoke($"{run.Stage}: no checkpoint to resume from in '{run.Checkpoints.Directory}'; starting from the beginning");
        }

        TimeSpan Elapsed() => priorElapsed + clock.Elapsed;
        TimeSpan StepTime() => priorStep + stepClock.Elapsed;
        bool stoppedEarly = false, outOfTime = false;
        try
        {
            for (int epoch = firstEpoch; epoch <= run.Epochs && !outOfTime; epoch++)
            {
                run.CancellationToken.ThrowIfCancellationRequested();
                network.train();
                ApplyRateScales(network, optimizer, run.RateScales, epoch);
                source.StartEpoch(random);
                int batchCount = source.BatchCount;
                double lossSum = 0, lastBatch = double.NaN;
                long epochItems = 0;
                int batch = 0;
                if (skipBatches > 0)
                {
                    // A checkpoint taken mid-epoch: its batches are done; continue with the carried state it saved.
                    if (checkpoint is not null)
                        RestoreCarried(source, run, epoch);
                    batch = skipBatches;
                    (lossSum, epochItems, lastBatch) = (partialSum, partialCount, partialLast);
                    skipBatches = 0;
                }
                try
                {
                    for (; batch < batchCount; batch++)
                    {
                        if (run.CancellationToken.IsCancellationRequested)
                        {
                            if (run.Checkpoints is not null)
                                WriteAndRelease(run.Checkpoints, Capture(network, optimizer, early, run, source, epoch - 1, batch, lossSum, epochItems, lastBatch,
                                    trainLosses, validationLosses, items, StepTime(), Elapsed()));
                            run.CancellationToken.ThrowIfCancellationRequested();
                        }
                        double batchLoss;
                        long count;
                        stepClock.Start();
                        using (var scope = torch.NewDisposeScope())
                        {
                            optimizer.ZeroGrad();
                            var loss = source.Loss(batch);
                            loss.Loss.backward();
                            run.Clipping?.Apply(optimizer.Parameters);
                            optimizer.Step();
                            batchLoss = loss.Loss.item<float>();
                            count = loss.Count;
                        }
                        stepClock.Stop();
                        lossSum += batchLoss * count;
                        epochItems += count;
                        items += count;
                        lastBatch = batchLoss;
                        run.OnBatch?.Invoke(new BatchReport(epoch, run.Epochs, batch + 1, batchCount, batchLoss, lossSum / epochItems, items, StepTime(), Elapsed()));
                        if (run.TimeBudget is { } budget && budget.IsExhausted(Elapsed()))
                        {
                            outOfTime = true;
                            batch++;
                            break;
                        }
                    }
                }
                finally
                {
                    source.EndEpoch();
                }

                double trainLoss = lossSum / Math.Max(epochItems, 1);
                trainLosses.Add(trainLoss);
                double? validationLoss = run.Validate?.Invoke();
                if (validationLoss is { } v)
                    validationLosses.Add(v);
                DivergenceGuard.Check(epoch, "training", trainLoss, optimizer.LearningRate, run.Clipping?.MaxNorm ?? 0);
                if (validationLoss is { } checkedValidation)
                    DivergenceGuard.Check(epoch, "validation", checkedValidation, optimizer.LearningRate, run.Clipping?.MaxNorm ?? 0);
                double monitored = validationLoss ?? trainLoss;
                early.Observe(epoch, monitored, network);
                run.OnEpoch?.Invoke(new EpochReport(epoch, run.Epochs, trainLoss, validationLoss, early.RestoresBestWeights ? early.BestEpoch : epoch,
                    batch, batchCount, lastBatch, optimizer.LearningRate, items, StepTime(), Elapsed()));
                if (outOfTime)
                {
                    run.Log?.Invoke($"time budget of {run.TimeBudget!.Budget} reached during epoch {epoch}");
                }
                else if (early.ShouldStop(epoch, run.Epochs))
                {
                    stoppedEarly = true;
                    run.Log?.Invoke(early.RestoresBestWeights
                        ? $"early stop after epoch {epoch}: no improvement for {early.Patience} epochs; restoring epoch {early.BestEpoch}"
                        : $"early stop after epoch {epoch}: no improvement for {early.Patience} epochs");
                }
                else
                {
                    optimizer.LearningRate = run.Schedule.Next(optimizer.LearningRate, run.LearningRate, epoch, monitored);
                }
                if (run.Checkpoints is not null && !stoppedEarly && !outOfTime && epoch < run.Epochs)
                    WriteAndRelease(run.Checkpoints, Capture(network, optimizer, early, run, source, epoch, 0, 0, 0, double.NaN,
                        trainLosses, validationLosses, items, StepTime(), Elapsed()));
                if (stoppedEarly)
                    break;
            }
            early.RestoreBest(network);
            network.eval();
            var history = new TrainingHistory(trainLosses, validationLosses, early.KeptEpoch(trainLosses.Count), stoppedEarly, Elapsed(),
                resumedEpochs: firstEpoch - 1);
            run.Checkpoints?.Write(Completed(network, run, history, items, StepTime(), outOfTime));
            return new TrainingOutcome(history, items, StepTime(), outOfTime, firstEpoch - 1);
        }
        finally
        {
            early.Dispose();
        }
    }

    private static void ApplyRateScales(nn.Module network, AdamOptimizer optimizer, IReadOnlyList<ParameterRateScale> scales, int epoch)
    {
        if (scales.Count == 0)
            return;
        // The optimizer holds network.parameters() in named_parameters() order, so a name's position is its index.
        var names = network.named_parameters().Select(p => p.name).ToList();
        foreach (var scale in scales)
        {
            int index = names.IndexOf(scale.ParameterName);
            if (index < 0)
                throw new InvalidOperationException($"A learning-rate scale names the parameter '{scale.ParameterName}', which the network does not have ({string.Join(", ", names)}).");
            optimizer.SetRateScale(index, scale.ForEpoch(epoch));
        }
    }

    private static void RestoreCarried(IBatchSource source, TrainingRun run, int epoch)
    {
        // The checkpoint's tensors were disposed after loading; read the carried state again from the newest file.
        var again = run.Checkpoints!.Latest(run.Stage);
        if (again is null)
            return;
        try
        {
            source.RestoreCarriedState(again.Group("carried"));
        }
        finally
        {
            again.DisposeTensors();
        }
    }

    private static void WriteAndRelease(CheckpointStore store, TrainingCheckpoint checkpoint)
    {
        try
        {
            store.Write(checkpoint);
        }
        finally
        {
            checkpoint.Tensors["rng/torch"].Dispose();
        }
    }

    private static TrainingCheckpoint Capture(nn.Module network, AdamOptimizer optimizer, EarlyStopping early, TrainingRun run, IBatchSource source,
        int epochsDone, int batchesDone, double partialSum, long partialCount, double partialLast,
        List<double> trainLosses, List<double> validationLosses, long items, TimeSpan stepTime, TimeSpan elapsed)
    {
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (name, tensor) in network.state_dict())
            tensors["weights/" + name] = tensor;
        foreach (var (name, tensor) in optimizer.StateTensors())
            tensors["optimizer/" + name] = tensor;
        if (early.BestWeights is { } best)
            foreach (var (name, tensor) in best)
                tensors["best/" + name] = tensor;
        foreach (var (name, tensor) in source.CarriedState())
            tensors["carried/" + name] = tensor;
        // Disposed by WriteAndRelease once written: the other tensors belong to the network, the optimizer and early stopping.
        tensors["rng/torch"] = torch.random.get_rng_state();
        var checkpoint = new TrainingCheckpoint
        {
            Header = new CheckpointHeader
            {
                Stage = run.Stage,
                Epoch = epochsDone,
                BatchesDone = batchesDone,
                PartialLossSum = partialSum,
                PartialCount = partialCount,
                PartialLastBatchLoss = double.IsNaN(partialLast) ? 0 : partialLast,
                TrainLoss = trainLosses.ToList(),
                ValidationLoss = validationLosses.ToList(),
                BestLoss = early.BestLoss.ToString("R", CultureInfo.InvariantCulture),
                BestEpoch = early.BestEpoch,
                LearningRate = optimizer.LearningRate,
                ScheduleState = run.Schedule.State,
                OptimizerSteps = optimizer.Steps,
                ItemsTrained = items,
                StepSeconds = stepTime.TotalSeconds,
                ElapsedSeconds = elapsed.TotalSeconds,
            },
            Tensors = tensors,
        };
        return checkpoint;
    }

    private static TrainingCheckpoint Completed(nn.Module network, TrainingRun run, TrainingHistory history, long items, TimeSpan stepTime, bool outOfTime)
    {
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (name, tensor) in network.state_dict())
            tensors["weights/" + name] = tensor;
        return new TrainingCheckpoint
        {
            Header = new CheckpointHeader
            {
                Stage = run.Stage,
                Completed = true,
                Epoch = history.EpochsRun,
                TrainLoss = history.TrainLoss.ToList(),
                ValidationLoss = history.ValidationLoss.ToList(),
                KeptEpoch = history.BestEpoch,
                StoppedEarly = history.StoppedEarly,
                StoppedByTimeBudget = outOfTime,
                ItemsTrained = items,
                StepSeconds = stepTime.TotalSeconds,
                ElapsedSeconds = history.Duration.TotalSeconds,
            },
            Tensors = tensors,
        };
    }

    private static void LoadWeights(nn.Module network, Dictionary<string, Tensor> weights)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, current) in network.state_dict())
        {
            if (!weights.TryGetValue(name, out var saved) || !saved.shape.SequenceEqual(current.shape))
                throw new InvalidDataException($"The checkpoint has no weight '{name}' of shape [{string.Join(", ", current.shape)}]; it belongs to another network.");
            current.copy_(saved);
        }
    }

    private static Device ParameterDevice(nn.Module network) => network.parameters().FirstOrDefault()?.device ?? torch.CPU;
}
