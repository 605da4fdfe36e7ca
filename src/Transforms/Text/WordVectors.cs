using System.Globalization;
using System.IO.Compression;

namespace MlNetRnn.Transforms.Text;

/// <summary>
/// Pretrained word vectors read from the text formats of GloVe, word2vec (text) and fastText (<c>.vec</c>): one word per line
/// followed by its values, separated by spaces; optionally a first line <c>count dimension</c> (word2vec/fastText); plain or
/// gzip-compressed (detected from the bytes, not the file name).
/// </summary>
/// <remarks>
/// Words are stored under the key the loader's <c>normalize</c> function gives (by default the word as is). When two lines map to the same key (fastText
/// lists "Apple" and "apple"), the first line wins, as the most frequent form comes first in these files; the same word written
/// twice exactly is an error, since a file like that is damaged.
/// </remarks>
public sealed class WordVectors
{
    private readonly Dictionary<string, int> _index;
    private readonly float[] _values;

    private WordVectors(Dictionary<string, int> index, float[] values, int dimension, string source)
    {
        _index = index;
        _values = values;
        Dimension = dimension;
        Source = source;
    }

    /// <summary>Values per word.</summary>
    public int Dimension { get; }

    /// <summary>The lookup keys, in the file's order (most frequent first in GloVe, word2vec and fastText files).</summary>
    public IReadOnlyList<string> Words => _words ??= _index.OrderBy(kv => kv.Value).Select(kv => kv.Key).ToArray();

    private string[]? _words;

    /// <summary>Words with a vector.</summary>
    public int Count => _index.Count;

    /// <summary>Where the vectors came from, for messages.</summary>
    public string Source { get; }

    /// <summary>The vector of <paramref name="word"/> (looked up under the loader's normalisation), or an empty span when it has none.</summary>
    public ReadOnlySpan<float> this[string word] => _index.TryGetValue(word, out int row) ? _values.AsSpan(row * Dimension, Dimension) : ReadOnlySpan<float>.Empty;

    /// <summary>Whether <paramref name="word"/> has a vector.</summary>
    public bool Contains(string word) => _index.ContainsKey(word);

    /// <summary>Reads a vectors file.</summary>
    /// <param name="path">GloVe, word2vec-text or fastText <c>.vec</c> file, plain or gzip.</param>
    /// <param name="expectedDimension">The dimension the caller needs (e.g. the classifier's embedding size), or null to take the file's.</param>
    /// <param name="normalize">Maps each word to its lookup key (e.g. lower-casing, to match a tokenizer); null keeps words as they are.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not UTF-8, a line has the wrong number of values or a value that is not a finite number, a word
    /// appears twice, the header disagrees with the lines, or the dimension is not <paramref name="expectedDimension"/>; the message names the file and line.</exception>
    public static WordVectors Load(string path, int? expectedDimension = null, Func<string, string>? normalize = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Word vectors file '{path}' does not exist.", path);
        return FromBytes(File.ReadAllBytes(path), path, expectedDimension, normalize);
    }

    /// <summary>Reads vectors from a stream (e.g. an embedded resource); <paramref name="source"/> names it in messages, like a path.</summary>
    /// <param name="stream">GloVe, word2vec-text or fastText <c>.vec</c> contents, plain or gzip; read to its end, not disposed.</param>
    /// <param name="source">What to call the vectors in messages and model metadata (a file name).</param>
    /// <param name="expectedDimension">As in <see cref="Load(string, int?, Func{string, string}?)"/>.</param>
    /// <param name="normalize">As in <see cref="Load(string, int?, Func{string, string}?)"/>.</param>
    /// <exception cref="InvalidDataException">As in <see cref="Load(string, int?, Func{string, string}?)"/>.</exception>
    public static WordVectors Load(Stream stream, string source, int? expectedDimension = null, Func<string, string>? normalize = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrEmpty(source);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return FromBytes(buffer.ToArray(), source, expectedDimension, normalize);
    }

    private static WordVectors FromBytes(byte[] bytes, string path, int? expectedDimension, Func<string, string>? normalize)
    {
        if (bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B)
        {
            using var input = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var output = new MemoryStream();
            try
            {
                input.CopyTo(output);
            }
            catch (InvalidDataException ex)
            {
                throw new InvalidDataException($"Word vectors file '{path}' is a damaged gzip file ({ex.Message}).", ex);
            }
            bytes = output.ToArray();
        }
        return Parse(Utf8Text.Decode(bytes, $"Word vectors file '{path}'"), $"'{path}'", expectedDimension, normalize);
    }

    /// <summary>Parses vectors from text (the contents of a vectors file); <paramref name="source"/> names it in messages.</summary>
    internal static WordVectors Parse(string text, string source, int? expectedDimension = null, Func<string, string>? normalize = null)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var exact = new Dictionary<string, int>(StringComparer.Ordinal);
        var values = new List<float>();
        int dimension = expectedDimension ?? 0;
        int? headerCount = null;
        int lineNumber = 0, rows = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            string line = rawLine.TrimEnd('\r', ' ');
            if (line.Length == 0)
                continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (lineNumber == 1 && parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int count)
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int headerDimension))
            {
                // The word2vec / fastText header: "count dimension".
                if (expectedDimension is { } e && e != headerDimension)
                    throw new InvalidDataException($"{source}, line 1: the header says {headerDimension} values per word, but {e} are needed (the embedding size). " +
                                                   $"Use vectors of dimension {e} or set the embedding size to {headerDimension}.");
                headerCount = count;
                dimension = headerDimension;
                continue;
            }
            if (dimension == 0)
                dimension = parts.Length - 1;
            if (parts.Length - 1 != dimension)
            {
                string need = expectedDimension is not null && rows == 0 && headerCount is null
                    ? $"{dimension} are needed (the embedding size); use vectors of that dimension or change the embedding size"
                    : $"the file's other lines have {dimension}";
                throw new InvalidDataException($"{source}, line {lineNumber}: the word '{Shorten(parts[0])}' has {parts.Length - 1} values, but {need}.");
            }
            string word = parts[0];
            if (exact.TryGetValue(word, out int firstLine))
                throw new InvalidDataException($"{source}, line {lineNumber}: the word '{Shorten(word)}' already had a vector on line {firstLine}; the file is damaged or two files were concatenated.");
            exact[word] = lineNumber;
            for (int i = 1; i < parts.Length; i++)
            {
                if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
                    throw new InvalidDataException($"{source}, line {lineNumber}: value {i} of the word '{Shorten(word)}' is '{Shorten(parts[i])}', not a finite number.");
                values.Add(v);
            }
            rows++;
            string key = normalize is null ? word : normalize(word);
            // The first line of a key wins; its values stay, later forms of the same key are dropped from the table.
            if (!index.ContainsKey(key))
                index[key] = rows - 1;
        }
        if (rows == 0)
            throw new InvalidDataException($"{source} holds no word vectors.");
        if (headerCount is { } expected && expected != rows)
            throw new InvalidDataException($"{source}: the header says {expected} words, but the file has {rows}; it is truncated or damaged.");
        return new WordVectors(index, values.ToArray(), dimension, source);
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
