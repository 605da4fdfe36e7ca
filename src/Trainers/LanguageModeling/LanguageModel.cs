using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetRnn.Transforms;

namespace MlNetRnn.Trainers.LanguageModeling;

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

    private readonly byte[] _onnx;
    private readonly TextGenerator _generator;
    private readonly object _gate = new();
    private readonly ScorerCache<OnnxSequenceScorer> _scorers;

    private LanguageModel(byte[] onnx, TextGenerator generator, TrainingHistory? history, ParityReport? parity, double? tokensPerSecond)
    {
        _onnx = onnx;
        _generator = generator;
        History = history;
        Parity = parity;
        TrainTokensPerSecond = tokensPerSecond;
        _scorers = ScorerCache.Sequence(BatchModel, SequenceOnnxNames.Logits);
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
    /// <exception cref="IOException">The path is a folder.</exception>
    /// <exception cref="InvalidDataException">The file is not an MlNetRnn language model, or its weights do not match their digest (altered or corrupted).</exception>
    public static LanguageModel Load(string path, ExecutionDevice? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ModelFiles.RequireFile(path, "Language model file");
        byte[] onnx = File.ReadAllBytes(path);
        // ONNX Runtime would run altered weights without a word: check them against the digest written at export.
        OnnxModelImporter.VerifyWeights(onnx, $"'{path}'", Path.GetDirectoryName(Path.GetFullPath(path)));
        var generator = new TextGenerator(onnx, new OnnxScoringOptions { Device = device ?? ExecutionDevice.Cpu });
        try
        {
            var m = OnnxModelInfo.Read(onnx).Metadata;
            var history = TrainingMetadata.ReadHistory(m);
            double? rate = TrainingMetadata.ReadTokensPerSecond(m);
            return new LanguageModel(onnx, generator, history, null, rate);
        }
        catch (InvalidDataException ex)
        {
            generator.Dispose();
            throw new InvalidDataException($"'{path}': the training summary in the model's metadata is malformed: {ex.Message}", ex);
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

    /// <summary>
    /// <see cref="Loss"/> of many texts at once: each text's mean negative log-likelihood per token (nats), predicting every token from
    /// the ones before it. The texts are grouped by length and scored many per ONNX Runtime call, in chunks of
    /// <see cref="OnnxScoringOptions.BatchSize"/> × <see cref="OnnxScoringOptions.LengthGroupingWindow"/> texts (memory stays bounded),
    /// through the same network exported with a <c>lengths</c> input instead of state; the results equal <see cref="Loss"/> up to
    /// float rounding.
    /// </summary>
    /// <param name="texts">The texts; each needs at least two tokens, all seen in training.</param>
    /// <param name="options">Batch size, grouping window, device and session options; null for 256 texts per run on the CPU with
    /// ONNX Runtime's default thread count.</param>
    /// <exception cref="ArgumentException">A text is too short or holds tokens the model never saw (its index and the tokens are named).</exception>
    public double[] Losses(IReadOnlyList<string> texts, OnnxScoringOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var scorer = BatchScorer(options);
        var losses = new double[texts.Count];
        int chunk = scorer.BatchSize * scorer.GroupingWindow;
        int v = Vocabulary.Count;
        for (int start = 0; start < texts.Count; start += chunk)
        {
            int count = Math.Min(chunk, texts.Count - start);
            var ids = new long[count][];
            for (int i = 0; i < count; i++)
                ids[i] = Encode(texts[start + i], $"text {start + i}");
            // Each text predicts its tokens 1..n from tokens 0..n-1: the inputs drop the last token.
            var inputs = new long[ids.Sum(r => r.Length - 1)];
            var lengths = new int[count];
            int offset = 0;
            for (int i = 0; i < count; i++)
            {
                lengths[i] = ids[i].Length - 1;
                ids[i].AsSpan(0, lengths[i]).CopyTo(inputs.AsSpan(offset));
                offset += lengths[i];
            }
            var logits = new float[inputs.Length * v];
            scorer.Score(inputs, lengths, logits);
            offset = 0;
            for (int i = 0; i < count; i++)
            {
                losses[start + i] = TextGenerator.MeanNegativeLogLikelihood(logits.AsSpan(offset * v, lengths[i] * v), ids[i].AsSpan(1), v);
                offset += lengths[i];
            }
        }
        return losses;
    }

    /// <summary>
    /// A lazy view of <paramref name="input"/> with each text's <see cref="Loss"/> added as a Single column, scored in batches as the
    /// cursor moves (see <see cref="Losses"/>); input order and every input column are kept.
    /// </summary>
    /// <param name="input">Data with a text column.</param>
    /// <param name="textColumnName">The String column to score.</param>
    /// <param name="outputColumnName">The Single column to add.</param>
    /// <param name="options">Batch size, grouping window, device and session options; null for the defaults.</param>
    /// <exception cref="ArgumentException">The text column is missing or not text; while reading, a text that is too short or holds unseen tokens.</exception>
    public IDataView TransformBatched(IDataView input, string textColumnName = "Text", string outputColumnName = "Loss", OnnxScoringOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        SchemaValidation.RequireText(input.Schema, textColumnName, "text");
        ArgumentException.ThrowIfNullOrEmpty(outputColumnName);
        var scorer = BatchScorer(options);
        var ml = new MLContext();
        var textDefinition = SchemaDefinition.Create(typeof(LossText));
        textDefinition[nameof(LossText.Text)].ColumnName = textColumnName;
        var encode = ml.Transforms.CustomMapping<LossText, LossIds>((text, ids) =>
        {
            var all = Encode(text.Text, "a text of column '" + textColumnName + "'");
            ids.Inputs = all[..^1];
            ids.Targets = all[1..];
        }, null, textDefinition);
        var encoded = encode.Fit(input).Transform(input);
        var scored = scorer.Transform(encoded, LossIds.InputsColumn, new[] { new KeyValuePair<string, string>(SequenceOnnxNames.Logits, LogitsColumn) });
        int v = Vocabulary.Count;
        var lossDefinition = SchemaDefinition.Create(typeof(LossValue));
        lossDefinition[nameof(LossValue.Loss)].ColumnName = outputColumnName;
        var loss = ml.Transforms.CustomMapping<LossLogits, LossValue>((x, y) => y.Loss = (float)TextGenerator.MeanNegativeLogLikelihood(x.Logits, x.Targets, v), null, null, lossDefinition);
        var withLoss = loss.Fit(scored).Transform(scored);
        return ml.Transforms.DropColumns(LossIds.InputsColumn, LossIds.TargetsColumn, LogitsColumn).Fit(withLoss).Transform(withLoss);
    }

    private const string LogitsColumn = "MlNetRnn.LmLogits";

    internal long[] Encode(string? text, string what)
    {
        var tokens = TextUnits.Split(text ?? string.Empty, Unit);
        if (tokens.Count < 2)
            throw new ArgumentException($"{char.ToUpperInvariant(what[0])}{what[1..]} has {tokens.Count} token(s); at least 2 are needed to score predictions.");
        return Vocabulary.Encode(tokens, what);
    }

    // Without options the batch scorer keeps ONNX Runtime's own thread count: a language model's wide LSTM steps (256 units and
    // more) are large enough to split over threads, unlike a classifier's small cell. With one thread (the options' default) the
    // bench's 2 x 256 LSTM scored at half of raw ONNX Runtime with its default threads.
    private OnnxSequenceScorer BatchScorer(OnnxScoringOptions? options) => _scorers.Get(options ?? new OnnxScoringOptions { IntraOpThreads = null }, this);

    // The saved graph carries state in and out for step-by-step generation; batch scoring wants the same weights with a lengths
    // input instead, so the model is re-exported (once, in memory).
    private byte[] BatchModel()
    {
        var imported = OnnxModelImporter.Import(_onnx);
        return SequenceOnnxExporter.Export(imported.Sequence! with { UsesLengths = true, ExposesState = false }, imported.Weights, imported.ExtraMetadata);
    }

    private sealed class LossText
    {
        public string Text { get; set; } = "";
    }

    private sealed class LossIds
    {
        public const string InputsColumn = "MlNetRnn.LmInputs", TargetsColumn = "MlNetRnn.LmTargets";

        [VectorType, ColumnName(InputsColumn)]
        public long[] Inputs { get; set; } = Array.Empty<long>();

        [VectorType, ColumnName(TargetsColumn)]
        public long[] Targets { get; set; } = Array.Empty<long>();
    }

    private sealed class LossLogits
    {
        [VectorType, ColumnName(LossIds.TargetsColumn)]
        public long[] Targets { get; set; } = Array.Empty<long>();

        [VectorType, ColumnName(LogitsColumn)]
        public float[] Logits { get; set; } = Array.Empty<float>();
    }

    private sealed class LossValue
    {
        public float Loss { get; set; }
    }

    /// <summary>The ONNX model bytes (a copy).</summary>
    public byte[] GetOnnxModel() => (byte[])_onnx.Clone();

    /// <summary>Writes the <c>.onnx</c> file atomically; it alone is enough to generate.</summary>
    public void SaveOnnx(string path) => AtomicFile.WriteAllBytes(path, _onnx);

    /// <inheritdoc />
    public void Dispose()
    {
        _scorers.Dispose();
        _generator.Dispose();
    }
}
