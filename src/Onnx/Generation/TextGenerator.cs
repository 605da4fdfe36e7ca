using System.Text;
using MlNetRnn.Transforms;

namespace MlNetRnn.Onnx.Generation;

/// <summary>
/// Generates text from a language model's <c>.onnx</c> file alone, through ONNX Runtime: the prime is fed once, then each
/// new token costs one step of an <see cref="OnnxStatefulSession"/>. Not thread-safe (it holds one sequence's state).
/// </summary>
public sealed class TextGenerator : IDisposable
{
    private readonly OnnxStatefulSession _session;
    private readonly double[] _scratch;

    /// <summary>Creates a generator for model bytes exported as a language model (task <c>charlm</c>).</summary>
    /// <exception cref="InvalidDataException">The model is not a language model with state inputs and a vocabulary.</exception>
    public TextGenerator(byte[] modelBytes, OnnxScoringOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modelBytes);
        (Vocabulary, Unit) = LanguageModelMetadata.Read(OnnxModelInfo.Read(modelBytes).Metadata);
        _session = new OnnxStatefulSession(modelBytes, options);
        if (_session.VocabularySize != Vocabulary.Count || _session.OutputSize != Vocabulary.Count)
        {
            _session.Dispose();
            throw new InvalidDataException($"The model's vocabulary has {Vocabulary.Count} tokens but its embedding has {_session.VocabularySize} rows and its head {_session.OutputSize} outputs.");
        }
        _scratch = new double[Vocabulary.Count];
    }

    /// <summary>Loads a generator from an <c>.onnx</c> file, after checking its weights against their digest.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The path is a folder.</exception>
    /// <exception cref="InvalidDataException">The file is not a language model, or its weights do not match their digest (altered or corrupted).</exception>
    public static TextGenerator FromFile(string path, OnnxScoringOptions? options = null)
    {
        if (Directory.Exists(path))
            throw new IOException($"Language model file '{path}' is a folder; a file is expected. Give the path of the .onnx file inside it.");
        if (!File.Exists(path))
            throw new FileNotFoundException($"Language model file '{path}' does not exist.", path);
        byte[] bytes = File.ReadAllBytes(path);
        OnnxModelImporter.VerifyWeights(bytes, $"'{path}'", Path.GetDirectoryName(Path.GetFullPath(path)));
        return new TextGenerator(bytes, options);
    }

    /// <summary>The model's vocabulary.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>Whether tokens are characters or words.</summary>
    public TextUnit Unit { get; }

    /// <summary>Where generation runs.</summary>
    public ExecutionDevice Device => _session.Device;

    /// <summary>
    /// Continues <paramref name="prime"/> by <paramref name="length"/> tokens (characters for a character model).
    /// </summary>
    /// <param name="prime">Text to start from: at least one token, every token seen in training.</param>
    /// <param name="length">Tokens to generate (0 or more).</param>
    /// <param name="temperature">0 for greedy; otherwise the sampling temperature (1 samples the model's distribution, lower is more conservative).</param>
    /// <param name="topK">Sample among the k most likely tokens only; 0 for all.</param>
    /// <param name="seed">Seed of the sampler: the same seed, prime and settings give the same text.</param>
    /// <returns>The generated continuation (without the prime).</returns>
    /// <exception cref="ArgumentException">The prime is empty or contains tokens the model never saw.</exception>
    public string Generate(string prime, int length, double temperature = 1.0, int topK = 0, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(prime);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var tokens = TextUnits.Split(prime, Unit);
        if (tokens.Count == 0)
            throw new ArgumentException("The prime is empty; give at least one character of text to continue.", nameof(prime));
        long[] ids = Vocabulary.Encode(tokens, "the prime");
        var random = new Random(seed);
        var text = new StringBuilder(length * (Unit == TextUnit.Character ? 1 : 4));

        _session.Reset();
        float[] primed = _session.Run(ids);
        ReadOnlySpan<float> logits = primed.AsSpan(primed.Length - Vocabulary.Count);
        for (int i = 0; i < length; i++)
        {
            int next = TokenSampler.Sample(logits, temperature, topK, random, _scratch);
            text.Append(Vocabulary.TokenOf(next));
            if (i + 1 < length)
                logits = _session.Step(next);
        }
        return text.ToString();
    }

    /// <summary>
    /// Mean negative log-likelihood per token (nats) of <paramref name="text"/> under the model, predicting each token from the ones
    /// before it, starting from a zero state. Perplexity is <c>exp</c> of it.
    /// </summary>
    /// <exception cref="ArgumentException">The text has fewer than two tokens or contains tokens the model never saw.</exception>
    public double Loss(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = TextUnits.Split(text, Unit);
        if (tokens.Count < 2)
            throw new ArgumentException($"The text has {tokens.Count} token(s); at least 2 are needed to score predictions.", nameof(text));
        long[] ids = Vocabulary.Encode(tokens, "the text");
        _session.Reset();
        float[] logits = _session.Run(ids.AsSpan(0, ids.Length - 1));
        return MeanNegativeLogLikelihood(logits, ids.AsSpan(1), Vocabulary.Count);
    }

    /// <summary>
    /// Mean over steps of log-sum-exp(logits) − the logit of the token that came next (cross-entropy in nats, summed in double):
    /// <paramref name="logits"/> holds one row of <paramref name="vocabulary"/> values per target.
    /// </summary>
    internal static double MeanNegativeLogLikelihood(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int vocabulary)
    {
        double total = 0;
        for (int t = 0; t < targets.Length; t++)
        {
            var row = logits.Slice(t * vocabulary, vocabulary);
            float max = float.NegativeInfinity;
            foreach (float x in row)
                max = Math.Max(max, x);
            double sum = 0;
            foreach (float x in row)
                sum += Math.Exp(x - max);
            total += max + Math.Log(sum) - row[(int)targets[t]];
        }
        return total / targets.Length;
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}
