using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.Training;

/// <summary>
/// The steps every family's <c>Fit</c> shares, written once: the MLContext channel, the seed (from the options, else drawn from
/// the MLContext), training under the process-wide torch lock with libtorch seeded and the device resolved (with its fallback
/// note), the checkpoint folder with its fingerprint, a CPU copy for the export's reference values, the parity check and its log
/// line, and the <c>training.*</c> metadata.
/// </summary>
internal sealed class FitSession : IDisposable
{
    private readonly IChannel _channel;
    private readonly RecurrentTrainerOptions _options;

    private FitSession(IChannel channel, RecurrentTrainerOptions options, int seed)
    {
        _channel = channel;
        _options = options;
        Seed = seed;
    }

    /// <summary>Opens the MLContext channel of a fit and fixes its seed.</summary>
    public static FitSession Start(MLContext mlContext, string component, RecurrentTrainerOptions options)
    {
        var host = ((IHostEnvironment)mlContext).Register(component);
        var channel = host.Start("Fit");
        return new FitSession(channel, options, options.Seed ?? host.Rand.Next());
    }

    /// <summary>The fit's seed.</summary>
    public int Seed { get; }

    /// <summary>Where training ran: <c>cpu</c> or <c>cuda:N</c> (set by <see cref="Train{T}"/>).</summary>
    public string TrainingDevice { get; private set; } = "cpu";

    /// <summary>Why training ran elsewhere than asked, or null.</summary>
    public string? DeviceNote { get; private set; }

    /// <summary>The ML.NET channel, for components that log through it.</summary>
    public IChannel Channel => _channel;

    /// <summary>Writes an informational line to the MLContext log.</summary>
    public void Info(string message) => _channel.Info(MessageSensitivity.None, message);

    /// <summary>Writes a warning to the MLContext log.</summary>
    public void Warning(string message) => _channel.Warning(MessageSensitivity.None, message);

    /// <summary>
    /// Runs <paramref name="train"/> under the torch lock (libtorch's global generator makes seeds reproducible only one fit at a
    /// time), with libtorch seeded and the options' device resolved.
    /// </summary>
    /// <exception cref="InvalidOperationException">CUDA was required and is absent.</exception>
    public T Train<T>(Func<Device, T> train)
    {
        lock (TorchGate.Lock)
        {
            torch.manual_seed(Seed);
            var device = TorchDeviceSelector.Resolve(_options.Device, out string? note);
            TrainingDevice = device.type == DeviceType.CUDA ? $"cuda:{device.index}" : "cpu";
            DeviceNote = note;
            if (note is not null)
                Warning(note);
            return train(device);
        }
    }

    /// <summary>
    /// Re-seeds libtorch with the fit's seed plus <paramref name="offset"/> (a second stage that must start from the same initial weights,
    /// or ensemble member <paramref name="offset"/>); call inside <see cref="Train{T}"/>.
    /// </summary>
    public void Reseed(int offset = 0) => torch.manual_seed(Seed + offset);

    /// <summary>
    /// The checkpoint folder of this fit, or null without <see cref="RecurrentTrainerOptions.CheckpointDirectory"/>. Its fingerprint
    /// is the options, the seed and a digest of the training data, so a resume with anything else is refused.
    /// </summary>
    public CheckpointStore? Checkpoints(string dataDigest)
    {
        if (_options.CheckpointDirectory is null)
            return null;
        var fingerprint = _options.Fingerprint();
        fingerprint["Seed"] = Seed.ToString(CultureInfo.InvariantCulture);
        fingerprint["data"] = dataDigest;
        return new CheckpointStore(_options.CheckpointDirectory, fingerprint, _options.Resume, Info);
    }

    /// <summary>Values computed by a CPU copy of <paramref name="network"/>: cuDNN's TF32 kernels differ from CPU results by more than the parity check allows.</summary>
    public static T OnCpu<T>(RecurrentSequenceNetwork network, Device device, double dropout, Func<RecurrentSequenceNetwork, T> compute)
    {
        if (device.type == DeviceType.CPU)
            return compute(network);
        using var copy = new RecurrentSequenceNetwork(network.Description, dropout);
        copy.LoadWeights(network.ExportWeights());
        return compute(copy);
    }

    /// <summary>Checks the exported graph's values against TorchSharp's and logs the result.</summary>
    /// <exception cref="InvalidOperationException">The values differ beyond the tolerance.</exception>
    public ParityReport VerifyParity(ReadOnlySpan<float> torchValues, ReadOnlySpan<float> onnxValues, string what)
    {
        var parity = OnnxParityCheck.Verify(torchValues, onnxValues);
        Info(string.Create(CultureInfo.InvariantCulture, $"ONNX parity check passed: max abs diff {parity.MaxAbsDiff:G3} over {parity.Count} {what}."));
        return parity;
    }

    /// <summary>The <c>training.*</c> metadata of this fit.</summary>
    public IEnumerable<KeyValuePair<string, string>> Metadata(TrainingHistory history, double? tokensPerSecond = null) =>
        TrainingMetadata.Write(new TrainingRecord(history, Seed, TrainingDevice, DeviceNote, tokensPerSecond));

    /// <summary>SHA-256 over float arrays (lengths included), for checkpoint fingerprints.</summary>
    public static string DataDigest(params float[][] arrays)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var array in arrays)
        {
            hash.AppendData(BitConverter.GetBytes(array.LongLength));
            hash.AppendData(MemoryMarshal.AsBytes(array.AsSpan()));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>SHA-256 over id rows and labels (lengths included), for checkpoint fingerprints.</summary>
    public static string DataDigest(IEnumerable<long[]> rows, int[]? labels = null)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var row in rows)
        {
            hash.AppendData(BitConverter.GetBytes(row.LongLength));
            hash.AppendData(MemoryMarshal.AsBytes(row.AsSpan()));
        }
        if (labels is not null)
            hash.AppendData(MemoryMarshal.AsBytes(labels.AsSpan()));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <inheritdoc/>
    public void Dispose() => _channel.Dispose();
}
