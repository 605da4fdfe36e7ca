namespace MlNetRnn.Onnx.Model;

/// <summary>
/// A linear model over a text's words and adjacent word pairs (a bag of unigrams and bigrams) whose values are added to a text
/// classifier's logits inside the graph, after the networks' mean: the "wide" half of a wide-and-deep classifier. The graph maps
/// each token string to its index in <see cref="Words"/> (a word outside the list reads the zero row <see cref="UnseenRow"/>), each
/// pair of adjacent indices to its row through <see cref="BigramKeys"/>, and sums the rows of every valid token and pair, plus a
/// bias. Weights: <c>ngrams.weight</c> <c>[Rows, outputs]</c> (word <c>i</c> in row <c>i</c>, pair <c>j</c> in row
/// <c>Words.Count + j</c>, then the zero row) and <c>ngrams.bias</c> <c>[outputs]</c>. The words are the part's own, not the
/// embedding's vocabulary: a word seen once still counts here.
/// </summary>
/// <param name="Words">The words with a row, as the tokeniser gives them (after lower-casing when the model lower-cases).</param>
/// <param name="BigramKeys">The adjacent pairs with a row, each as <see cref="KeyOf"/> of its two word indices.</param>
public sealed record NgramPart(IReadOnlyList<string> Words, IReadOnlyList<long> BigramKeys)
{
    /// <summary>Rows of <c>ngrams.weight</c>: the words, the pairs and one zero row for anything unseen.</summary>
    public int Rows => Words.Count + BigramKeys.Count + 1;

    /// <summary>Row of a word or pair the part has no value for; it holds zeros.</summary>
    public int UnseenRow => Rows - 1;

    /// <summary>
    /// The key of the pair (<paramref name="left"/>, <paramref name="right"/>) of word indices. Indices run up to
    /// <see cref="UnseenRow"/>, so a pair with an unseen word gets a key no listed pair has.
    /// </summary>
    public long KeyOf(long left, long right) => left * Rows + right;

    /// <summary>Checks the lists; throws a message naming the bad value.</summary>
    /// <exception cref="ArgumentException">A word repeats or is empty, a key repeats or names a word index outside the list.</exception>
    public void Validate()
    {
        if (Words.Count == 0)
            throw new ArgumentException("An n-gram part needs at least one word.");
        if (Words.Any(string.IsNullOrEmpty))
            throw new ArgumentException("An n-gram part's words must be non-empty strings.");
        if (Words.Distinct(StringComparer.Ordinal).Count() != Words.Count)
            throw new ArgumentException("An n-gram part's words must be distinct.");
        if (BigramKeys.Distinct().Count() != BigramKeys.Count)
            throw new ArgumentException("An n-gram part's pair keys must be distinct.");
        foreach (long key in BigramKeys)
        {
            if (key < 0 || key / Rows >= Words.Count || key % Rows >= Words.Count)
                throw new ArgumentException($"The pair key {key} does not name two of the {Words.Count} words (key = left × {Rows} + right).");
        }
    }
}
