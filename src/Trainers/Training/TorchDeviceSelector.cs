using TorchSharp;

namespace MlNetRnn.Trainers.Training;

/// <summary>Maps an <see cref="ExecutionDevice"/> request onto a TorchSharp device for training.</summary>
internal static class TorchDeviceSelector
{
    public const string MissingCudaMessage =
        "CUDA was requested for training, but TorchSharp reports no usable CUDA device. " +
        "Reference a CUDA build of libtorch (the TorchSharp-cuda-linux or TorchSharp-cuda-windows package) instead of TorchSharp-cpu " +
        "and check the NVIDIA driver, or set the device to Cpu or Auto.";

    /// <exception cref="InvalidOperationException">CUDA was required and is absent.</exception>
    public static torch.Device Resolve(ExecutionDevice requested, out string? fallbackNote)
    {
        fallbackNote = null;
        switch (requested.Kind)
        {
            case ExecutionDeviceKind.Cpu:
                return torch.CPU;
            case ExecutionDeviceKind.Cuda:
                if (!torch.cuda.is_available())
                    throw new InvalidOperationException(MissingCudaMessage);
                return torch.device(DeviceType.CUDA, requested.DeviceId);
            default:
                if (torch.cuda.is_available())
                    return torch.device(DeviceType.CUDA, requested.DeviceId);
                fallbackNote = "TorchSharp has no CUDA device here (the CPU build of libtorch or no GPU); training runs on the CPU.";
                return torch.CPU;
        }
    }
}
