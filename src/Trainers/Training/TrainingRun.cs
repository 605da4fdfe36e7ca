namespace MlNetRnn.Trainers.Training;

/// <summary>What one run of the <see cref="TrainingEngine"/> does: the epoch budget and the pieces it composes.</summary>
internal sealed class TrainingRun
{
    /// <summary>Name of the stage (a fit may run several, e.g. training then refit); checkpoints are kept per stage.</summary>
    public string Stage { get; init; } = "training";

    /// <summary>Most epochs.</summary>
    public required int Epochs { get; init; }

    /// <summary>Initial Adam learning rate.</summary>
    public required double LearningRate { get; init; }

    /// <summary>Seed of the shuffling random stream (batch order).</summary>
    public int ShuffleSeed { get; init; }

    /// <summary>Global gradient-norm clipping; null or a norm of 0 disables it.</summary>
    public GradientClipping? Clipping { get; init; }

    /// <summary>Early stopping (best-epoch tracking and restore); null means patience 0 with the best weights restored.</summary>
    public EarlyStopping? EarlyStopping { get; init; }

    /// <summary>The learning rate after each epoch. Default constant.</summary>
    public LearningRateSchedule Schedule { get; init; } = new ConstantSchedule();

    /// <summary>Per-parameter learning-rate scales by epoch (frozen or slower rows); empty for the full rate everywhere.</summary>
    public IReadOnlyList<ParameterRateScale> RateScales { get; init; } = Array.Empty<ParameterRateScale>();

    /// <summary>Wall-clock budget, checked after every batch; the epoch in progress is then validated and counted. Null for none.</summary>
    public TrainingTimeBudget? TimeBudget { get; init; }

    /// <summary>Validation loss of the current weights (the engine puts the network back into training mode afterwards); null without validation.</summary>
    public Func<double>? Validate { get; init; }

    /// <summary>Receives a report after every batch.</summary>
    public Action<BatchReport>? OnBatch { get; init; }

    /// <summary>Receives a report after every epoch (after validation).</summary>
    public Action<EpochReport>? OnEpoch { get; init; }

    /// <summary>Receives the engine's notes (early stop, time budget, resume).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Checked before every batch; a cancelled run writes a checkpoint first (when checkpointing).</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>Where checkpoints go and come from; null disables checkpointing.</summary>
    public CheckpointStore? Checkpoints { get; init; }
}

/// <summary>A per-batch report.</summary>
/// <param name="Epoch">1-based epoch in progress.</param>
/// <param name="MaxEpochs">The epoch budget.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="BatchCount">Batches in this epoch.</param>
/// <param name="BatchLoss">Loss of the batch just done.</param>
/// <param name="EpochLossSoFar">Count-weighted mean loss of the epoch's batches so far.</param>
/// <param name="ItemsTrained">Rows or tokens trained on since the run started.</param>
/// <param name="StepTime">Time spent in batches (forward, backward, step) since the run started.</param>
/// <param name="Elapsed">Time since the run started.</param>
internal sealed record BatchReport(int Epoch, int MaxEpochs, int Batch, int BatchCount, double BatchLoss, double EpochLossSoFar, long ItemsTrained,
    TimeSpan StepTime, TimeSpan Elapsed);

/// <summary>A per-epoch report.</summary>
/// <param name="Epoch">1-based epoch just finished.</param>
/// <param name="MaxEpochs">The epoch budget.</param>
/// <param name="TrainLoss">Count-weighted mean batch loss of the epoch.</param>
/// <param name="ValidationLoss">Validation loss, or null without validation.</param>
/// <param name="KeptEpoch">The epoch whose weights the run would keep if it ended now.</param>
/// <param name="Batches">Batches run in the epoch.</param>
/// <param name="BatchCount">Batches in the epoch.</param>
/// <param name="LastBatchLoss">Loss of the epoch's last batch.</param>
/// <param name="LearningRate">The rate the epoch ran with.</param>
/// <param name="ItemsTrained">Rows or tokens trained on since the run started.</param>
/// <param name="StepTime">Time spent in batches since the run started.</param>
/// <param name="Elapsed">Time since the run started.</param>
internal sealed record EpochReport(int Epoch, int MaxEpochs, double TrainLoss, double? ValidationLoss, int KeptEpoch, int Batches, int BatchCount,
    double LastBatchLoss, double LearningRate, long ItemsTrained, TimeSpan StepTime, TimeSpan Elapsed);

/// <summary>What a run did.</summary>
/// <param name="History">Losses per epoch, the kept epoch, whether it stopped early, the duration.</param>
/// <param name="ItemsTrained">Rows or tokens trained on.</param>
/// <param name="StepTime">Time spent in batches.</param>
/// <param name="StoppedByTimeBudget">Whether the time budget ended the run.</param>
/// <param name="ResumedFromEpoch">The epoch a resumed run continued after (0 when it started fresh).</param>
internal sealed record TrainingOutcome(TrainingHistory History, long ItemsTrained, TimeSpan StepTime, bool StoppedByTimeBudget, int ResumedFromEpoch)
{
    /// <summary>Items per second of batch time.</summary>
    public double ItemsPerSecond => ItemsTrained / Math.Max(StepTime.TotalSeconds, 1e-9);
}
