namespace MlNetRnn.Trainers;

/// <summary>A per-epoch training report, passed to <see cref="IProgress{T}"/> callbacks.</summary>
/// <param name="Epoch">1-based epoch just finished.</param>
/// <param name="MaxEpochs">The epoch budget.</param>
/// <param name="TrainLoss">Mean training loss of the epoch (MSE in scaled space).</param>
/// <param name="ValidationLoss">Validation loss, or null without a validation split.</param>
/// <param name="BestEpoch">1-based epoch with the best monitored loss so far.</param>
/// <param name="Elapsed">Time since training started.</param>
public sealed record TrainingProgress(int Epoch, int MaxEpochs, double TrainLoss, double? ValidationLoss, int BestEpoch, TimeSpan Elapsed);
