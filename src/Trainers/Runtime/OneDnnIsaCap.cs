using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MlNetRnn.Trainers.Runtime;

/// <summary>
/// Caps oneDNN (libtorch's CPU kernels for LSTM) at AVX2 before the first kernel runs. On an AMD EPYC with AVX-512 (measured on the
/// project's 2-core VMs, TorchSharp 0.107), libtorch's oneDNN LSTM computes cells about 1% away from the LSTM equations, while the
/// AVX2 kernels, GRU, RNN and ONNX Runtime agree with them to 1e-6: TorchSharp and the exported ONNX graph then disagree and every
/// LSTM fit fails its parity check (tests/.../GateEquationTests catches it). The cap is written with libc's <c>setenv</c> (oneDNN
/// reads the native environment, which .NET's <c>Environment.SetEnvironmentVariable</c> does not change) and never overrides a value
/// the user set in <c>ONEDNN_MAX_CPU_ISA</c> or <c>DNNL_MAX_CPU_ISA</c>; <c>MLNETRNN_ONEDNN_ISA_CAP=0</c> turns it off.
/// </summary>
internal static class OneDnnIsaCap
{
    /// <summary>oneDNN's variable (its older name is <c>DNNL_MAX_CPU_ISA</c>).</summary>
    internal const string IsaVariable = "ONEDNN_MAX_CPU_ISA";

    /// <summary>Environment variable that turns the cap off when set to <c>0</c>.</summary>
    internal const string SwitchVariable = "MLNETRNN_ONEDNN_ISA_CAP";

    /// <summary>The ISA the cap sets.</summary>
    internal const string Cap = "AVX2";

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "oneDNN reads the variable once, at its first kernel: it must be set before any of this library's TorchSharp calls.")]
    internal static void Apply()
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) || Environment.GetEnvironmentVariable(SwitchVariable) == "0"
            || NativeValue(IsaVariable) is not null || NativeValue("DNNL_MAX_CPU_ISA") is not null)
            return;
        setenv(IsaVariable, Cap, 0);
    }

    /// <summary>The variable as native code (oneDNN) sees it, or null.</summary>
    internal static string? NativeValue(string name) => Marshal.PtrToStringUTF8(getenv(name));

    [DllImport("libc", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int setenv(string name, string value, int overwrite);

    [DllImport("libc", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern IntPtr getenv(string name);
}
