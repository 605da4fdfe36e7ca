using Microsoft.ML;

namespace MlNetRnn.Trainers.Tagging;

/// <summary>
/// Scores predicted tags against gold tags: token accuracy, accuracy on tokens unseen in training, sentence accuracy, and per-tag
/// precision, recall and F1.
/// </summary>
public static class SequenceTaggerEvaluator
{
    /// <summary>Evaluates a scored IDataView (the output of a <see cref="SequenceTaggerTransformer"/> with the gold tags column kept).</summary>
    /// <param name="scored">Rows with tokens, gold tags and predicted tags.</param>
    /// <param name="tokensColumn">Tokens column (vector of String).</param>
    /// <param name="tagsColumn">Gold tags column (vector of String or key).</param>
    /// <param name="predictedColumn">Predicted tags column (vector of String).</param>
    /// <param name="knownWords">The words seen in training (case kept), for the unknown-token accuracy; null to skip it.</param>
    /// <param name="knownTags">The tags the model knows (<see cref="SequenceTaggerTransformer.Tags"/>), to count gold tags it cannot produce; null to skip.</param>
    /// <exception cref="ArgumentException">A column is missing or mistyped, or a row's lengths differ (named with the row).</exception>
    public static TaggingMetrics Evaluate(IDataView scored, string tokensColumn = "Tokens", string tagsColumn = "Tags", string predictedColumn = "PredictedTags",
        IEnumerable<string>? knownWords = null, IEnumerable<string>? knownTags = null)
    {
        ArgumentNullException.ThrowIfNull(scored);
        var gold = TaggedSentences.Read(scored, tokensColumn, tagsColumn, allowEmpty: true);
        var predicted = TaggedSentences.Read(scored, tokensColumn, predictedColumn, allowEmpty: true);
        return Evaluate(gold.Tokens, gold.Tags!, predicted.Tags!, knownWords, knownTags);
    }

    /// <summary>Evaluates tags given as arrays, sentence by sentence.</summary>
    /// <exception cref="ArgumentException">The lists differ in length, or a sentence's tokens, gold and predicted tags differ in length.</exception>
    public static TaggingMetrics Evaluate(IReadOnlyList<IReadOnlyList<string>> tokens, IReadOnlyList<IReadOnlyList<string>> gold,
        IReadOnlyList<IReadOnlyList<string>> predicted, IEnumerable<string>? knownWords = null, IEnumerable<string>? knownTags = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(predicted);
        if (gold.Count != tokens.Count || predicted.Count != tokens.Count)
            throw new ArgumentException($"Got {tokens.Count} token rows, {gold.Count} gold rows and {predicted.Count} predicted rows; they must be as many.");
        var known = knownWords as IReadOnlySet<string> ?? knownWords?.ToHashSet(StringComparer.Ordinal);
        var tagSet = knownTags?.ToHashSet(StringComparer.Ordinal);
        long correct = 0, count = 0, unknown = 0, unknownCorrect = 0;
        int sentencesCorrect = 0;
        var truePositives = new Dictionary<string, long>(StringComparer.Ordinal);
        var goldCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        var predictedCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int s = 0; s < tokens.Count; s++)
        {
            if (gold[s].Count != tokens[s].Count || predicted[s].Count != tokens[s].Count)
                throw new ArgumentException($"Sentence {s + 1} has {tokens[s].Count} tokens, {gold[s].Count} gold tags and {predicted[s].Count} predicted tags; they must be as many.");
            bool all = true;
            for (int t = 0; t < tokens[s].Count; t++)
            {
                string g = gold[s][t], p = predicted[s][t];
                bool ok = string.Equals(g, p, StringComparison.Ordinal);
                count++;
                goldCounts[g] = goldCounts.GetValueOrDefault(g) + 1;
                predictedCounts[p] = predictedCounts.GetValueOrDefault(p) + 1;
                if (ok)
                {
                    correct++;
                    truePositives[g] = truePositives.GetValueOrDefault(g) + 1;
                }
                else
                {
                    all = false;
                }
                if (known is not null && !known.Contains(tokens[s][t]))
                {
                    unknown++;
                    if (ok)
                        unknownCorrect++;
                }
            }
            if (all)
                sentencesCorrect++;
        }
        var perTag = goldCounts.Keys.Union(predictedCounts.Keys)
            .Select(tag =>
            {
                long tp = truePositives.GetValueOrDefault(tag), support = goldCounts.GetValueOrDefault(tag), given = predictedCounts.GetValueOrDefault(tag);
                double precision = given == 0 ? 0 : (double)tp / given, recall = support == 0 ? 0 : (double)tp / support;
                return new TagMetrics(tag, precision, recall, precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall), support);
            })
            .OrderByDescending(m => m.Support).ThenBy(m => m.Tag, StringComparer.Ordinal)
            .ToArray();
        var occurring = perTag.Where(m => m.Support > 0).ToArray();
        var unseen = tagSet is null ? Array.Empty<TagMetrics>() : perTag.Where(m => m.Support > 0 && !tagSet.Contains(m.Tag)).ToArray();
        return new TaggingMetrics
        {
            TokenAccuracy = count == 0 ? double.NaN : (double)correct / count,
            UnknownTokenAccuracy = unknown == 0 ? double.NaN : (double)unknownCorrect / unknown,
            UnknownTokens = unknown,
            SentenceAccuracy = tokens.Count == 0 ? double.NaN : (double)sentencesCorrect / tokens.Count,
            Tokens = count,
            Sentences = tokens.Count,
            MacroF1 = occurring.Length == 0 ? double.NaN : occurring.Average(m => m.F1),
            UnseenTagTokens = unseen.Sum(m => m.Support),
            UnseenTags = unseen.Select(m => m.Tag).ToArray(),
            PerTag = perTag,
        };
    }
}
