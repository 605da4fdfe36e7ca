using System.Globalization;

namespace MlNetRnn.Onnx.Runtime;

/// <summary>
/// A device request for training (TorchSharp) or inference (ONNX Runtime): <see cref="Cpu"/>,
/// <see cref="Cuda(int)"/> or <see cref="Auto"/>.
/// </summary>
public sealed record ExecutionDevice
{
    private ExecutionDevice(ExecutionDeviceKind kind, int deviceId)
    {
        Kind = kind;
        DeviceId = deviceId;
    }

    /// <summary>The kind of request.</summary>
    public ExecutionDeviceKind Kind { get; }

    /// <summary>CUDA device ordinal (used by <see cref="ExecutionDeviceKind.Cuda"/> and <see cref="ExecutionDeviceKind.Auto"/>).</summary>
    public int DeviceId { get; }

    /// <summary>Run on the CPU.</summary>
    public static ExecutionDevice Cpu { get; } = new(ExecutionDeviceKind.Cpu, 0);

    /// <summary>Use CUDA device 0 when available, else the CPU.</summary>
    public static ExecutionDevice Auto { get; } = new(ExecutionDeviceKind.Auto, 0);

    /// <summary>Run on CUDA device <paramref name="deviceId"/>; fails clearly when CUDA is absent.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The ordinal is negative.</exception>
    public static ExecutionDevice Cuda(int deviceId = 0)
    {
        if (deviceId < 0)
            throw new ArgumentOutOfRangeException(nameof(deviceId), deviceId, "CUDA device ids start at 0.");
        return new ExecutionDevice(ExecutionDeviceKind.Cuda, deviceId);
    }

    /// <summary>Parses <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c> (case-insensitive).</summary>
    /// <exception cref="FormatException">The text is none of those.</exception>
    public static ExecutionDevice Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim().ToLowerInvariant();
        if (t == "cpu") return Cpu;
        if (t == "auto") return Auto;
        if (t == "cuda") return Cuda();
        if (t.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(t.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int id))
            return Cuda(id);
        throw new FormatException($"Unknown device '{text}'. Use cpu, cuda, cuda:N or auto.");
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        ExecutionDeviceKind.Cpu => "cpu",
        ExecutionDeviceKind.Auto => "auto",
        _ => string.Create(CultureInfo.InvariantCulture, $"cuda:{DeviceId}"),
    };
}
