using MlNetRnn.Transforms.Text;

namespace MlNetRnn.Trainers.Tagging;

/// <summary>
/// How a tagger turns sentences into ids: the word vocabulary (<c>&lt;pad&gt;</c>, <c>&lt;unk&gt;</c>, then words, case kept), the
/// spelling alphabet and the tag list, all built from the training sentences.
/// </summary>
internal sealed class TaggerEncoding
{
    internal const int PadId = 0, UnknownId = 1;
    internal static readonly string[] Specials = { "<pad>", "<unk>" };

    private readonly Dictionary<string, int> _tagIds;
    private readonly Dictionary<int, int>? _characterIds;

    public TaggerEncoding(Vocabulary words, CharacterConvolution? characters, IReadOnlyList<string> tags)
    {
        Words = words;
        Characters = characters;
        Tags = tags;
        _tagIds = tags.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i, StringComparer.Ordinal);
        _characterIds = characters?.IdsByCodePoint();
    }

    /// <summary>Word vocabulary.</summary>
    public Vocabulary Words { get; }

    /// <summary>Spelling features' alphabet and sizes, or null without them.</summary>
    public CharacterConvolution? Characters { get; }

    /// <summary>Tags in output order.</summary>
    public IReadOnlyList<string> Tags { get; }

    /// <summary>
    /// Builds the encoding from training sentences: words seen <paramref name="minimumFrequency"/> times or more, or having a vector in
    /// <paramref name="vectors"/> (looked up lower-cased); every character seen twice or more; every tag, commonest first.
    /// </summary>
    public static TaggerEncoding Build(TaggedSentences train, int minimumFrequency, WordVectors? vectors, CharacterConvolution? characterShape)
    {
        var wordCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        var characterCounts = new Dictionary<int, int>();
        var tagCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int r = 0; r < train.Tokens.Count; r++)
        {
            foreach (var word in train.Tokens[r])
            {
                wordCounts[word] = wordCounts.GetValueOrDefault(word) + 1;
                foreach (var rune in word.EnumerateRunes())
                    characterCounts[rune.Value] = characterCounts.GetValueOrDefault(rune.Value) + 1;
            }
            foreach (var tag in train.Tags![r])
                tagCounts[tag] = tagCounts.GetValueOrDefault(tag) + 1;
        }
        var kept = wordCounts.Where(p => !Specials.Contains(p.Key) && (p.Value >= minimumFrequency || (vectors?.Contains(p.Key.ToLowerInvariant()) ?? false)))
            .OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key);
        var words = Vocabulary.FromTokens(Specials.Concat(kept).ToArray(), PadId, UnknownId);
        CharacterConvolution? characters = characterShape is null ? null : characterShape with
        {
            // A character seen once is a typo's worth of evidence; it shares the unknown row instead.
            CodePoints = characterCounts.Where(p => p.Value >= 2).OrderByDescending(p => p.Value).ThenBy(p => p.Key).Select(p => p.Key).ToArray(),
        };
        var tags = tagCounts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key).ToArray();
        return new TaggerEncoding(words, characters, tags);
    }

    /// <summary>Word ids of a sentence.</summary>
    public long[] EncodeWords(string[] tokens) => tokens.Select(t => (long)Words.IdOf(t)).ToArray();

    /// <summary>Character ids of a sentence, <c>[tokens · MaxCharacters]</c> row-major; empty without spelling features.</summary>
    public long[] EncodeCharacters(string[] tokens)
    {
        if (Characters is null)
            return Array.Empty<long>();
        int width = CharacterConvolution.MaxCharacters;
        var ids = new long[tokens.Length * width];
        for (int i = 0; i < tokens.Length; i++)
            Characters.Encode(tokens[i], ids.AsSpan(i * width, width), _characterIds!);
        return ids;
    }

    /// <summary>Tag ids of a sentence.</summary>
    /// <exception cref="ArgumentException">A tag was not seen in training (names it and the row).</exception>
    public long[] EncodeTags(string[] tags, int row, string column) => tags.Select((t, i) => _tagIds.TryGetValue(t, out int id)
        ? (long)id
        : throw new ArgumentException($"Row {row + 1}, token {i + 1}: tag '{t}' in column '{column}' was not seen in training; the model knows {Tags.Count} tags " +
                                      $"({string.Join(", ", Tags.Take(12))}{(Tags.Count > 12 ? ", ..." : string.Empty)}).")).ToArray();

    /// <summary>Tag id of a tag name, or −1 for a tag the model does not know.</summary>
    public int TagId(string tag) => _tagIds.TryGetValue(tag, out int id) ? id : -1;
}
