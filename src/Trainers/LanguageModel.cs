using System.Globalization;
using System.Text.Json;
using Microsoft.ML.Runtime;
using MlNetRnn.Onnx;
using MlNetRnn.Transforms;

namespace MlNetRnn.Trainers;

/// <summary>
/// A trained language model: its ONNX bytes (the whole model: vocabulary, unit and training summary are in the metadata) and a
/// generator that runs them through ONNX Runtime step by step. Returned by <see cref="LanguageModelTrainer"/>, or loaded from an
/// <c>.onnx</c> file with <see cref="Load(string, ExecutionDevice?)"/>. Thread-safe: calls are serialised on one ONNX Runtime session.
/// </summary>
/// <remarks>
/// A language model is not an ML.NET row transform, so it is not saved into an ML.NET model zip: the <c>.onnx</c> file is its
/// persisted form (<see cref="SaveOnnx"/>, <see cref="Load(string, ExecutionDevice?)"/>).
/// </remarks>
public sealed class LanguageModel : IDisposable
{
    internal const string MetadataTrainLoss = "training.train_loss";
    internal const string MetadataValidationLoss = "training.validation_loss";
    internal const string MetadataBestEpoch = "training.best_epoch";
    internal const string MetadataStoppedEarly = "training.stopped_early";
    internal const string MetadataTrainSeconds = "training.seconds";
    internal const string MetadataTokensPerSecond = "training.tokens_per_second";

    private readonly byte[] _onnx;
    private readonly TextGenerator _generator;
    private readonly object _gate = new();

    private LanguageModel(byte[] onnx, TextGenerator generator, TrainingHistory? history, ParityReport? parity, double? tokensPerSecond)
    {
        _onnx = onnx;
        _generator = generator;
        History = history;
        Parity = parity;
        TrainTokensPerSecond = tokensPerSecond;
    }

    internal static LanguageModel Create(byte[] onnx, TrainingHistory history, ParityReport parity, double tokensPerSecond, ExecutionDevice device, IChannel channel)
    {
        var generator = new TextGenerator(onnx, new OnnxScoringOptions { Device = device });
        if (generator.Device != device && device.Kind == ExecutionDeviceKind.Auto)
            channel.Warning(MessageSensitivity.None, $"Generation runs on {generator.Device}: ONNX Runtime has no CUDA execution provider. Install Microsoft.ML.OnnxRuntime.Gpu for GPU inference.");
        return new LanguageModel(onnx, generator, history, parity, tokensPerSecond);
    }

    /// <summary>Loads a language model from its <c>.onnx</c> file.</summary>
    /// <param name="path">The file written by <see cref="SaveOnnx"/> (or the CLI).</param>
    /// <param name="device">Where generation runs; default CPU.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an MlNetRnn language model.</exception>
    public static LanguageModel Load(string path, ExecutionDevice? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Language model file '{path}' does not exist.", path);
        byte[] onnx = File.ReadAllBytes(path);
        var generator = new TextGenerator(onnx, new OnnxScoringOptions { Device = device ?? ExecutionDevice.Cpu });
        try
        {
            var m = OnnxModelInfo.Read(onnx).Metadata;
            TrainingHistory? history = null;
            if (m.TryGetValue(MetadataTrainLoss, out var train))
            {
                var validation = m.TryGetValue(MetadataValidationLoss, out var v) ? JsonSerializer.Deserialize<double[]>(v) ?? Array.Empty<double>() : Array.Empty<double>();
                double seconds = m.TryGetValue(MetadataTrainSeconds, out var s) ? double.Parse(s, CultureInfo.InvariantCulture) : 0;
                int best = m.TryGetValue(MetadataBestEpoch, out var b) ? int.Parse(b, CultureInfo.InvariantCulture) : 0;
                history = new TrainingHistory(JsonSerializer.Deserialize<double[]>(train) ?? Array.Empty<double>(), validation, best,
                    m.TryGetValue(MetadataStoppedEarly, out var se) && se == "true", TimeSpan.FromSeconds(seconds));
            }
            double? rate = m.TryGetValue(MetadataTokensPerSecond, out var r) ? double.Parse(r, CultureInfo.InvariantCulture) : null;
            return new LanguageModel(onnx, generator, history, null, rate);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or OverflowException)
        {
            generator.Dispose();
            throw new InvalidDataException($"'{path}': the training summary in the model's metadata is malformed ({ex.Message}).", ex);
        }
        catch
        {
            generator.Dispose();
            throw;
        }
    }

    /// <summary>The vocabulary (token strings by id).</summary>
    public Vocabulary Vocabulary => _generator.Vocabulary;

    /// <summary>Whether tokens are characters or words.</summary>
    public TextUnit Unit => _generator.Unit;

    /// <summary>Losses per epoch (nats per token) and the epoch whose weights were kept; null when loaded from a file without them.</summary>
    public TrainingHistory? History { get; }

    /// <summary>The export self-check (ONNX Runtime vs TorchSharp logits); null for a loaded model.</summary>
    public ParityReport? Parity { get; }

    /// <summary>Training throughput in tokens per second (forward + backward, validation excluded).</summary>
    public double? TrainTokensPerSecond { get; }

    /// <summary>Where generation runs.</summary>
    public ExecutionDevice InferenceDevice => _generator.Device;

    /// <summary>
    /// Continues <paramref name="prime"/> with <paramref name="length"/> tokens generated through ONNX Runtime: the prime is fed once, then
    /// one step per token.
    /// </summary>
    /// <param name="prime">Text to start from (at least one character; every token must have been seen in training).</param>
    /// <param name="length">Tokens to generate.</param>
    /// <param name="temperature">0 for greedy; 1 samples the model's distribution; lower is more conservative. Default 1.</param>
    /// <param name="topK">Sample among the k most likely tokens only; 0 for all. Default 0.</param>
    /// <param name="seed">Sampler seed: the same seed gives the same text. Default 0.</param>
    /// <exception cref="ArgumentException">The prime is empty or has unseen tokens (the message lists them).</exception>
    public string Generate(string prime, int length, double temperature = 1.0, int topK = 0, int seed = 0)
    {
        lock (_gate)
            return _generator.Generate(prime, length, temperature, topK, seed);
    }

    /// <summary>Mean negative log-likelihood per token (nats) of <paramref name="text"/>; perplexity is its exponential.</summary>
    public double Loss(string text)
    {
        lock (_gate)
            return _generator.Loss(text);
    }

    /// <summary>The ONNX model bytes (a copy).</summary>
    public byte[] GetOnnxModel() => (byte[])_onnx.Clone();

    /// <summary>Writes the <c>.onnx</c> file atomically; it alone is enough to generate.</summary>
    public void SaveOnnx(string path) => AtomicFile.WriteAllBytes(path, _onnx);

    /// <inheritdoc />
    public void Dispose() => _generator.Dispose();
}
