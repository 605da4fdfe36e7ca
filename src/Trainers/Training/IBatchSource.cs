using static TorchSharp.torch;

namespace MlNetRnn.Trainers.Training;

/// <summary>The loss of one training batch (attached to the graph, for backward) and how many items it averages over.</summary>
/// <param name="Loss">Scalar loss tensor.</param>
/// <param name="Count">Rows or tokens the loss is the mean of; the epoch's loss is the count-weighted mean of batch losses.</param>
internal readonly record struct BatchLoss(Tensor Loss, long Count);

/// <summary>
/// Where the training engine's batches come from: it orders an epoch's batches, computes a batch's loss with the network, and
/// carries whatever state crosses batch boundaries (truncated back-propagation).
/// </summary>
internal interface IBatchSource : IDisposable
{
    /// <summary>Batches in the epoch that <see cref="StartEpoch"/> last drew (or in a typical epoch before the first).</summary>
    int BatchCount { get; }

    /// <summary>
    /// Draws the next epoch's batch order from <paramref name="random"/>. The engine calls it for every epoch in order, also for
    /// epochs a resumed run replays without training, so the random stream is the same as in an uninterrupted run.
    /// </summary>
    void StartEpoch(Random random);

    /// <summary>The loss of batch <paramref name="index"/> of the current epoch, computed inside the caller's dispose scope.</summary>
    BatchLoss Loss(int index);

    /// <summary>Releases state carried across the epoch's batches.</summary>
    void EndEpoch();

    /// <summary>State carried from one batch to the next (detached), for a checkpoint taken mid-epoch; empty when there is none.</summary>
    IEnumerable<(string Name, Tensor Tensor)> CarriedState();

    /// <summary>Restores <see cref="CarriedState"/> read from a checkpoint (copies; the caller keeps ownership).</summary>
    void RestoreCarriedState(IReadOnlyDictionary<string, Tensor> state);
}
