using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.Training;

/// <summary>
/// Tracks the best monitored loss, keeps a copy of that epoch's weights, and says when <see cref="Patience"/> epochs have passed
/// without improvement; at the end it restores the best weights (when <see cref="RestoresBestWeights"/>).
/// </summary>
internal sealed class EarlyStopping : IDisposable
{
    private Dictionary<string, Tensor>? _bestWeights;

    /// <param name="patience">Epochs without improvement before stopping; 0 never stops early (the best epoch is still tracked).</param>
    /// <param name="restoresBestWeights">Whether the best epoch's weights are kept and restored; when false the last epoch's weights stay.</param>
    public EarlyStopping(int patience, bool restoresBestWeights = true)
    {
        if (patience < 0)
            throw new ArgumentOutOfRangeException(nameof(patience), patience, "Patience must be >= 0.");
        Patience = patience;
        RestoresBestWeights = restoresBestWeights;
    }

    /// <summary>Epochs without improvement before stopping; 0 disables stopping.</summary>
    public int Patience { get; }

    /// <summary>Whether the best epoch's weights are restored at the end.</summary>
    public bool RestoresBestWeights { get; }

    /// <summary>Lowest monitored loss so far (+∞ before the first epoch).</summary>
    public double BestLoss { get; private set; } = double.PositiveInfinity;

    /// <summary>1-based epoch of <see cref="BestLoss"/>; 0 before the first epoch.</summary>
    public int BestEpoch { get; private set; }

    /// <summary>The best epoch's weights (state-dict names), or null when not kept or not seen yet.</summary>
    public IReadOnlyDictionary<string, Tensor>? BestWeights => _bestWeights;

    /// <summary>Records an epoch's monitored loss; on improvement, copies the network's weights. Returns whether it improved.</summary>
    public bool Observe(int epoch, double monitored, nn.Module network)
    {
        if (!(monitored < BestLoss))
            return false;
        BestLoss = monitored;
        BestEpoch = epoch;
        if (RestoresBestWeights)
        {
            DisposeWeights();
            _bestWeights = Snapshot(network);
        }
        return true;
    }

    /// <summary>
    /// The loss of a network that has learned nothing yet (for a classifier, the entropy of the training labels), or null. While the
    /// best loss is within 1% of it, patience does not run out: a small data set can sit on that plateau for several epochs before
    /// it starts to learn, and stopping there returns a model that predicts the class shares.
    /// </summary>
    public double? UntrainedLoss { get; init; }

    /// <summary>Whether training should stop after <paramref name="epoch"/> (never after the last one: there is nothing left to stop).</summary>
    public bool ShouldStop(int epoch, int maxEpochs) =>
        Patience > 0 && epoch - BestEpoch >= Patience && epoch < maxEpochs && !(UntrainedLoss is { } untrained && BestLoss >= 0.99 * untrained);

    /// <summary>The epoch whose weights the network holds at the end: the best one when restoring, else the last one run.</summary>
    public int KeptEpoch(int epochsRun) => RestoresBestWeights ? BestEpoch : epochsRun;

    /// <summary>Copies the best weights back into the network (no-op when not restoring or nothing was seen).</summary>
    public void RestoreBest(nn.Module network)
    {
        if (!RestoresBestWeights || _bestWeights is null)
            return;
        using var noGrad = torch.no_grad();
        foreach (var (name, current) in network.state_dict())
            current.copy_(_bestWeights[name]);
    }

    /// <summary>Restores the tracking state read from a checkpoint; takes ownership of <paramref name="weights"/>.</summary>
    public void LoadState(double bestLoss, int bestEpoch, Dictionary<string, Tensor>? weights)
    {
        DisposeWeights();
        BestLoss = bestLoss;
        BestEpoch = bestEpoch;
        _bestWeights = RestoresBestWeights ? weights : null;
        if (!RestoresBestWeights && weights is not null)
            foreach (var t in weights.Values)
                t.Dispose();
    }

    /// <summary>Detached copies of a network's state dict, on its device.</summary>
    public static Dictionary<string, Tensor> Snapshot(nn.Module network)
    {
        using var noGrad = torch.no_grad();
        var snapshot = new Dictionary<string, Tensor>();
        foreach (var (name, tensor) in network.state_dict())
        {
            using var detached = tensor.detach();
            snapshot[name] = detached.clone().DetachFromDisposeScope();
        }
        return snapshot;
    }

    /// <inheritdoc/>
    public void Dispose() => DisposeWeights();

    private void DisposeWeights()
    {
        if (_bestWeights is null)
            return;
        foreach (var t in _bestWeights.Values)
            t.Dispose();
        _bestWeights = null;
    }
}
