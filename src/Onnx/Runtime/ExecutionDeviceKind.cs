namespace MlNetRnn.Onnx.Runtime;

/// <summary>Where computation is asked to run.</summary>
public enum ExecutionDeviceKind
{
    /// <summary>The CPU.</summary>
    Cpu = 0,

    /// <summary>An NVIDIA GPU through CUDA; an error when CUDA is not available.</summary>
    Cuda = 1,

    /// <summary>CUDA when it is available, else the CPU (the fallback is reported once).</summary>
    Auto = 2,
}
