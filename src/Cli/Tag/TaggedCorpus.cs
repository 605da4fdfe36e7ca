using System.IO.Compression;

namespace MlNetRnn.Cli.Tag;

/// <summary>
/// A tagged corpus in the one-token-per-line format: <c>word&lt;TAB&gt;tag</c>, a blank line ends a sentence, a line starting with
/// <c>#</c> is a comment; plain UTF-8 or gzip (by the <c>.gz</c> extension). Errors name the file and the line.
/// </summary>
internal sealed record TaggedCorpus(string Source, IReadOnlyList<string[]> Tokens, IReadOnlyList<string[]> Tags)
{
    /// <summary>The file line (1-based) of every token, per sentence.</summary>
    public IReadOnlyList<int[]> TokenLines { get; init; } = Array.Empty<int[]>();

    /// <summary>Tokens in all sentences.</summary>
    public long TokenCount => Tokens.Sum(t => (long)t.Length);

    /// <summary>The embedded Brown training part (51,698 sentences).</summary>
    public static TaggedCorpus EmbeddedTrain() => Embedded("brown-train.tsv.gz");

    /// <summary>The embedded Brown test part (5,642 sentences).</summary>
    public static TaggedCorpus EmbeddedTest() => Embedded("brown-test.tsv.gz");

    private static TaggedCorpus Embedded(string name)
    {
        using var stream = typeof(TaggedCorpus).Assembly.GetManifestResourceStream("MlNetRnn.Cli.Data." + name)
            ?? throw new InvalidOperationException($"The embedded corpus {name} is missing from this build.");
        return Parse(Decode(Gunzip(stream), "embedded " + name), "embedded Brown corpus (" + name + ")");
    }

    /// <summary>Reads a corpus file.</summary>
    /// <exception cref="ArgumentException">A line is malformed (names the file and line), the file is not UTF-8 or gzip, or it holds no sentence.</exception>
    public static TaggedCorpus Load(string path, string option)
    {
        InputFile.RequireFile(path, "Tagged corpus", option);
        string text;
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            using var file = File.OpenRead(path);
            byte[] bytes;
            try
            {
                bytes = Gunzip(file);
            }
            catch (InvalidDataException ex)
            {
                throw new ArgumentException($"Tagged corpus '{path}' ({option}) ends in .gz but is not a valid gzip file: {ex.Message}", ex);
            }
            text = Decode(bytes, $"tagged corpus '{path}' ({option})");
        }
        else
        {
            text = InputFile.ReadUtf8Text(path, "Tagged corpus", option);
        }
        return Parse(text, $"'{path}'");
    }

    private static byte[] Gunzip(Stream stream)
    {
        using var gzip = new GZipStream(stream, CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gzip.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static string Decode(byte[] bytes, string source) => InputFile.DecodeUtf8(bytes, source);

    /// <summary>Parses the text of a corpus; <paramref name="source"/> names it in errors.</summary>
    internal static TaggedCorpus Parse(string text, string source)
    {
        var tokens = new List<string[]>();
        var tags = new List<string[]>();
        var tokenLines = new List<int[]>();
        var words = new List<string>();
        var sentenceTags = new List<string>();
        var lines = new List<int>();
        void EndSentence()
        {
            if (words.Count == 0)
                return;
            tokens.Add(words.ToArray());
            tags.Add(sentenceTags.ToArray());
            tokenLines.Add(lines.ToArray());
            words.Clear();
            sentenceTags.Clear();
            lines.Clear();
        }
        int lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                EndSentence();
                continue;
            }
            if (line[0] == '#')
                continue;
            int tab = line.IndexOf('\t');
            if (tab <= 0 || tab == line.Length - 1 || line.IndexOf('\t', tab + 1) >= 0)
                throw new ArgumentException($"{source}, line {lineNumber}: expected 'word<TAB>tag' (one tab, both parts non-empty), got '{Shorten(line)}'. " +
                                            "Sentences are separated by blank lines; lines starting with # are comments.");
            words.Add(line[..tab]);
            sentenceTags.Add(line[(tab + 1)..]);
            lines.Add(lineNumber);
        }
        EndSentence();
        if (tokens.Count == 0)
            throw new ArgumentException($"{source} holds no tagged sentence: expected lines 'word<TAB>tag' with blank lines between sentences.");
        return new TaggedCorpus(source, tokens, tags) { TokenLines = tokenLines };
    }

    private static string Shorten(string line) => line.Length <= 60 ? line : line[..60] + "...";
}
