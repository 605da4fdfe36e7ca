namespace MlNetRnn.Onnx.Model;

/// <summary>
/// Word features read from each token's spelling, so a word never seen in training is still described: the token's first
/// <see cref="MaxCharacters"/> Unicode code points go through a character embedding, a 1-D convolution (zero-padded by
/// <c>KernelWidth / 2</c> on both sides), a ReLU and a maximum over the word's characters. The <see cref="Filters"/> values are
/// appended to the word embedding at every step. Weights: <c>chars.embedding.weight</c> <c>[AlphabetSize, EmbeddingSize]</c>
/// (row 0 is the padding character and stays zero), <c>chars.conv.weight</c> <c>[Filters, EmbeddingSize, KernelWidth]</c>,
/// <c>chars.conv.bias</c> <c>[Filters]</c>.
/// </summary>
/// <param name="CodePoints">The alphabet: code point of character id <c>i + 2</c> (id 0 pads, id 1 is any other character).</param>
/// <param name="EmbeddingSize">Width of a character's embedding.</param>
/// <param name="Filters">Convolution filters, the number of values added to each word's features.</param>
/// <param name="KernelWidth">Characters each filter reads, an odd number.</param>
public sealed record CharacterConvolution(IReadOnlyList<int> CodePoints, int EmbeddingSize, int Filters, int KernelWidth)
{
    /// <summary>Code points read per token; later ones are dropped (by the graph as well).</summary>
    public const int MaxCharacters = 20;

    /// <summary>Id of the padding character (code point 0 and positions past a token's end).</summary>
    public const int PadId = 0;

    /// <summary>Id of a character outside <see cref="CodePoints"/>.</summary>
    public const int UnknownId = 1;

    /// <summary>Rows of the character embedding: the alphabet plus padding and unknown.</summary>
    public int AlphabetSize => CodePoints.Count + 2;

    /// <summary>
    /// Whether the graph's <c>token_chars</c> input is flattened to <c>[batch, seq · MaxCharacters]</c> (what ML.NET's
    /// OnnxTransformer hands from one vector column) instead of <c>[batch, seq, chars]</c>.
    /// </summary>
    public bool FlattenedInput { get; init; }

    /// <summary>Checks sizes and the alphabet; throws a message naming the bad value.</summary>
    /// <exception cref="ArgumentException">A size is out of range or a code point is invalid or repeated.</exception>
    public void Validate()
    {
        if (EmbeddingSize < 1 || Filters < 1)
            throw new ArgumentException($"Character features need a positive embedding size and filter count; got {EmbeddingSize} and {Filters}.");
        if (KernelWidth < 1 || KernelWidth % 2 == 0 || KernelWidth > MaxCharacters)
            throw new ArgumentException($"The character kernel width must be odd and in 1..{MaxCharacters}; got {KernelWidth}.");
        if (CodePoints.Any(c => c <= 0 || c > 0x10FFFF))
            throw new ArgumentException("Character code points must be in 1..0x10FFFF.");
        if (CodePoints.Distinct().Count() != CodePoints.Count)
            throw new ArgumentException("Character code points must be distinct.");
    }

    /// <summary>
    /// A token's character ids as the graph computes them: its first <see cref="MaxCharacters"/> code points mapped through the
    /// alphabet, padded with <see cref="PadId"/> to <paramref name="destination"/>'s length.
    /// </summary>
    public void Encode(string token, Span<long> destination, IReadOnlyDictionary<int, int> ids)
    {
        destination.Clear();
        int i = 0;
        foreach (var rune in token.EnumerateRunes())
        {
            if (i == destination.Length || i == MaxCharacters)
                break;
            destination[i++] = ids.TryGetValue(rune.Value, out int id) ? id : UnknownId;
        }
    }

    /// <summary>Character id per code point (<see cref="CodePoints"/>[i] → i + 2).</summary>
    public Dictionary<int, int> IdsByCodePoint()
    {
        var ids = new Dictionary<int, int>(CodePoints.Count);
        for (int i = 0; i < CodePoints.Count; i++)
            ids[CodePoints[i]] = i + 2;
        return ids;
    }

    /// <summary>
    /// A token's code points as the graph's <c>token_chars</c> input takes them: the first <see cref="MaxCharacters"/> code points,
    /// then zeros to the destination's length.
    /// </summary>
    public static void CodePointsOf(string token, Span<long> destination)
    {
        destination.Clear();
        int i = 0;
        foreach (var rune in token.EnumerateRunes())
        {
            if (i == destination.Length || i == MaxCharacters)
                break;
            destination[i++] = rune.Value;
        }
    }
}
