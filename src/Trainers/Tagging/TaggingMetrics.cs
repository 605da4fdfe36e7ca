namespace MlNetRnn.Trainers.Tagging;

/// <summary>Precision, recall and F1 of one tag over all tokens.</summary>
/// <param name="Tag">The tag.</param>
/// <param name="Precision">Tokens correctly given this tag over tokens given it (0 when never predicted).</param>
/// <param name="Recall">Tokens correctly given this tag over tokens that have it (0 when it never occurs).</param>
/// <param name="F1">Harmonic mean of precision and recall (0 when both are 0).</param>
/// <param name="Support">Tokens that have this tag in the gold data.</param>
public sealed record TagMetrics(string Tag, double Precision, double Recall, double F1, long Support);

/// <summary>How well predicted tags match gold tags.</summary>
public sealed record TaggingMetrics
{
    /// <summary>Correct tokens over all tokens.</summary>
    public required double TokenAccuracy { get; init; }

    /// <summary>Accuracy on tokens whose word was not among the known (training) words; NaN when none was unknown or no known words were given.</summary>
    public required double UnknownTokenAccuracy { get; init; }

    /// <summary>Tokens whose word was not among the known words (0 when no known words were given).</summary>
    public required long UnknownTokens { get; init; }

    /// <summary>
    /// Tokens whose gold tag is not among the known tags (the model's <see cref="SequenceTaggerTransformer.Tags"/>): the model cannot
    /// produce them, so they always count as errors. 0 when no known tags were given.
    /// </summary>
    public long UnseenTagTokens { get; init; }

    /// <summary>The distinct gold tags outside the known tags, commonest first; empty when none or no known tags were given.</summary>
    public IReadOnlyList<string> UnseenTags { get; init; } = Array.Empty<string>();

    /// <summary>Sentences whose every token is correct over all sentences.</summary>
    public required double SentenceAccuracy { get; init; }

    /// <summary>Tokens scored.</summary>
    public required long Tokens { get; init; }

    /// <summary>Sentences scored.</summary>
    public required int Sentences { get; init; }

    /// <summary>Unweighted mean of the per-tag F1 over tags that occur in the gold data.</summary>
    public required double MacroF1 { get; init; }

    /// <summary>Per-tag precision, recall and F1 for every tag in the gold or predicted data, commonest gold tag first.</summary>
    public required IReadOnlyList<TagMetrics> PerTag { get; init; }
}
