using System.Globalization;

namespace MlNetRnn.Cli.Classify;

/// <summary>Texts with labels read from a tab- or comma-separated file with a header row, or the embedded review sentences.</summary>
internal sealed record LabelledTexts(string[] Texts, string[] Labels, string Source)
{
    /// <summary>The embedded Yelp and IMDB sentences (1,000 each, label 1 positive / 0 negative).</summary>
    public static LabelledTexts Reviews()
    {
        var texts = new List<string>();
        var labels = new List<string>();
        foreach (var name in new[] { "yelp_labelled.txt", "imdb_labelled.txt" })
        {
            using var stream = typeof(LabelledTexts).Assembly.GetManifestResourceStream($"MlNetRnn.Cli.Data.{name}")
                ?? throw new InvalidOperationException($"The embedded data set {name} is missing from the build.");
            using var reader = new StreamReader(stream);
            var parsed = Parse(reader.ReadToEnd(), $"embedded {name}", "reviews", "sentiment");
            texts.AddRange(parsed.Texts);
            labels.AddRange(parsed.Labels);
        }
        return new LabelledTexts(texts.ToArray(), labels.ToArray(), "embedded Yelp + IMDB review sentences");
    }

    /// <summary>
    /// Reads a UTF-8 file. The separator is a tab when the header has one, else a semicolon when the header has semicolons and no comma,
    /// else a comma; fields of comma- and semicolon-separated files may be double-quoted (RFC 4180).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The path is a folder.</exception>
    /// <exception cref="InvalidDataException">The file is binary or not UTF-8.</exception>
    /// <exception cref="FormatException">A column is missing, a row is short, or every text is empty (file, line and column named).</exception>
    public static LabelledTexts Load(string path, string textColumn, string labelColumn)
    {
        InputFile.RequireFile(path, "Data file", "--data");
        return Parse(InputFile.ReadUtf8Text(path, "Data file", "--data"), path, textColumn, labelColumn);
    }

    /// <summary>Parses the text of a labelled file (see <see cref="Load"/>); <paramref name="source"/> names it in messages.</summary>
    public static LabelledTexts Parse(string content, string source, string textColumn, string labelColumn)
    {
        var records = CsvRecords.Read(content, source, out char separator);
        if (records.Count == 0)
            throw new FormatException($"{source}: the file is empty.");
        var header = records[0].Fields.Select(h => h.Trim()).ToArray();
        int t = Array.FindIndex(header, h => h.Equals(textColumn, StringComparison.OrdinalIgnoreCase));
        int l = Array.FindIndex(header, h => h.Equals(labelColumn, StringComparison.OrdinalIgnoreCase));
        string columns = $"{string.Join(", ", header)}; fields separated by {CsvRecords.Describe(separator)}";
        if (t < 0)
            throw new FormatException($"{source}: no text column '{textColumn}' in the header ({columns}). Pass --text-column with one of them.");
        if (l < 0)
            throw new FormatException($"{source}: no label column '{labelColumn}' in the header ({columns}). Pass --label-column with one of them.");
        var texts = new List<string>();
        var labels = new List<string>();
        foreach (var (line, fields) in records.Skip(1))
        {
            if (fields.Count <= Math.Max(t, l))
                throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{source}, line {line}: expected at least {Math.Max(t, l) + 1} fields, found {fields.Count}."));
            string label = fields[l].Trim();
            if (label.Length == 0)
                throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{source}, line {line}: the label column '{labelColumn}' is empty. Fix or remove the row."));
            texts.Add(fields[t]);
            labels.Add(label);
        }
        if (texts.Count == 0)
            throw new FormatException($"{source}: no data rows after the header.");
        // With no word in any text there is nothing to learn from, and ML.NET's text featurizer fails on it with a schema error.
        if (texts.All(string.IsNullOrWhiteSpace))
            throw new FormatException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: every text in column '{header[t]}' is empty ({texts.Count} rows). Check that --text-column names the column that holds the texts, and fill it."));
        return new LabelledTexts(texts.ToArray(), labels.ToArray(), source);
    }
}
