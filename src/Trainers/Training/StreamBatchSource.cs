using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.Training;

/// <summary>
/// Truncated back-propagation through time: the ids are cut into parallel streams and each batch is the next window of every
/// stream, starting from the previous batch's final state, detached so gradients stop at the window; cross-entropy at every step.
/// </summary>
internal sealed class StreamBatchSource : IBatchSource
{
    private readonly RecurrentSequenceNetwork _network;
    private readonly Tensor _streams;
    private readonly int _sequenceLength;
    private readonly int _vocabulary;
    private Tensor? _hidden, _cell;

    /// <param name="network">The network the batches train (an every-step head over the vocabulary).</param>
    /// <param name="ids">The training ids.</param>
    /// <param name="batchSize">Most parallel streams.</param>
    /// <param name="sequenceLength">Steps per window.</param>
    /// <param name="device">Training device.</param>
    public StreamBatchSource(RecurrentSequenceNetwork network, long[] ids, int batchSize, int sequenceLength, Device device)
    {
        _network = network;
        _streams = Streams(ids, batchSize, device);
        _sequenceLength = sequenceLength;
        _vocabulary = network.Description.OutputSize;
    }

    /// <summary>Steps per stream.</summary>
    public long Columns => _streams.shape[1];

    /// <inheritdoc/>
    public int BatchCount => (int)((Columns - 2) / _sequenceLength + 1);

    /// <inheritdoc/>
    public void StartEpoch(Random random) => EndEpoch();

    /// <inheritdoc/>
    public BatchLoss Loss(int index)
    {
        long t = (long)index * _sequenceLength;
        long length = Math.Min(_sequenceLength, Columns - 1 - t);
        var x = _streams.narrow(1, t, length);
        var y = _streams.narrow(1, t + 1, length);
        var result = _network.Forward(x, null, _hidden, _cell);
        var loss = nn.functional.cross_entropy(result.Output.reshape(-1, _vocabulary), y.reshape(-1));
        // The state crosses into the next window without its graph: truncated back-propagation.
        _hidden?.Dispose();
        _cell?.Dispose();
        _hidden = result.FinalHidden.detach().DetachFromDisposeScope();
        _cell = result.FinalCell?.detach().DetachFromDisposeScope();
        return new BatchLoss(loss, x.shape[0] * length);
    }

    /// <inheritdoc/>
    public void EndEpoch()
    {
        _hidden?.Dispose();
        _cell?.Dispose();
        _hidden = _cell = null;
    }

    /// <inheritdoc/>
    public IEnumerable<(string Name, Tensor Tensor)> CarriedState()
    {
        if (_hidden is not null)
            yield return ("hidden", _hidden);
        if (_cell is not null)
            yield return ("cell", _cell);
    }

    /// <inheritdoc/>
    public void RestoreCarriedState(IReadOnlyDictionary<string, Tensor> state)
    {
        EndEpoch();
        var device = _streams.device;
        if (state.TryGetValue("hidden", out var h))
            _hidden = h.to(device).clone().DetachFromDisposeScope();
        if (state.TryGetValue("cell", out var c))
            _cell = c.to(device).clone().DetachFromDisposeScope();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        EndEpoch();
        _streams.Dispose();
    }

    /// <summary>
    /// Cuts ids into at most <paramref name="batchSize"/> contiguous streams of equal length (at least 2 tokens each) as a
    /// <c>[streams, length]</c> int64 tensor; the tail that does not fill a stream is dropped.
    /// </summary>
    public static Tensor Streams(long[] ids, int batchSize, Device device)
    {
        if (ids.Length < 2)
            throw new ArgumentException($"{ids.Length} token(s) cannot form a training pair; at least 2 are needed.");
        int rows = Math.Max(1, Math.Min(batchSize, ids.Length / 2));
        int length = ids.Length / rows;
        return torch.tensor(ids.AsSpan(0, rows * length).ToArray(), new long[] { rows, length }, device: device);
    }
}
