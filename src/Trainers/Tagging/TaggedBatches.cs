using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.Tagging;

/// <summary>One sentence as ids: words, characters (<c>MaxCharacters</c> per token, row-major; empty without spelling) and tags (empty when unknown).</summary>
internal sealed record EncodedSentence(long[] Words, long[] Characters, long[] Tags);

/// <summary>A padded batch of sentences on a device; the caller disposes it.</summary>
/// <param name="Words">Word ids <c>[batch, longest]</c>, padded with the pad id.</param>
/// <param name="Lengths">Tokens per row, int64 on the CPU.</param>
/// <param name="Characters">Character ids <c>[batch, longest, widest]</c>, trimmed to the batch's longest token, or null.</param>
/// <param name="Tags">Tag ids <c>[batch, longest]</c> with <see cref="TaggedBatches.IgnoredTag"/> past each row's end, or null.</param>
internal sealed record TaggedBatch(Tensor Words, Tensor Lengths, Tensor? Characters, Tensor? Tags) : IDisposable
{
    public void Dispose()
    {
        Words.Dispose();
        Lengths.Dispose();
        Characters?.Dispose();
        Tags?.Dispose();
    }
}

/// <summary>Pads sentences into batches (the training source, validation, prediction and the parity check all use this one).</summary>
internal static class TaggedBatches
{
    /// <summary>Target id that the loss skips: padding past a sentence's end.</summary>
    public const long IgnoredTag = -100;

    /// <summary>Pads the sentences <paramref name="batch"/> indexes.</summary>
    public static TaggedBatch Pad(IReadOnlyList<EncodedSentence> rows, int[] batch, Device device)
    {
        int longest = batch.Max(i => rows[i].Words.Length);
        int n = batch.Length;
        var words = new long[n * longest];
        var tags = rows[batch[0]].Tags.Length > 0 ? new long[n * longest] : null;
        if (tags is not null)
            Array.Fill(tags, IgnoredTag);
        for (int r = 0; r < n; r++)
        {
            var row = rows[batch[r]];
            row.Words.CopyTo(words, r * longest);
            if (tags is not null)
                row.Tags.CopyTo(tags, r * longest);
        }
        Tensor? characters = null;
        if (rows[batch[0]].Characters.Length > 0)
        {
            int max = CharacterConvolution.MaxCharacters, widest = 1;
            foreach (int i in batch)
            {
                var c = rows[i].Characters;
                for (int t = 0; t < c.Length / max; t++)
                {
                    int w = max;
                    while (w > widest && c[t * max + w - 1] == CharacterConvolution.PadId)
                        w--;
                    widest = Math.Max(widest, w);
                }
            }
            // Trimming the width to the batch's longest token is exact: the convolution zero-pads and padding characters are masked.
            var ids = new long[n * longest * widest];
            for (int r = 0; r < n; r++)
            {
                var c = rows[batch[r]].Characters;
                for (int t = 0; t < c.Length / max; t++)
                    c.AsSpan(t * max, widest).CopyTo(ids.AsSpan((r * longest + t) * widest, widest));
            }
            characters = torch.tensor(ids, new long[] { n, longest, widest }, device: device);
        }
        return new TaggedBatch(
            torch.tensor(words, new long[] { n, longest }, device: device),
            torch.tensor(batch.Select(i => (long)rows[i].Words.Length).ToArray()),
            characters,
            tags is null ? null : torch.tensor(tags, new long[] { n, longest }, device: device));
    }
}

/// <summary>
/// Training batches of tagged sentences: bucketed by length (<see cref="LengthBucketedBatchSource.Batches(long[][], int, Random?)"/>), padded, word dropout on
/// the word ids (the spelling stays), token-level cross-entropy over each row's valid tokens.
/// </summary>
internal sealed class TaggedBatchSource : IBatchSource
{
    private readonly RecurrentSequenceNetwork _network;
    private readonly IReadOnlyList<EncodedSentence> _rows;
    private readonly long[][] _lengthKeys;
    private readonly int _batchSize;
    private readonly Device _device;
    private readonly TokenDropout? _dropout;
    private List<int[]> _batches;

    public TaggedBatchSource(RecurrentSequenceNetwork network, IReadOnlyList<EncodedSentence> rows, int batchSize, Device device, TokenDropout? dropout)
    {
        _network = network;
        _rows = rows;
        _lengthKeys = rows.Select(r => r.Words).ToArray();
        _batchSize = batchSize;
        _device = device;
        _dropout = dropout;
        _batches = LengthBucketedBatchSource.Batches(_lengthKeys, batchSize, null);
    }

    /// <inheritdoc/>
    public int BatchCount => _batches.Count;

    /// <inheritdoc/>
    public void StartEpoch(Random random) => _batches = LengthBucketedBatchSource.Batches(_lengthKeys, _batchSize, random);

    /// <inheritdoc/>
    public BatchLoss Loss(int index)
    {
        // No using: the engine's dispose scope releases these tensors after backward.
        var batch = TaggedBatches.Pad(_rows, _batches[index], _device);
        var words = _dropout is null ? batch.Words : _dropout.Apply(batch.Words);
        var output = _network.Forward(words, batch.Lengths, characters: batch.Characters);
        long tokens = batch.Lengths.sum().item<long>();
        var loss = nn.functional.cross_entropy(output.Output.reshape(-1, output.Output.shape[2]), batch.Tags!.reshape(-1), ignore_index: TaggedBatches.IgnoredTag);
        return new BatchLoss(loss, tokens);
    }

    /// <inheritdoc/>
    public void EndEpoch()
    {
    }

    /// <inheritdoc/>
    public IEnumerable<(string Name, Tensor Tensor)> CarriedState() => Array.Empty<(string, Tensor)>();

    /// <inheritdoc/>
    public void RestoreCarriedState(IReadOnlyDictionary<string, Tensor> state)
    {
    }

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
