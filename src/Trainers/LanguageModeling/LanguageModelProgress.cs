namespace MlNetRnn.Trainers.LanguageModeling;

/// <summary>A language-model training report: one per batch, and one per epoch once its validation loss is known.</summary>
/// <param name="Epoch">1-based epoch in progress.</param>
/// <param name="MaxEpochs">The epoch budget.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="BatchesPerEpoch">Batches in one epoch.</param>
/// <param name="TrainLoss">Mean training loss of the epoch so far (nats per token).</param>
/// <param name="ValidationLoss">The epoch's validation loss (nats per token) in the end-of-epoch report; null in per-batch reports.</param>
/// <param name="TokensPerSecond">Training throughput so far (forward and backward, validation excluded).</param>
/// <param name="Elapsed">Time since training started.</param>
/// <param name="BatchLoss">Training loss of the batch just done (nats per token); in the end-of-epoch report, the epoch's last batch.</param>
/// <param name="EndOfEpoch">True for the report that closes an epoch (after its validation, if any); false for per-batch reports.</param>
public sealed record LanguageModelProgress(int Epoch, int MaxEpochs, int Batch, int BatchesPerEpoch, double TrainLoss, double? ValidationLoss,
    double TokensPerSecond, TimeSpan Elapsed, double BatchLoss, bool EndOfEpoch = false);
