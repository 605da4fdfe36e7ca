namespace MlNetRnn.Cli.Tag;

/// <summary>
/// The reference every tagger must beat: each word gets the tag it had most often in training (looked up as written, then
/// lower-cased), and a word never seen gets the commonest tag of all. Ties go to the tag first seen.
/// </summary>
internal sealed class MostFrequentTagBaseline
{
    private readonly Dictionary<string, string> _exact;
    private readonly Dictionary<string, string> _lower;

    public MostFrequentTagBaseline(IReadOnlyList<string[]> tokens, IReadOnlyList<string[]> tags)
    {
        var exact = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        var lower = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        var all = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int s = 0; s < tokens.Count; s++)
        {
            for (int t = 0; t < tokens[s].Length; t++)
            {
                Count(exact, tokens[s][t], tags[s][t]);
                Count(lower, tokens[s][t].ToLowerInvariant(), tags[s][t]);
                all[tags[s][t]] = all.GetValueOrDefault(tags[s][t]) + 1;
            }
        }
        _exact = exact.ToDictionary(p => p.Key, p => Commonest(p.Value), StringComparer.Ordinal);
        _lower = lower.ToDictionary(p => p.Key, p => Commonest(p.Value), StringComparer.Ordinal);
        Fallback = Commonest(all);
    }

    /// <summary>The tag of a word never seen in training.</summary>
    public string Fallback { get; }

    /// <summary>Tags one sentence.</summary>
    public string[] Tag(IReadOnlyList<string> sentence) => sentence.Select(w =>
        _exact.TryGetValue(w, out var tag) ? tag : _lower.TryGetValue(w.ToLowerInvariant(), out tag) ? tag : Fallback).ToArray();

    private static void Count(Dictionary<string, Dictionary<string, int>> counts, string word, string tag)
    {
        if (!counts.TryGetValue(word, out var perTag))
            counts[word] = perTag = new Dictionary<string, int>(StringComparer.Ordinal);
        perTag[tag] = perTag.GetValueOrDefault(tag) + 1;
    }

    // Dictionary enumeration follows insertion order while nothing is removed, so ties keep the first-seen tag.
    private static string Commonest(Dictionary<string, int> counts) => counts.Aggregate((best, next) => next.Value > best.Value ? next : best).Key;
}
