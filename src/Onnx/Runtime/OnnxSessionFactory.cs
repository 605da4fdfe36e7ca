using Microsoft.ML.OnnxRuntime;

namespace MlNetRnn.Onnx.Runtime;

/// <summary>
/// Creates ONNX Runtime sessions on the requested device, checking which execution providers the
/// installed runtime really has before asking for CUDA (asking a CPU-only runtime for CUDA throws).
/// </summary>
public static class OnnxSessionFactory
{
    /// <summary>ONNX Runtime's name for the CUDA execution provider.</summary>
    public const string CudaProviderName = "CUDAExecutionProvider";

    /// <summary>Message used when CUDA is asked for but the runtime has no CUDA execution provider.</summary>
    public const string MissingCudaMessage =
        "The CUDA execution provider is not available in the installed ONNX Runtime. " +
        "Reference the Microsoft.ML.OnnxRuntime.Gpu package (instead of Microsoft.ML.OnnxRuntime) and install CUDA/cuDNN, " +
        "or choose ExecutionDevice.Cpu or ExecutionDevice.Auto.";

    /// <summary>Execution providers compiled into the loaded ONNX Runtime.</summary>
    public static IReadOnlyList<string> AvailableProviders => OrtEnv.Instance().GetAvailableProviders();

    /// <summary>
    /// Whether the loaded ONNX Runtime has the CUDA execution provider and it loads on this machine (a GPU build lists the provider
    /// even where the CUDA libraries it needs are missing; the first call checks once by loading it).
    /// </summary>
    public static bool IsCudaAvailable => AvailableProviders.Contains(CudaProviderName) && CudaLoadFailure.Value is null;

    // Why the listed CUDA provider could not be loaded (a missing libcublasLt, libcudnn, driver), or null when it loads.
    private static readonly Lazy<string?> CudaLoadFailure = new(ProbeCuda);

    private static string? ProbeCuda()
    {
        if (!AvailableProviders.Contains(CudaProviderName))
            return null;
        var env = OrtEnv.Instance();
        var level = env.EnvLogLevel;
        try
        {
            // The failure is reported here, in words; ONNX Runtime's own error line would only repeat it on stderr.
            env.EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
            using var options = new SessionOptions();
            options.AppendExecutionProvider_CUDA(0);
            return null;
        }
        catch (OnnxRuntimeException ex)
        {
            return ex.Message;
        }
        finally
        {
            env.EnvLogLevel = level;
        }
    }

    private static string CudaUnavailableReason() =>
        AvailableProviders.Contains(CudaProviderName)
            ? $"ONNX Runtime's CUDA execution provider is installed but does not load on this machine ({CudaLoadFailure.Value?.Trim()}). " +
              "Install the CUDA and cuDNN versions the Microsoft.ML.OnnxRuntime.Gpu package names (and an NVIDIA driver), or choose ExecutionDevice.Cpu."
            : MissingCudaMessage + $" (Available providers: {string.Join(", ", AvailableProviders)}.)";

    /// <summary>
    /// Decides where inference will run for a request, without creating a session.
    /// </summary>
    /// <param name="requested">The request.</param>
    /// <param name="fallbackNote">Set when <see cref="ExecutionDevice.Auto"/> fell back to the CPU: a one-line reason for the log.</param>
    /// <returns><see cref="ExecutionDevice.Cpu"/> or a concrete <see cref="ExecutionDevice.Cuda(int)"/>.</returns>
    /// <exception cref="InvalidOperationException"><see cref="ExecutionDeviceKind.Cuda"/> was requested and the runtime has no CUDA provider.</exception>
    public static ExecutionDevice Resolve(ExecutionDevice requested, out string? fallbackNote)
    {
        ArgumentNullException.ThrowIfNull(requested);
        fallbackNote = null;
        switch (requested.Kind)
        {
            case ExecutionDeviceKind.Cpu:
                return ExecutionDevice.Cpu;
            case ExecutionDeviceKind.Cuda:
                if (!IsCudaAvailable)
                    throw new InvalidOperationException(CudaUnavailableReason());
                return requested;
            default:
                if (IsCudaAvailable)
                    return ExecutionDevice.Cuda(requested.DeviceId);
                fallbackNote = AvailableProviders.Contains(CudaProviderName)
                    ? CudaUnavailableReason() + " Inference runs on the CPU."
                    : $"ONNX Runtime has no CUDA execution provider (available: {string.Join(", ", AvailableProviders)}); inference runs on the CPU. " +
                      "Install Microsoft.ML.OnnxRuntime.Gpu for GPU inference.";
                return ExecutionDevice.Cpu;
        }
    }

    /// <summary>
    /// Creates a session for <paramref name="modelBytes"/> on the requested device.
    /// </summary>
    /// <param name="modelBytes">The ONNX model.</param>
    /// <param name="requested">Where to run.</param>
    /// <param name="resolved">Where the session actually runs.</param>
    /// <param name="fallbackNote">Set when <see cref="ExecutionDevice.Auto"/> fell back to the CPU.</param>
    /// <param name="configure">Optional further session settings (threads, optimisation level), applied before the provider is added.</param>
    /// <exception cref="InvalidOperationException">CUDA was requested and is not available.</exception>
    public static InferenceSession Create(byte[] modelBytes, ExecutionDevice requested, out ExecutionDevice resolved, out string? fallbackNote,
        Action<SessionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(modelBytes);
        resolved = Resolve(requested, out fallbackNote);
        using var options = new SessionOptions();
        configure?.Invoke(options);
        if (resolved.Kind == ExecutionDeviceKind.Cuda)
            options.AppendExecutionProvider_CUDA(resolved.DeviceId);
        return new InferenceSession(modelBytes, options);
    }
}
