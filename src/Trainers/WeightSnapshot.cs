using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers;

/// <summary>Copies of a network's state dict on its device, for restoring the best epoch's weights after early stopping.</summary>
internal static class WeightSnapshot
{
    public static Dictionary<string, Tensor> Take(nn.Module network)
    {
        using var noGrad = torch.no_grad();
        var snapshot = new Dictionary<string, Tensor>();
        foreach (var (name, tensor) in network.state_dict())
        {
            using var detached = tensor.detach();
            snapshot[name] = detached.clone();
        }
        return snapshot;
    }

    public static void Restore(nn.Module network, Dictionary<string, Tensor> state)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, current) in network.state_dict())
            current.copy_(state[name]);
    }

    public static void Dispose(Dictionary<string, Tensor>? state)
    {
        if (state is null)
            return;
        foreach (var t in state.Values)
            t.Dispose();
    }
}
