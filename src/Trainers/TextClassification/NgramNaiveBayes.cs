namespace MlNetRnn.Trainers.TextClassification;

/// <summary>
/// Multinomial naive Bayes over a text's words and adjacent word pairs, fitted in closed form on the training texts: the values
/// of the classifier's <see cref="NgramPart"/>. Per class c and feature f (a word or a pair), log((count_c(f) + α) / Z_c) with
/// Laplace smoothing α = 1 over the features seen in training; a binary head gets the log ratio of the two classes, a softmax
/// head the per-class values centred over the classes (the softmax ignores a shift). Features never seen in training add nothing.
/// </summary>
/// <remarks>
/// Short labelled texts are where such a model is strong and a network trained from scratch is weak (on the review sentences naive
/// Bayes on words and pairs scores about 0.82 against about 0.79 for a five-network ensemble without word vectors), and the two err
/// on different texts; the classifier adds the part's logits, scaled by a weight chosen on its validation texts, to the networks'.
/// </remarks>
internal sealed class NgramNaiveBayes
{
    /// <summary>Laplace smoothing of the counts.</summary>
    public const double Smoothing = 1.0;

    /// <summary>Most word pairs the part keeps (the most frequent in the training texts); every training word is kept.</summary>
    public const int MaximumPairs = 100_000;

    /// <summary>The weights tried for the part when the validation texts choose it (0 turns it off).</summary>
    public static readonly IReadOnlyList<double> WeightGrid = new[] { 0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0 };

    /// <summary>The scales tried for the networks' mean logits next to the part, full scale first.</summary>
    public static readonly IReadOnlyList<double> NetworkScaleGrid = new[] { 1.0, 0.75, 0.5, 0.25 };

    private readonly Dictionary<string, int> _wordIndex;
    private readonly Dictionary<long, int> _pairRow;

    private NgramNaiveBayes(NgramPart part, float[] table, float[] bias, int outputs)
    {
        Part = part;
        Table = table;
        Bias = bias;
        Outputs = outputs;
        _wordIndex = part.Words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i, StringComparer.Ordinal);
        _pairRow = part.BigramKeys.Select((k, i) => (k, i)).ToDictionary(p => p.k, p => part.Words.Count + p.i);
    }

    /// <summary>The words and pairs with a row.</summary>
    public NgramPart Part { get; }

    /// <summary>Unweighted values <c>[Part.Rows, Outputs]</c>, row-major; the last row is zeros.</summary>
    public float[] Table { get; }

    /// <summary>Unweighted class-prior values <c>[Outputs]</c>.</summary>
    public float[] Bias { get; }

    /// <summary>Values per text: 1 for a binary head, the classes for a softmax head.</summary>
    public int Outputs { get; }

    /// <summary>Counts the words and pairs of <paramref name="texts"/> (each cut to <paramref name="maxLength"/> words) per class.</summary>
    /// <param name="texts">Training texts as words.</param>
    /// <param name="labels">Class per text: 0/1 for binary, 0..classes−1 otherwise.</param>
    /// <param name="classes">Number of classes (2 for binary).</param>
    /// <param name="binary">Whether the head is one sigmoid logit.</param>
    /// <param name="maxLength">Words kept per text, as the model truncates them.</param>
    /// <exception cref="ArgumentException">No text has a word.</exception>
    public static NgramNaiveBayes Fit(IReadOnlyList<string[]> texts, IReadOnlyList<int> labels, int classes, bool binary, int maxLength)
    {
        var words = texts.SelectMany(t => t.Take(maxLength)).Where(w => w.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (words.Length == 0)
            throw new ArgumentException("The training texts have no words for the n-gram part to count.");
        var index = words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i, StringComparer.Ordinal);
        long rows = words.Length;
        var wordCounts = new double[words.Length, classes];
        var pairCounts = new Dictionary<long, double[]>();
        var documents = new double[classes];
        for (int t = 0; t < texts.Count; t++)
        {
            int c = labels[t];
            documents[c]++;
            var ids = Indices(texts[t], maxLength, index);
            for (int i = 0; i < ids.Length; i++)
            {
                if (ids[i] < 0)
                    continue;
                wordCounts[ids[i], c]++;
                if (i + 1 < ids.Length && ids[i + 1] >= 0)
                {
                    // Keys are final only once the pair count is known; count by (left, right) for now.
                    long pair = ids[i] * rows + ids[i + 1];
                    if (!pairCounts.TryGetValue(pair, out var perClass))
                        pairCounts[pair] = perClass = new double[classes];
                    perClass[c]++;
                }
            }
        }
        // Long texts give mostly pairs seen once; the most frequent MaximumPairs bound the graph (each pair is a row, a key in the
        // graph and one in the metadata). The features left out count nowhere, as if never seen.
        var pairs = pairCounts.Count <= MaximumPairs
            ? pairCounts.Keys.Order().ToArray()
            : pairCounts.OrderByDescending(p => p.Value.Sum()).ThenBy(p => p.Key).Take(MaximumPairs).Select(p => p.Key).Order().ToArray();
        if (pairs.Length < pairCounts.Count)
        {
            var kept = pairs.ToHashSet();
            foreach (long dropped in pairCounts.Keys.Where(k => !kept.Contains(k)).ToArray())
                pairCounts.Remove(dropped);
        }
        var part = new NgramPart(words, pairs.Select(p => p / rows * (words.Length + pairs.Length + 1) + p % rows).ToArray());

        // Z_c: every counted feature of class c plus α for each feature seen in training.
        int features = words.Length + pairs.Length;
        var totals = new double[classes];
        for (int c = 0; c < classes; c++)
        {
            for (int w = 0; w < words.Length; w++)
                totals[c] += wordCounts[w, c];
            foreach (var perClass in pairCounts.Values)
                totals[c] += perClass[c];
            totals[c] += Smoothing * features;
        }
        int outputs = binary ? 1 : classes;
        var table = new float[part.Rows * outputs];
        var logs = new double[classes];
        void Set(int row, Func<int, double> count)
        {
            for (int c = 0; c < classes; c++)
                logs[c] = Math.Log((count(c) + Smoothing) / totals[c]);
            Write(table, row, logs, binary);
        }
        for (int w = 0; w < words.Length; w++)
            Set(w, c => wordCounts[w, c]);
        for (int p = 0; p < pairs.Length; p++)
            Set(words.Length + p, c => pairCounts[pairs[p]][c]);

        var bias = new float[outputs];
        for (int c = 0; c < classes; c++)
            logs[c] = Math.Log((documents[c] + Smoothing) / (texts.Count + Smoothing * classes));
        Write(bias, 0, logs, binary);
        return new NgramNaiveBayes(part, table, bias, outputs);
    }

    /// <summary>The part's unweighted logits <c>[texts, Outputs]</c>, as the graph sums them: every kept word and adjacent pair's row, plus the bias.</summary>
    public float[] Logits(IReadOnlyList<string[]> texts, int maxLength)
    {
        var result = new float[texts.Count * Outputs];
        for (int t = 0; t < texts.Count; t++)
        {
            var sum = result.AsSpan(t * Outputs, Outputs);
            Bias.CopyTo(sum);
            var ids = Indices(texts[t], maxLength, _wordIndex);
            for (int i = 0; i < ids.Length; i++)
            {
                if (ids[i] < 0)
                    continue;
                Add(sum, ids[i]);
                if (i + 1 < ids.Length && ids[i + 1] >= 0 && _pairRow.TryGetValue(Part.KeyOf(ids[i], ids[i + 1]), out int row))
                    Add(sum, row);
            }
        }
        return result;
    }

    /// <summary>
    /// The part's weights for the graph: <c>ngrams.weight</c> and <c>ngrams.bias</c> scaled by <paramref name="weight"/>, and
    /// <c>ngrams.network_scale</c>, what the networks' mean logits are multiplied by before the part is added.
    /// </summary>
    public IEnumerable<NamedTensor> Tensors(double networkScale, double weight)
    {
        yield return new NamedTensor("ngrams.weight", new long[] { Part.Rows, Outputs }, Table.Select(v => (float)(v * weight)).ToArray());
        yield return new NamedTensor("ngrams.bias", new long[] { Outputs }, Bias.Select(v => (float)(v * weight)).ToArray());
        yield return new NamedTensor("ngrams.network_scale", new long[] { 1 }, new[] { (float)networkScale });
    }

    /// <summary>
    /// The pair of <see cref="NetworkScaleGrid"/> and <see cref="WeightGrid"/> whose combination <c>scale · network + weight · part</c>
    /// has the lowest cross-entropy on labelled texts (the classifier's validation texts, never its training texts, on which naive
    /// Bayes is overconfident). Both are chosen because the sum of two confident models' logits is overconfident: with the
    /// network's scale fixed at 1 the loss holds the part's weight down even where the part decides texts the network gets wrong.
    /// Ties go to the earlier pair (the network at full scale, the smaller weight). Weight 0 (no part) is tried at full scale only
    /// (its other losses are infinite): the classifier ships a network without the part unscaled, so shrinking alone is never chosen.
    /// </summary>
    /// <param name="networkLogits">The networks' mean logits <c>[texts, outputs]</c>.</param>
    /// <param name="partLogits">This part's unweighted logits for the same texts.</param>
    /// <param name="labels">Class per text.</param>
    /// <param name="binary">Whether the head is one sigmoid logit.</param>
    /// <param name="outputs">Values per text.</param>
    /// <param name="networkScales">Scales to try (default <see cref="NetworkScaleGrid"/>).</param>
    public static (double NetworkScale, double Weight, double[,] Losses) ChooseWeights(float[] networkLogits, float[] partLogits, IReadOnlyList<int> labels, bool binary, int outputs,
        IReadOnlyList<double>? networkScales = null)
    {
        networkScales ??= NetworkScaleGrid;
        var losses = new double[networkScales.Count, WeightGrid.Count];
        var z = new double[outputs];
        (int, int) best = (0, 0);
        for (int a = 0; a < networkScales.Count; a++)
        for (int w = 0; w < WeightGrid.Count; w++)
        {
            if (WeightGrid[w] == 0 && networkScales[a] != 1)
            {
                // Without the part the classifier keeps its networks as trained: a scale that only shrinks them is not an option.
                losses[a, w] = double.PositiveInfinity;
                continue;
            }
            double loss = 0;
            for (int t = 0; t < labels.Count; t++)
            {
                for (int o = 0; o < outputs; o++)
                    z[o] = networkScales[a] * networkLogits[t * outputs + o] + WeightGrid[w] * partLogits[t * outputs + o];
                loss += binary ? BinaryLoss(z[0], labels[t]) : SoftmaxLoss(z, labels[t]);
            }
            losses[a, w] = loss / Math.Max(1, labels.Count);
            if (losses[a, w] < losses[best.Item1, best.Item2])
                best = (a, w);
        }
        return (networkScales[best.Item1], WeightGrid[best.Item2], losses);
    }

    private void Add(Span<float> sum, int row)
    {
        for (int o = 0; o < Outputs; o++)
            sum[o] += Table[row * Outputs + o];
    }

    // Word indices of a text's kept words; −1 for a word without a row (the graph's zero row).
    private static int[] Indices(string[] words, int maxLength, Dictionary<string, int> index) =>
        words.Take(maxLength).Select(w => index.TryGetValue(w, out int i) ? i : -1).ToArray();

    private static void Write(float[] target, int row, double[] logs, bool binary)
    {
        if (binary)
        {
            target[row] = (float)(logs[1] - logs[0]);
            return;
        }
        double mean = logs.Average();
        for (int c = 0; c < logs.Length; c++)
            target[row * logs.Length + c] = (float)(logs[c] - mean);
    }

    // −log σ(±z), computed without overflow.
    private static double BinaryLoss(double z, int label)
    {
        double m = label == 1 ? -z : z;
        return Math.Max(m, 0) + Math.Log(1 + Math.Exp(-Math.Abs(m)));
    }

    private static double SoftmaxLoss(double[] z, int label)
    {
        double max = z.Max();
        return Math.Log(z.Sum(v => Math.Exp(v - max))) + max - z[label];
    }
}
