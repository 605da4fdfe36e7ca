namespace MlNetRnn.Trainers;

/// <summary>A per-epoch training report, passed to <see cref="IProgress{T}"/> callbacks.</summary>
/// <param name="Epoch">1-based epoch just finished.</param>
/// <param name="MaxEpochs">The epoch budget.</param>
/// <param name="TrainLoss">Mean training loss of the epoch (the trainer's loss, in scaled space for a forecaster).</param>
/// <param name="ValidationLoss">Validation loss, or null without a validation split.</param>
/// <param name="BestEpoch">1-based epoch with the best monitored loss so far.</param>
/// <param name="Elapsed">Time since this stage started.</param>
/// <param name="Stage">Training with validation, or the refit on all windows that follows it.</param>
public sealed record TrainingProgress(int Epoch, int MaxEpochs, double TrainLoss, double? ValidationLoss, int BestEpoch, TimeSpan Elapsed,
    TrainingStage Stage = TrainingStage.Training)
{
    /// <summary>0-based ensemble member this report is about (a forecaster trains its members one after another); 0 otherwise.</summary>
    public int Member { get; init; }

    /// <summary>Members in the ensemble; 1 for a single network.</summary>
    public int Members { get; init; } = 1;
}

/// <summary>The stages of a fit.</summary>
public enum TrainingStage
{
    /// <summary>Training with a validation split and early stopping.</summary>
    Training = 0,

    /// <summary>Retraining from the same initial weights on every window (validation included) for the best epoch count.</summary>
    Refit = 1,
}
