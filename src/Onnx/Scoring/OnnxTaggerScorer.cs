using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MlNetRnn.Onnx.Scoring;

/// <summary>The tags of one sentence: one per token, with the probability the model gave each.</summary>
/// <param name="Tags">Predicted tag per token.</param>
/// <param name="Probabilities">Probability of each predicted tag.</param>
public sealed record TaggedTokens(IReadOnlyList<string> Tags, IReadOnlyList<float> Probabilities);

/// <summary>
/// Scores many sentences per ONNX Runtime call with a tagger graph (<c>tokens</c> strings, <c>token_chars</c> code points,
/// <c>lengths</c> in; <c>predicted_label</c>, <c>predicted_probability</c> out): sentences are grouped by length, each group padded to
/// its longest sentence, and the results handed back in input order. Empty sentences get empty results without a call.
/// </summary>
public sealed class OnnxTaggerScorer : IDisposable
{
    private readonly InferenceSession _session;
    private readonly int _batchSize;
    private readonly bool _characters;

    /// <param name="model">A tagger graph exported with lengths and unflattened <c>token_chars</c>.</param>
    /// <param name="options">Batch size, threads and device; null for the defaults.</param>
    /// <exception cref="ArgumentException">The graph lacks the tagger's inputs or outputs.</exception>
    public OnnxTaggerScorer(byte[] model, OnnxScoringOptions? options = null)
    {
        var settings = options ?? new OnnxScoringOptions();
        settings.Validate();
        _batchSize = settings.BatchSize;
        _session = OnnxSessionFactory.Create(model, settings.Device, out _, out _, settings.Apply);
        var inputs = _session.InputMetadata.Keys.ToHashSet(StringComparer.Ordinal);
        var outputs = _session.OutputMetadata.Keys.ToHashSet(StringComparer.Ordinal);
        if (!inputs.Contains(SequenceOnnxNames.Tokens) || !inputs.Contains(SequenceOnnxNames.Lengths)
            || !outputs.Contains(SequenceOnnxNames.PredictedLabel) || !outputs.Contains(SequenceOnnxNames.PredictedProbability))
        {
            _session.Dispose();
            throw new ArgumentException($"The model is not a tagger graph with lengths: it needs inputs '{SequenceOnnxNames.Tokens}', '{SequenceOnnxNames.Lengths}' " +
                                        $"and outputs '{SequenceOnnxNames.PredictedLabel}', '{SequenceOnnxNames.PredictedProbability}'.");
        }
        _characters = inputs.Contains(SequenceOnnxNames.TokenCharacters);
    }

    /// <summary>Tags every sentence (tokens as they appear, case kept).</summary>
    /// <exception cref="ArgumentException">A token is null.</exception>
    public IReadOnlyList<TaggedTokens> Tag(IReadOnlyList<IReadOnlyList<string>> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var results = new TaggedTokens[sentences.Count];
        var order = Enumerable.Range(0, sentences.Count).Where(i =>
        {
            if (sentences[i] is null || sentences[i].Any(t => t is null))
                throw new ArgumentException($"Sentence {i + 1} is null or holds a null token.", nameof(sentences));
            if (sentences[i].Count > 0)
                return true;
            results[i] = new TaggedTokens(Array.Empty<string>(), Array.Empty<float>());
            return false;
        }).OrderBy(i => sentences[i].Count).ToArray();
        foreach (var batch in order.Chunk(_batchSize))
            ScoreBatch(sentences, batch, results, null, 0);
        return results;
    }

    /// <summary>Every tag's probability for every token, <c>[tokens, tags]</c> flattened in sentence and token order (the export's parity check).</summary>
    internal float[] Probabilities(IReadOnlyList<IReadOnlyList<string>> sentences, int tags)
    {
        var results = new TaggedTokens[sentences.Count];
        var offsets = new int[sentences.Count + 1];
        for (int i = 0; i < sentences.Count; i++)
            offsets[i + 1] = offsets[i] + sentences[i].Count;
        var values = new float[offsets[^1] * tags];
        foreach (var batch in Enumerable.Range(0, sentences.Count).Where(i => sentences[i].Count > 0).Chunk(_batchSize))
            ScoreBatch(sentences, batch, results, (r, probabilities) => probabilities.CopyTo(values.AsSpan(offsets[r] * tags, probabilities.Length)), tags);
        return values;
    }

    private void ScoreBatch(IReadOnlyList<IReadOnlyList<string>> sentences, int[] batch, TaggedTokens[] results, SpanAction? allProbabilities, int tagCount)
    {
        int n = batch.Length, longest = batch.Max(i => sentences[i].Count);
        var tokens = new DenseTensor<string>(new[] { n, longest });
        var lengths = new DenseTensor<int>(new[] { n });
        int width = 1;
        if (_characters)
        {
            foreach (int i in batch)
                foreach (var t in sentences[i])
                    width = Math.Max(width, Math.Min(CharacterConvolution.MaxCharacters, t.EnumerateRunes().Count()));
        }
        var chars = new DenseTensor<long>(new[] { n, longest, width });
        var charSpan = chars.Buffer.Span;
        for (int r = 0; r < n; r++)
        {
            var sentence = sentences[batch[r]];
            lengths[r] = sentence.Count;
            for (int t = 0; t < longest; t++)
            {
                // Padding past a sentence's end is never read (lengths), but it must be a valid string.
                tokens[r, t] = t < sentence.Count ? sentence[t] : string.Empty;
                if (_characters && t < sentence.Count)
                    CharacterConvolution.CodePointsOf(sentence[t], charSpan.Slice((r * longest + t) * width, width));
            }
        }
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor(SequenceOnnxNames.Tokens, tokens),
            NamedOnnxValue.CreateFromTensor(SequenceOnnxNames.Lengths, lengths),
        };
        if (_characters)
            inputs.Add(NamedOnnxValue.CreateFromTensor(SequenceOnnxNames.TokenCharacters, chars));
        using var outputs = _session.Run(inputs, allProbabilities is null
            ? new[] { SequenceOnnxNames.PredictedLabel, SequenceOnnxNames.PredictedProbability }
            : new[] { SequenceOnnxNames.PredictedLabel, SequenceOnnxNames.PredictedProbability, SequenceOnnxNames.Probabilities });
        if (allProbabilities is not null)
        {
            var all = outputs.First(o => o.Name == SequenceOnnxNames.Probabilities).AsTensor<float>().ToArray();
            for (int r = 0; r < n; r++)
                allProbabilities(batch[r], all.AsSpan(r * longest * tagCount, sentences[batch[r]].Count * tagCount));
        }
        var labels = outputs.First(o => o.Name == SequenceOnnxNames.PredictedLabel).AsTensor<string>();
        var probabilities = outputs.First(o => o.Name == SequenceOnnxNames.PredictedProbability).AsTensor<float>();
        for (int r = 0; r < n; r++)
        {
            int length = sentences[batch[r]].Count;
            var tags = new string[length];
            var p = new float[length];
            for (int t = 0; t < length; t++)
            {
                tags[t] = labels[r, t];
                p[t] = probabilities[r, t];
            }
            results[batch[r]] = new TaggedTokens(tags, p);
        }
    }

    private delegate void SpanAction(int row, ReadOnlySpan<float> probabilities);

    /// <summary>Releases the ONNX Runtime session.</summary>
    public void Dispose() => _session.Dispose();
}
