using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.Training;

/// <summary>
/// Variable-length id rows in batches of similar length: every epoch the rows are ordered by length (ties broken at random) and
/// cut into batches, each padded only to its own longest row and run as a packed sequence, and the batch order is shuffled.
/// </summary>
internal sealed class LengthBucketedBatchSource : IBatchSource
{
    private readonly RecurrentSequenceNetwork _network;
    private readonly long[][] _rows;
    private readonly int _batchSize;
    private readonly long _padId;
    private readonly Device _device;
    private readonly Func<Tensor, int[], Tensor> _loss;
    private readonly TokenDropout? _dropout;
    private List<int[]> _batches;

    /// <param name="network">The network the batches train.</param>
    /// <param name="rows">Id rows (at least one id each).</param>
    /// <param name="batchSize">Rows per batch.</param>
    /// <param name="padId">Id written past a row's end (never read: batches are packed).</param>
    /// <param name="device">Training device.</param>
    /// <param name="loss">Mean loss of the head's output <c>[batch, outputs]</c> for the given row indices.</param>
    /// <param name="dropout">Word dropout applied to every training batch; null for none.</param>
    public LengthBucketedBatchSource(RecurrentSequenceNetwork network, long[][] rows, int batchSize, long padId, Device device, Func<Tensor, int[], Tensor> loss,
        TokenDropout? dropout = null)
    {
        _dropout = dropout;
        _network = network;
        _rows = rows;
        _batchSize = batchSize;
        _padId = padId;
        _device = device;
        _loss = loss;
        _batches = Batches(rows, batchSize, null);
    }

    /// <inheritdoc/>
    public int BatchCount => _batches.Count;

    /// <inheritdoc/>
    public void StartEpoch(Random random) => _batches = Batches(_rows, _batchSize, random);

    /// <inheritdoc/>
    public BatchLoss Loss(int index)
    {
        var batch = _batches[index];
        var (ids, lengths) = Pad(_rows, batch, _padId, _device);
        if (_dropout is not null)
            ids = _dropout.Apply(ids);
        var output = _network.Forward(ids, lengths);
        output.FinalHidden.Dispose();
        output.FinalCell?.Dispose();
        return new BatchLoss(_loss(output.Output, batch), batch.Length);
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

    /// <summary>Row indices in batches of similar length: sorted by length (ties at random when shuffling), then the batch order shuffled.</summary>
    public static List<int[]> Batches(long[][] rows, int batchSize, Random? random) => Batches(rows.Select(r => r.Length).ToArray(), batchSize, random);

    /// <summary>Row indices in batches of similar <paramref name="lengths"/>: sorted by length (ties at random when shuffling), then the batch order shuffled.</summary>
    public static List<int[]> Batches(int[] lengths, int batchSize, Random? random)
    {
        var keys = random is null ? null : lengths.Select(_ => random.Next()).ToArray();
        var order = Enumerable.Range(0, lengths.Length).OrderBy(i => lengths[i]).ThenBy(i => keys?[i] ?? i).ToArray();
        var batches = order.Chunk(batchSize).ToList();
        if (random is not null)
            random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batches));
        return batches;
    }

    /// <summary>Pads a batch to its longest row: ids <c>[batch, longest]</c> on the device and lengths (int64, CPU) for packing.</summary>
    public static (Tensor Ids, Tensor Lengths) Pad(long[][] rows, int[] batch, long padId, Device device)
    {
        int longest = batch.Max(i => rows[i].Length);
        var ids = new long[batch.Length * longest];
        Array.Fill(ids, padId);
        for (int r = 0; r < batch.Length; r++)
            rows[batch[r]].CopyTo(ids, r * longest);
        return (torch.tensor(ids, new long[] { batch.Length, longest }, device: device), torch.tensor(batch.Select(i => (long)rows[i].Length).ToArray()));
    }
}
