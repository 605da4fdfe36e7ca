using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Transforms.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.TextClassification;

/// <summary>
/// Pretrained word vectors seen through the classifier's own preprocessing: every vector's word goes through the same ML.NET
/// normalisation and tokenisation as the texts, so "Don't" in a review and "don't" in GloVe meet under the same key. Fills the
/// embedding rows of the vocabulary's words and gives the per-row learning-rate scales that freeze or slow those rows.
/// </summary>
internal sealed class PretrainedEmbedding
{
    private readonly WordVectors _vectors;
    private readonly Dictionary<string, string> _keyOf;
    private readonly List<string> _keys;

    private PretrainedEmbedding(WordVectors vectors, Dictionary<string, string> keyOf, List<string> keys)
    {
        _vectors = vectors;
        _keyOf = keyOf;
        _keys = keys;
    }

    /// <summary>The normalised words that have a vector, in the file's order (most frequent first).</summary>
    public IEnumerable<string> Keys => _keys;

    /// <summary>The vectors' dimension.</summary>
    public int Dimension => _vectors.Dimension;

    /// <summary>Maps each vector's word through <see cref="TextClassifierTrainer.Preprocessing"/>; a word that normalises to one token keeps
    /// that token as its key (the first, most frequent, word of a key wins); one that vanishes or splits is not reachable from a text.</summary>
    public static PretrainedEmbedding Match(MLContext mlContext, WordVectors vectors, bool lowerCase)
    {
        var words = vectors.Words;
        var data = mlContext.Data.LoadFromEnumerable(words.Select(w => new WordRow { Text = w }));
        var prepared = TextClassifierTrainer.Preprocessing(mlContext, nameof(WordRow.Text), lowerCase).Fit(data).Transform(data);
        var column = prepared.Schema[TextClassifierTrainer.TokensColumn];
        var keyOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var keys = new List<string>();
        using var cursor = prepared.GetRowCursor(new[] { column });
        var getter = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(column);
        VBuffer<ReadOnlyMemory<char>> buffer = default;
        for (int i = 0; cursor.MoveNext(); i++)
        {
            getter(ref buffer);
            string? only = null;
            int parts = 0;
            foreach (var part in buffer.DenseValues())
            {
                if (part.Length == 0)
                    continue;
                parts++;
                only = part.ToString();
            }
            if (parts == 1 && keyOf.TryAdd(only!, words[i]))
                keys.Add(only!);
        }
        return new PretrainedEmbedding(vectors, keyOf, keys);
    }

    /// <summary>Whether a (normalised) word has a vector.</summary>
    public bool Covers(string word) => _keyOf.ContainsKey(word);

    /// <summary>
    /// Writes the vectors into the rows of <paramref name="vocabulary"/>'s words in <paramref name="embedding"/> (<c>[V, dim]</c>, on the CPU) and
    /// rescales the other rows' random start to the vectors' spread, so neither kind dominates the first layer. Returns which rows hold a vector.
    /// </summary>
    public bool[] Initialize(Tensor embedding, Vocabulary vocabulary, IReadOnlyCollection<int> untouchable) =>
        Fill(embedding, vocabulary.Count, Dimension, r => untouchable.Contains(r) || !_keyOf.TryGetValue(vocabulary.Tokens[r], out var key)
            ? ReadOnlySpan<float>.Empty
            : _vectors[key]);

    /// <summary>A row's pretrained vector, or an empty span for a row without one.</summary>
    internal delegate ReadOnlySpan<float> RowVector(int row);

    /// <summary>
    /// Writes each row's vector (<paramref name="vectorOf"/>) into <paramref name="embedding"/> (<c>[rows, dim]</c>) and rescales the
    /// other rows' random start to the vectors' spread, so neither kind dominates the first layer. Returns which rows hold a vector.
    /// </summary>
    internal static bool[] Fill(Tensor embedding, int rows, int dim, RowVector vectorOf)
    {
        var values = embedding.detach().cpu().contiguous().data<float>().ToArray();
        var covered = new bool[rows];
        double sum = 0, sumSquares = 0;
        long n = 0;
        for (int r = 0; r < rows; r++)
        {
            var vector = vectorOf(r);
            if (vector.IsEmpty)
                continue;
            vector.CopyTo(values.AsSpan(r * dim, dim));
            covered[r] = true;
            foreach (float v in vector)
            {
                sum += v;
                sumSquares += (double)v * v;
                n++;
            }
        }
        if (n > 1)
        {
            double mean = sum / n;
            float spread = (float)Math.Sqrt(Math.Max(sumSquares / n - mean * mean, 1e-12));
            for (int r = 0; r < rows; r++)
            {
                if (covered[r])
                    continue;
                for (int c = 0; c < dim; c++)
                    values[r * dim + c] *= spread;
            }
        }
        using var noGrad = torch.no_grad();
        using var source = torch.tensor(values, embedding.shape, dtype: embedding.dtype);
        embedding.copy_(source);
        return covered;
    }

    /// <summary>The per-row update scales: <paramref name="scale"/> for rows with a vector, 1 for the others, as <c>[V, 1]</c> on <paramref name="device"/>.</summary>
    public static Tensor RowScales(bool[] covered, double scale, Device device) =>
        torch.tensor(covered.Select(c => c ? (float)scale : 1f).ToArray(), new long[] { covered.Length, 1 }, device: device);

    /// <summary>A line for the model's metadata and the log.</summary>
    public string Describe(bool[] covered, TextClassifierOptions o)
    {
        string training = o.WordVectorTraining == WordVectorTraining.Frozen
            ? "frozen"
            : string.Create(CultureInfo.InvariantCulture, $"fine-tuned at {o.WordVectorLearningRateScale:G3}x the learning rate after {o.WordVectorFrozenEpochs} frozen epoch(s)");
        return string.Create(CultureInfo.InvariantCulture,
            $"{Path.GetFileName(_vectors.Source.Trim('\''))} ({Dimension}-d): {covered.Count(c => c)} of {covered.Length} vocabulary rows start from a vector; {training}");
    }

    private sealed class WordRow
    {
        public string Text { get; set; } = "";
    }
}
