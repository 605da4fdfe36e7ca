using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.Training;

/// <summary>
/// Fixed-shape rows (windows) in mini-batches, reshuffled every epoch (the permutation is shuffled again each epoch, not redrawn),
/// with the loss of the network's prediction against the targets given as a delegate.
/// </summary>
internal sealed class WindowBatchSource : IBatchSource
{
    private readonly nn.Module<Tensor, Tensor> _network;
    private readonly Tensor _inputs;
    private readonly Tensor _targets;
    private readonly int _batchSize;
    private readonly bool _shuffle;
    private readonly Func<Tensor, Tensor, Tensor> _loss;
    private readonly int[] _order;
    private readonly Device _device;

    /// <param name="network">The network the batches train.</param>
    /// <param name="inputs">All rows, <c>[rows, ...]</c>, on the training device (the source takes ownership).</param>
    /// <param name="targets">Targets, <c>[rows, ...]</c>, on the same device (the source takes ownership).</param>
    /// <param name="batchSize">Rows per batch; the last batch may be smaller.</param>
    /// <param name="shuffle">Whether each epoch reshuffles the row order.</param>
    /// <param name="loss">Mean loss of a prediction batch against its targets.</param>
    public WindowBatchSource(nn.Module<Tensor, Tensor> network, Tensor inputs, Tensor targets, int batchSize, bool shuffle, Func<Tensor, Tensor, Tensor> loss)
    {
        _network = network;
        _inputs = inputs;
        _targets = targets;
        _batchSize = batchSize;
        _shuffle = shuffle;
        _loss = loss;
        _device = inputs.device;
        _order = Enumerable.Range(0, (int)inputs.shape[0]).ToArray();
    }

    /// <inheritdoc/>
    public int BatchCount => (_order.Length + _batchSize - 1) / _batchSize;

    /// <inheritdoc/>
    public void StartEpoch(Random random)
    {
        if (_shuffle)
            random.Shuffle(_order);
    }

    /// <inheritdoc/>
    public BatchLoss Loss(int index)
    {
        int start = index * _batchSize;
        int count = Math.Min(_batchSize, _order.Length - start);
        var rows = new long[count];
        for (int i = 0; i < count; i++)
            rows[i] = _order[start + i];
        var selected = torch.tensor(rows, device: _device);
        var prediction = _network.call(_inputs.index_select(0, selected));
        return new BatchLoss(_loss(prediction, _targets.index_select(0, selected)), count);
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
        _inputs.Dispose();
        _targets.Dispose();
    }
}
