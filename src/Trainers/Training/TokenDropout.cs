using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.Training;

/// <summary>
/// Word dropout while training: each token id at or above <paramref name="FirstDroppableId"/> is replaced by
/// <paramref name="ReplacementId"/> (the unknown word) with probability <paramref name="Rate"/>, so the classifier cannot lean on
/// any single word and learns what an unseen word looks like. Special ids below the first droppable one (padding, unknown, begin) stay.
/// </summary>
/// <param name="Rate">Probability of replacing a token, in [0, 1).</param>
/// <param name="ReplacementId">The id that replaces a dropped token.</param>
/// <param name="FirstDroppableId">Ids below this are never dropped.</param>
internal sealed record TokenDropout(double Rate, long ReplacementId, long FirstDroppableId)
{
    /// <summary>The ids with some tokens replaced (a new tensor; draws from libtorch's generator, so a seeded run repeats).</summary>
    public Tensor Apply(Tensor ids)
    {
        if (Rate <= 0)
            return ids.alias();
        using var scope = torch.NewDisposeScope();
        // Scalars held for the whole call (see RecurrentSequenceNetwork's pooling: implicit temporaries can be finalised mid-call).
        using Scalar rate = Rate.ToScalar(), firstDroppable = FirstDroppableId.ToScalar(), replacement = ReplacementId.ToScalar();
        var drop = torch.rand(ids.shape, device: ids.device).lt(rate).logical_and(ids.ge(firstDroppable));
        return ids.masked_fill(drop, replacement).MoveToOuterDisposeScope();
    }
}
