using System.Text.Encodings.Web;
using System.Text.Json;

namespace MlNetRnn.Transforms.Text;

/// <summary>
/// A token ↔ id mapping built from training text: optional padding and unknown tokens first, then tokens by descending
/// frequency (ties in ordinal order, so the same text always gives the same ids), cut by a minimum frequency and a maximum size.
/// </summary>
public sealed class Vocabulary
{
    // Readable in metadata and messages: non-ASCII characters stay as they are, control characters are escaped.
    private static readonly JsonSerializerOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _ids;

    private Vocabulary(string[] tokens, int padId, int unknownId)
    {
        _tokens = tokens;
        _ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++)
        {
            if (!_ids.TryAdd(tokens[i], i))
                throw new ArgumentException($"Token '{tokens[i]}' appears twice in the vocabulary.");
        }
        PadId = padId;
        UnknownId = unknownId;
    }

    /// <summary>Tokens by id.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>Number of ids, specials included.</summary>
    public int Count => _tokens.Length;

    /// <summary>Id of the padding token, or −1 when the vocabulary has none.</summary>
    public int PadId { get; }

    /// <summary>Id that unseen tokens map to, or −1 when the vocabulary has none (then unseen tokens are an error).</summary>
    public int UnknownId { get; }

    /// <summary>Builds a vocabulary from token streams.</summary>
    /// <param name="tokens">All tokens of the training text.</param>
    /// <param name="minimumFrequency">Tokens seen fewer times are left out (they map to the unknown id).</param>
    /// <param name="maximumSize">Most ids in total, specials included; 0 for no limit.</param>
    /// <param name="padToken">Token for id 0 used to pad batches, or null for none.</param>
    /// <param name="unknownToken">Token for unseen input, or null for none.</param>
    /// <exception cref="ArgumentException">The text has no token that passes the frequency cut, or a limit is invalid.</exception>
    public static Vocabulary Build(IEnumerable<string> tokens, int minimumFrequency = 1, int maximumSize = 0, string? padToken = null, string? unknownToken = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumFrequency, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maximumSize);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var token in tokens)
            counts[token] = counts.TryGetValue(token, out int c) ? c + 1 : 1;
        var specials = new List<string>();
        if (padToken is not null)
            specials.Add(padToken);
        if (unknownToken is not null)
            specials.Add(unknownToken);
        if (maximumSize > 0 && maximumSize <= specials.Count)
            throw new ArgumentOutOfRangeException(nameof(maximumSize), maximumSize, $"The maximum size must leave room for tokens besides the {specials.Count} special ones.");
        var kept = counts.Where(p => p.Value >= minimumFrequency && !specials.Contains(p.Key))
            .OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => p.Key);
        if (maximumSize > 0)
            kept = kept.Take(maximumSize - specials.Count);
        var all = specials.Concat(kept).ToArray();
        if (all.Length == specials.Count)
            throw new ArgumentException(counts.Count == 0
                ? "The training text is empty: there is no token to build a vocabulary from."
                : $"No token occurs at least {minimumFrequency} times; lower the minimum frequency.");
        return new Vocabulary(all, padToken is null ? -1 : 0, unknownToken is null ? -1 : specials.Count - 1);
    }

    /// <summary>Recreates a vocabulary from its tokens in id order (as stored in model metadata).</summary>
    public static Vocabulary FromTokens(IReadOnlyList<string> tokens, int padId = -1, int unknownId = -1)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Count == 0)
            throw new ArgumentException("A vocabulary needs at least one token.", nameof(tokens));
        if (padId < -1 || padId >= tokens.Count)
            throw new ArgumentOutOfRangeException(nameof(padId), padId, $"Pad id must be −1 or in 0..{tokens.Count - 1}.");
        if (unknownId < -1 || unknownId >= tokens.Count)
            throw new ArgumentOutOfRangeException(nameof(unknownId), unknownId, $"Unknown id must be −1 or in 0..{tokens.Count - 1}.");
        return new Vocabulary(tokens.ToArray(), padId, unknownId);
    }

    /// <summary>The id of <paramref name="token"/>, or <see cref="UnknownId"/>; −1 when unseen and there is no unknown id.</summary>
    public int IdOf(string token) => _ids.TryGetValue(token, out int id) ? id : UnknownId;

    /// <summary>Whether <paramref name="token"/> has its own id.</summary>
    public bool Contains(string token) => _ids.ContainsKey(token);

    /// <summary>Maps tokens to ids.</summary>
    /// <param name="tokens">Tokens to map.</param>
    /// <param name="what">How to name the input in an error, e.g. "the prime".</param>
    /// <exception cref="ArgumentException">A token is unseen and the vocabulary has no unknown id; the message lists the unseen tokens.</exception>
    public long[] Encode(IReadOnlyList<string> tokens, string what = "the text")
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var ids = new long[tokens.Count];
        List<string>? unseen = null;
        for (int i = 0; i < tokens.Count; i++)
        {
            int id = IdOf(tokens[i]);
            if (id < 0)
            {
                unseen ??= new List<string>();
                if (!unseen.Contains(tokens[i]))
                    unseen.Add(tokens[i]);
            }
            ids[i] = id;
        }
        if (unseen is not null)
            throw new ArgumentException($"{Capitalize(what)} contains {unseen.Count} token(s) the model never saw in training: " +
                string.Join(", ", unseen.Take(10).Select(Quote)) + (unseen.Count > 10 ? ", ..." : string.Empty) +
                ". Remove or replace them with tokens from the training text.");
        return ids;
    }

    /// <summary>The token with id <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is out of range.</exception>
    public string TokenOf(long id) => id >= 0 && id < _tokens.Length
        ? _tokens[id]
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"Token ids run from 0 to {_tokens.Length - 1}.");

    /// <summary>The tokens as a JSON array in id order (the form stored in model metadata).</summary>
    public string ToJson() => JsonSerializer.Serialize(_tokens, s_json);

    /// <summary>Parses <see cref="ToJson"/>'s output.</summary>
    /// <exception cref="FormatException">The text is not a JSON array of strings.</exception>
    public static Vocabulary FromJson(string json, int padId = -1, int unknownId = -1)
    {
        string[]? tokens;
        try
        {
            tokens = JsonSerializer.Deserialize<string[]>(json);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The vocabulary is not a JSON array of strings: {ex.Message}", ex);
        }
        return FromTokens(tokens ?? throw new FormatException("The vocabulary is null."), padId, unknownId);
    }

    // Quotes a token for a message, making whitespace and control characters visible.
    private static string Quote(string token) => "\"" + token.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)
        .Replace("\r", "\\r", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
