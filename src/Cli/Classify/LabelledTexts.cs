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

    /// <summary>Reads a file; the separator is a tab when the header has one, else a comma. Fields may be double-quoted.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="FormatException">A column is missing or a row is short (file, line and column named).</exception>
    public static LabelledTexts Load(string path, string textColumn, string labelColumn)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Data file '{path}' (--data) does not exist.", path);
        return Parse(File.ReadAllText(path), path, textColumn, labelColumn);
    }

    public static LabelledTexts Parse(string content, string source, string textColumn, string labelColumn)
    {
        var lines = content.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        int headerIndex = lines.FindIndex(l => l.Trim().Length > 0);
        if (headerIndex < 0)
            throw new FormatException($"{source}: the file is empty.");
        char separator = lines[headerIndex].Contains('\t') ? '\t' : ',';
        var header = Split(lines[headerIndex], separator).Select(h => h.Trim()).ToArray();
        int t = Array.FindIndex(header, h => h.Equals(textColumn, StringComparison.OrdinalIgnoreCase));
        int l = Array.FindIndex(header, h => h.Equals(labelColumn, StringComparison.OrdinalIgnoreCase));
        if (t < 0)
            throw new FormatException($"{source}: no text column '{textColumn}' in the header ({string.Join(", ", header)}). Pass --text-column with one of them.");
        if (l < 0)
            throw new FormatException($"{source}: no label column '{labelColumn}' in the header ({string.Join(", ", header)}). Pass --label-column with one of them.");
        var texts = new List<string>();
        var labels = new List<string>();
        for (int i = headerIndex + 1; i < lines.Count; i++)
        {
            if (lines[i].Trim().Length == 0)
                continue;
            var fields = Split(lines[i], separator);
            if (fields.Count <= Math.Max(t, l))
                throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{source}, line {i + 1}: expected at least {Math.Max(t, l) + 1} fields, found {fields.Count}."));
            string label = fields[l].Trim();
            if (label.Length == 0)
                throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{source}, line {i + 1}: the label column '{labelColumn}' is empty. Fix or remove the row."));
            texts.Add(fields[t]);
            labels.Add(label);
        }
        if (texts.Count == 0)
            throw new FormatException($"{source}: no data rows after the header.");
        return new LabelledTexts(texts.ToArray(), labels.ToArray(), source);
    }

    // The text field is free prose: only the separator splits; in comma-separated files a field wrapped in double quotes may contain commas
    // (tab-separated files, like the review sentences, keep their quotes as text).
    private static List<string> Split(string line, char separator)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (separator == ',' && c == '"' && (current.Length == 0 || quoted))
            {
                if (quoted && i + 1 < line.Length && line[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else
                {
                    quoted = !quoted;
                }
            }
            else if (c == separator && !quoted)
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        fields.Add(current.ToString());
        return fields;
    }
}
