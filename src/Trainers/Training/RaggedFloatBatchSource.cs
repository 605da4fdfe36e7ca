using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.Training;

/// <summary>
/// Float sequences of different lengths in batches of similar length (the order of <see cref="LengthBucketedBatchSource.Batches(int[], int, Random?)"/>):
/// each batch is zero-padded to its longest row and run with the rows' lengths, so the network packs it and never reads the padding.
/// </summary>
internal sealed class RaggedFloatBatchSource : IBatchSource
{
    private readonly RecurrentSequenceNetwork _network;
    private readonly float[][] _rows;
    private readonly int[] _steps;
    private readonly Tensor _targets;
    private readonly int _features;
    private readonly int _batchSize;
    private readonly Device _device;
    private readonly Func<Tensor, Tensor, Tensor> _loss;
    private List<int[]> _batches;

    /// <param name="network">The network the batches train.</param>
    /// <param name="rows">Each row's values, its steps one after another (at least one step each).</param>
    /// <param name="targets">Targets <c>[rows, ...]</c> on the training device (the source takes ownership).</param>
    /// <param name="features">Values per step.</param>
    /// <param name="batchSize">Rows per batch.</param>
    /// <param name="loss">Mean loss of the head's output against the batch's targets.</param>
    public RaggedFloatBatchSource(RecurrentSequenceNetwork network, float[][] rows, Tensor targets, int features, int batchSize, Func<Tensor, Tensor, Tensor> loss)
    {
        _network = network;
        _rows = rows;
        _targets = targets;
        _features = features;
        _batchSize = batchSize;
        _loss = loss;
        _device = targets.device;
        _steps = rows.Select(r => r.Length / features).ToArray();
        _batches = LengthBucketedBatchSource.Batches(_steps, batchSize, null);
    }

    /// <inheritdoc/>
    public int BatchCount => _batches.Count;

    /// <inheritdoc/>
    public void StartEpoch(Random random) => _batches = LengthBucketedBatchSource.Batches(_steps, _batchSize, random);

    /// <inheritdoc/>
    public BatchLoss Loss(int index)
    {
        var batch = _batches[index];
        var (inputs, lengths) = Pad(_rows, batch, _features, _device);
        var output = _network.Forward(inputs, lengths);
        output.FinalHidden.Dispose();
        output.FinalCell?.Dispose();
        var selected = torch.tensor(batch.Select(i => (long)i).ToArray(), device: _device);
        return new BatchLoss(_loss(output.Output, _targets.index_select(0, selected)), batch.Length);
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
    public void Dispose() => _targets.Dispose();

    /// <summary>
    /// Rows <paramref name="batch"/> zero-padded to the longest: features <c>[batch, longest, features]</c> on <paramref name="device"/> and
    /// the steps per row (int64, on the CPU, as packing wants them).
    /// </summary>
    public static (Tensor Inputs, Tensor Lengths) Pad(float[][] rows, IReadOnlyList<int> batch, int features, Device device)
    {
        int longest = batch.Max(i => rows[i].Length) / features;
        var values = new float[batch.Count * longest * features];
        var lengths = new long[batch.Count];
        for (int r = 0; r < batch.Count; r++)
        {
            rows[batch[r]].CopyTo(values, r * longest * features);
            lengths[r] = rows[batch[r]].Length / features;
        }
        return (torch.tensor(values, new long[] { batch.Count, longest, features }, device: device), torch.tensor(lengths));
    }
}
